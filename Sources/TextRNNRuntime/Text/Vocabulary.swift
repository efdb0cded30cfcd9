import Glibc

/// The token -> id table. Id 0 is padding (""), id 1 is out-of-vocabulary ("[UNK]"), as in
/// Keras `TextVectorization`; entries from id 2 on are the learned tokens.
///
/// Tokens live in one byte arena and an open-addressing table of ids, so a lookup hashes a byte
/// slice and allocates nothing.
public final class Vocabulary: Sendable {
    public static let paddingID: Int32 = 0
    public static let unknownID: Int32 = 1
    public static let paddingToken = ""
    public static let unknownToken = "[UNK]"

    private let arena: [UInt8]  // all tokens' bytes, back to back
    private let starts: [Int]  // [count + 1] byte offset of each token in `arena`
    private let slots: [Int32]  // [power of two >= 2 * count] token id or -1
    private let slotMask: Int

    public var count: Int { starts.count - 1 }

    /// Builds the table from tokens in id order. `tokens[0]` must be "" and `tokens[1]` "[UNK]";
    /// later entries must be non-empty, unique and contain no ASCII whitespace.
    public init(tokens: [[UInt8]]) throws(TextRNNError) {
        guard tokens.count >= 2, tokens[0].isEmpty, tokens[1] == Array(Vocabulary.unknownToken.utf8)
        else {
            throw TextRNNError(.invalidBundle, "vocabulary: entry 0 must be \"\" and entry 1 \"[UNK]\"")
        }
        guard tokens.count <= TextLimits.maxVocabularySize else {
            throw TextRNNError(.limitExceeded, "vocabulary: \(tokens.count) entries exceed the limit of \(TextLimits.maxVocabularySize)")
        }
        var arena: [UInt8] = []
        arena.reserveCapacity(tokens.reduce(0) { $0 + $1.count })
        var starts: [Int] = [0]
        starts.reserveCapacity(tokens.count + 1)
        for (id, token) in tokens.enumerated() {
            if id >= 2 {
                guard !token.isEmpty else {
                    throw TextRNNError(.invalidBundle, "vocabulary: entry \(id) is empty")
                }
                guard token.count <= TextLimits.maxTokenBytes else {
                    throw TextRNNError(.limitExceeded, "vocabulary: entry \(id) is longer than \(TextLimits.maxTokenBytes) bytes")
                }
            }
            arena.append(contentsOf: token)
            starts.append(arena.count)
        }
        var capacity = 16
        while capacity < 2 * tokens.count { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for id in 1..<tokens.count {
            let hash = tokens[id].withUnsafeBufferPointer { Vocabulary.hash($0) }
            var slot = hash & mask
            while slots[slot] >= 0 {
                let other = Int(slots[slot])
                if arena[starts[other]..<starts[other + 1]].elementsEqual(tokens[id]) {
                    throw TextRNNError(.invalidBundle, "vocabulary: entry \(id) repeats entry \(other)")
                }
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(id)
        }
        self.arena = arena
        self.starts = starts
        self.slots = slots
        self.slotMask = mask
    }

    public convenience init(strings: [String]) throws(TextRNNError) {
        try self.init(tokens: strings.map { Array($0.utf8) })
    }

    /// The id of `token`, or `unknownID`.
    @inline(__always)
    public func id(of token: UnsafeBufferPointer<UInt8>) -> Int32 {
        var slot = Vocabulary.hash(token) & slotMask
        return arena.withUnsafeBufferPointer { arena in
            while true {
                let id = slots[slot]
                if id < 0 { return Vocabulary.unknownID }
                let start = starts[Int(id)]
                let end = starts[Int(id) + 1]
                if end - start == token.count
                    && (token.count == 0 || memcmp(arena.baseAddress! + start, token.baseAddress!, token.count) == 0)
                {
                    return id
                }
                slot = (slot + 1) & slotMask
            }
        }
    }

    public func id(of token: String) -> Int32 {
        var token = token
        return token.withUTF8 { id(of: $0) }
    }

    /// The bytes of entry `id` (0 ..< count).
    public func tokenBytes(_ id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<starts[id + 1]] }

    /// Entry `id` decoded as UTF-8 (invalid sequences repaired), for display.
    public func token(_ id: Int) -> String { String(decoding: tokenBytes(id), as: UTF8.self) }

    /// FNV-1a, 64-bit: short keys, no allocation, good enough spread for word tokens.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}
