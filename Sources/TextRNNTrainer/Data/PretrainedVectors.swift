import Foundation
import TextRNNRuntime

/// Word vectors in the word2vec / GloVe / fastText `.vec` text format: an optional header line
/// "COUNT DIM", then one word and DIM numbers per line, separated by spaces. Each word is put
/// through the model's own tokenizer, so "Film," matches the vocabulary entry "film" as text
/// does; the first vector for an entry wins (files list frequent words first).
public enum PretrainedVectors {
    /// The vector size of the file: its header's DIM, or the first line's number count.
    public static func dimension(of path: String) throws -> Int {
        var found: Int? = nil
        try forEachLine(path) { line, number in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if number == 1, fields.count == 2, Int(fields[0]) != nil, let dim = Int(fields[1]) { found = dim; return false }
            guard fields.count >= 2 else { throw TrainingError("\(path):\(number): expected a word and its numbers") }
            found = fields.count - 1
            return false
        }
        guard let found, found > 0 else { throw TrainingError("\(path): no vectors") }
        return found
    }

    /// Writes the vectors of the vocabulary's entries into `table` [vocabulary rows, dim];
    /// returns how many rows were set. Padding and [UNK] keep their rows.
    public static func load(
        _ path: String, dim: Int, vocabulary: Vocabulary, tokenizer: Tokenizer, into table: inout [Float]
    ) throws -> Int {
        var assigned = Set<Int32>()
        var scratch = TokenizerScratch()
        try forEachLine(path) { line, number in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if number == 1, fields.count == 2, Int(fields[0]) != nil, Int(fields[1]) != nil { return true }
            if fields.isEmpty { return true }
            guard fields.count == dim + 1 else {
                throw TrainingError("\(path):\(number): expected a word and \(dim) numbers, found \(fields.count - 1) numbers")
            }
            var ids: [Int32] = []
            var word = String(fields[0])
            word.withUTF8 { bytes in
                tokenizer.forEachToken(in: bytes, scratch: &scratch) { token in ids.append(vocabulary.id(of: token)) }
            }
            guard ids.count == 1, let id = ids.first, id > 1, !assigned.contains(id) else { return true }
            let row = Int(id) * dim
            for d in 0..<dim {
                guard let value = Float(fields[d + 1]), value.isFinite else {
                    throw TrainingError("\(path):\(number): \"\(fields[d + 1])\" is not a finite number")
                }
                table[row + d] = value
            }
            assigned.insert(id)
            return true
        }
        return assigned.count
    }

    /// Calls `body` with each line (without its end) and its 1-based number until it returns false.
    private static func forEachLine(_ path: String, _ body: (Substring, Int) throws -> Bool) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read the vectors file") }
        let text = String(decoding: data, as: UTF8.self)
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if try !body(trimmed, number) { return }
        }
    }
}
