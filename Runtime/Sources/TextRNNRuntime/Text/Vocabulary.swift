import Glibc

/// The token -> id table. Id 0 is padding (""), id 1 is out-of-vocabulary ("[UNK]"), as in
/// Keras `TextVectorization`; entries from id 2 on are the learned tokens. A bundle may name
/// another entry as the out-of-vocabulary one and one entry as its start token
/// (`keras.datasets.imdb` ids: 1 is the start, 2 out of vocabulary); the start token is never
/// the id of a word.
///
/// Tokens live in one byte arena and an open-addressing table of ids, so a lookup hashes a byte
/// slice and allocates nothing.
public final class Vocabulary: Sendable {
    public static let paddingID: Int32 = 0
    public static let unknownID: Int32 = 1
    public static let paddingToken = ""
    public static let unknownToken = "[UNK]"
    /// The start token's name in bundles the trainer and the Keras exporter write.
    public static let startToken = "[START]"

    private let arena: [UInt8]  // all tokens' bytes, back to back
    private let starts: [Int]  // [count + 1] byte offset of each token in `arena`
    private let slots: [Int32]  // [power of two >= 2 * count] token id or -1
    private let slotMask: Int
    /// The id unknown tokens get (1 unless the bundle names another out-of-vocabulary entry).
    public let oovID: Int32
    /// The id leading every text, if the bundle has a start token.
    public let startID: Int32?

    public var count: Int { starts.count - 1 }

    /// Builds the table from tokens in id order. `tokens[0]` must be ""; `oovToken` (by default
    /// "[UNK]", which must then be entry 1) and `startToken` must be entries; later entries must
    /// be non-empty and unique.
    public init(tokens: [[UInt8]], oovToken: String = Vocabulary.unknownToken, startToken: String? = nil) throws(TextRNNError) {
        guard tokens.count >= 2, tokens[0].isEmpty else {
            throw TextRNNError(.invalidBundle, "vocabulary: needs at least 2 entries, entry 0 \"\"")
        }
        let oov = Array(oovToken.utf8)
        guard oovToken != Vocabulary.unknownToken || tokens[1] == oov else {
            throw TextRNNError(.invalidBundle, "vocabulary: entry 1 must be \"[UNK]\"")
        }
        guard let oovIndex = tokens.firstIndex(of: oov), oovIndex > 0 else {
            throw TextRNNError(.invalidBundle, "vocabulary: the out-of-vocabulary token \"\(oovToken)\" is not an entry")
        }
        var startIndex: Int? = nil
        if let startToken {
            startIndex = tokens.firstIndex(of: Array(startToken.utf8))
            guard let index = startIndex, index > 0, index != oovIndex else {
                throw TextRNNError(.invalidBundle, "vocabulary: the start token \"\(startToken)\" is not an entry (other than the out-of-vocabulary one)")
            }
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
        for id in 1..<tokens.count where id != startIndex {
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
        self.oovID = Int32(oovIndex)
        self.startID = startIndex.map { Int32($0) }
        if let startIndex, id(ofBytes: tokens[startIndex]) != oovID {  // a second copy went into the table
            throw TextRNNError(.invalidBundle, "vocabulary: the start token appears twice")
        }
    }

    /// The vocabulary of a pipeline: `tokens` with `config`'s out-of-vocabulary and start tokens.
    public convenience init(tokens: [[UInt8]], config: TextPipelineConfig) throws(TextRNNError) {
        try self.init(tokens: tokens, oovToken: config.oovToken, startToken: config.startToken)
    }

    public convenience init(strings: [String]) throws(TextRNNError) {
        try self.init(tokens: strings.map { Array($0.utf8) })
    }

    /// The id of `token`, or `oovID`.
    @inline(__always)
    public func id(of token: UnsafeBufferPointer<UInt8>) -> Int32 {
        var slot = Vocabulary.hash(token) & slotMask
        return arena.withUnsafeBufferPointer { arena in
            while true {
                let id = slots[slot]
                if id < 0 { return oovID }
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

    private func id(ofBytes token: [UInt8]) -> Int32 {
        token.withUnsafeBufferPointer { id(of: $0) }
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
