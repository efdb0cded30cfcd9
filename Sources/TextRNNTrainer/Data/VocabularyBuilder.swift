import Dispatch
import Foundation
import TextRNNRuntime

/// Fits the vocabulary of a `TextVectorization`-style layer: counts the tokens of the training
/// texts with the runtime's `Tokenizer` (the code inference runs, so `ngrams: 2` counts the
/// unigrams and the bigrams "a b" exactly as they will be looked up) and keeps the most frequent.
///
/// Order (Keras `IndexLookup.finalize_state`: `np.lexsort((tokens, counts))[::-1]`): count
/// descending, and among equal counts the token descending, comparing UTF-8 bytes (so "b"
/// comes before "a", and "ab" before "a"). Entries 0 and 1 are "" and "[UNK]"; `maxTokens`
/// counts them, as Keras `max_tokens`. `minCount` (not in Keras; default 1) drops rarer tokens
/// first. "[UNK]" itself is never a learned token (Keras removes the OOV token from the counts),
/// and tokens longer than `TextLimits.maxTokenBytes` are ignored.
public struct VocabularyBuilder: Sendable {
    public var config: TextPipelineConfig
    /// Vocabulary size including the 2 reserved entries, or nil for no cap.
    public var maxTokens: Int?
    public var minCount: Int
    /// Threads for counting (1 = serial; default: the active processors, at most 8).
    public var threads: Int

    public init(config: TextPipelineConfig, maxTokens: Int? = nil, minCount: Int = 1, threads: Int? = nil) {
        self.config = config
        self.maxTokens = maxTokens
        self.minCount = minCount
        self.threads = threads ?? min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// A counted token.
    public struct Entry: Sendable, Equatable {
        public var token: [UInt8]
        public var count: Int
        public var string: String { String(decoding: token, as: UTF8.self) }
    }

    /// Every distinct token with its count, in vocabulary order (before `minCount`/`maxTokens`).
    public func countTokens(_ texts: [String]) -> [Entry] {
        let chunks = max(1, min(threads, texts.count / 256))
        var counter: TokenCounter
        if chunks == 1 {
            counter = TokenCounter()
            count(texts[...], into: &counter)
        } else {
            let results = UnsafeMutableBufferPointer<TokenCounter>.allocate(capacity: chunks)
            results.initialize(repeating: TokenCounter())
            defer { results.deinitialize(); results.deallocate() }
            nonisolated(unsafe) let shared = results
            let builder = self
            let size = (texts.count + chunks - 1) / chunks
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let range = (chunk * size)..<min(texts.count, (chunk + 1) * size)
                var local = TokenCounter()
                builder.count(texts[range], into: &local)
                shared[chunk] = local
            }
            counter = results[0]
            for chunk in 1..<chunks { counter.merge(results[chunk]) }
        }
        var entries = counter.entries()
        entries.removeAll { $0.token.elementsEqual(Vocabulary.unknownToken.utf8) }
        entries.sort { lhs, rhs in
            lhs.count != rhs.count ? lhs.count > rhs.count : rhs.token.lexicographicallyPrecedes(lhs.token)
        }
        return entries
    }

    /// The vocabulary tokens in id order: "", "[UNK]", then the kept tokens.
    public func tokens(_ texts: [String]) throws(TextRNNError) -> [[UInt8]] {
        if let maxTokens, maxTokens < 2 {
            throw TextRNNError(.invalidArgument, "maxTokens must be at least 2 (it counts \"\" and \"[UNK]\"), got \(maxTokens)")
        }
        guard minCount >= 1 else { throw TextRNNError(.invalidArgument, "minCount must be at least 1, got \(minCount)") }
        var kept = countTokens(texts).lazy.filter { $0.count >= minCount }.map(\.token)[...]
        if let maxTokens { kept = kept.prefix(maxTokens - 2) }
        return [[], Array(Vocabulary.unknownToken.utf8)] + kept
    }

    /// The fitted runtime `Vocabulary`.
    public func build(_ texts: [String]) throws(TextRNNError) -> Vocabulary {
        try Vocabulary(tokens: tokens(texts))
    }

    private func count(_ texts: ArraySlice<String>, into counter: inout TokenCounter) {
        let tokenizer = Tokenizer(config: config)
        var scratch = TokenizerScratch()
        for text in texts {
            var text = text
            text.withUTF8 { bytes in
                tokenizer.forEachToken(in: bytes, scratch: &scratch) { token in
                    if token.count <= TextLimits.maxTokenBytes { counter.add(token) }
                }
            }
        }
    }
}

/// Token -> count, keyed by byte slices without allocating per lookup: tokens live back to
/// back in one arena, an open-addressing table holds their indices.
struct TokenCounter: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var counts: [Int] = []
    private var hashes: [Int] = []
    private var slots = [Int32](repeating: -1, count: 1024)

    var count: Int { counts.count }

    mutating func add(_ token: UnsafeBufferPointer<UInt8>, count: Int = 1) {
        let hash = TokenCounter.hash(token)
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { break }
            if hashes[index] == hash {
                let start = starts[index]
                let length = starts[index + 1] - start
                if length == token.count
                    && arena.withUnsafeBufferPointer({ memcmp($0.baseAddress! + start, token.baseAddress!, length) == 0 })
                {
                    counts[index] += count
                    return
                }
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(counts.count)
        arena.append(contentsOf: token)
        starts.append(arena.count)
        counts.append(count)
        hashes.append(hash)
        if counts.count * 2 > slots.count { grow() }
    }

    mutating func merge(_ other: TokenCounter) {
        other.arena.withUnsafeBufferPointer { arena in
            for index in 0..<other.counts.count {
                add(UnsafeBufferPointer(rebasing: arena[other.starts[index]..<other.starts[index + 1]]), count: other.counts[index])
            }
        }
    }

    func entries() -> [VocabularyBuilder.Entry] {
        (0..<counts.count).map { VocabularyBuilder.Entry(token: Array(arena[starts[$0]..<starts[$0 + 1]]), count: counts[$0]) }
    }

    private mutating func grow() {
        var slots = [Int32](repeating: -1, count: self.slots.count * 2)
        let mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var slot = hash & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
        self.slots = slots
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 32
        hash &*= 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}
