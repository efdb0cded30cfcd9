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
    /// Threads for counting; the result is the same for any value. Default: 1 for unigrams
    /// (tokenizing dominates and a second thread gained nothing measurable on IMDB), the active
    /// processors (at most 4) with bigrams (IMDB, 25,000 reviews, idle 2-core machine: 1.28 s on
    /// one thread, 1.0 s on two; on a machine already busy, two threads are slower).
    public var threads: Int

    public init(config: TextPipelineConfig, maxTokens: Int? = nil, minCount: Int = 1, threads: Int? = nil) {
        self.config = config
        self.maxTokens = maxTokens
        self.minCount = minCount
        self.threads = max(1, threads ?? (config.ngrams >= 2 ? min(4, ProcessInfo.processInfo.activeProcessorCount) : 1))
    }

    /// A counted token.
    public struct Entry: Sendable, Equatable {
        public var token: [UInt8]
        public var count: Int
        public var string: String { String(decoding: token, as: UTF8.self) }
    }

    /// Every distinct token with its count, in vocabulary order (before `minCount`/`maxTokens`).
    public func countTokens(_ texts: [String]) -> [Entry] {
        let counter = countAll(texts)
        return counter.ranked(minCount: 1, limit: nil).map { counter.entry($0) }
    }

    /// The vocabulary tokens in id order: "", "[UNK]", the start token if the pipeline has one,
    /// then the kept tokens.
    public func tokens(_ texts: [String]) throws(TextRNNError) -> [[UInt8]] {
        let reserved = [[], Array(Vocabulary.unknownToken.utf8)] + (config.startToken.map { [Array($0.utf8)] } ?? [])
        if let maxTokens, maxTokens < reserved.count {
            throw TextRNNError(.invalidArgument, "maxTokens must be at least \(reserved.count) (it counts \"\", \"[UNK]\" and a start token), got \(maxTokens)")
        }
        guard minCount >= 1 else { throw TextRNNError(.invalidArgument, "minCount must be at least 1, got \(minCount)") }
        let counter = countAll(texts)
        let kept = counter.ranked(minCount: minCount, limit: maxTokens.map { $0 - reserved.count })
        return reserved + kept.map { counter.entry($0).token }
    }

    /// The fitted runtime `Vocabulary`.
    public func build(_ texts: [String]) throws(TextRNNError) -> Vocabulary {
        try Vocabulary(tokens: tokens(texts), config: config)
    }

    /// Counts on `threads` threads. Unigrams: each thread counts a chunk of the texts and the
    /// (small) tables are merged in chunk order. With bigrams the tables get large and merging
    /// costs as much as counting, so instead every thread tokenizes all the texts but counts only
    /// the tokens whose hash falls in its share; the tables are disjoint and are concatenated.
    /// The ranking depends on the counts only, so the result is the same for any thread count.
    private func countAll(_ texts: [String]) -> TokenCounter {
        let parts = max(1, min(threads, texts.count / 256))
        var counter: TokenCounter
        if parts == 1 {
            counter = TokenCounter()
            count(texts[...], part: 0, of: 1, into: &counter)
        } else {
            let byHash = config.ngrams >= 2
            let results = UnsafeMutableBufferPointer<TokenCounter>.allocate(capacity: parts)
            results.initialize(repeating: TokenCounter())
            defer {
                _ = results.deinitialize()
                results.deallocate()
            }
            nonisolated(unsafe) let shared = results
            let builder = self
            let size = (texts.count + parts - 1) / parts
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var local = TokenCounter()
                if byHash {
                    builder.count(texts[...], part: part, of: parts, into: &local)
                } else {
                    builder.count(texts[(part * size)..<min(texts.count, (part + 1) * size)], part: 0, of: 1, into: &local)
                }
                shared[part] = local
            }
            counter = results[0]
            for part in 1..<parts {
                if byHash { counter.appendDisjoint(results[part]) } else { counter.merge(results[part]) }
            }
        }
        counter.remove(Array(Vocabulary.unknownToken.utf8))
        if let start = config.startToken { counter.remove(Array(start.utf8)) }  // reserved, like "[UNK]"
        return counter
    }

    private func count(_ texts: ArraySlice<String>, part: Int, of parts: Int, into counter: inout TokenCounter) {
        let tokenizer = Tokenizer(config: config)
        var scratch = TokenizerScratch()
        for text in texts {
            var text = text
            text.withUTF8 { bytes in
                tokenizer.forEachToken(in: bytes, scratch: &scratch) { token in
                    guard token.count <= TextLimits.maxTokenBytes else { return }
                    let hash = TokenCounter.hash(token)
                    if parts == 1 || TokenCounter.partition(hash, parts) == part { counter.add(token, hash: hash) }
                }
            }
        }
    }
}

/// Token -> count, keyed by byte slices without allocating per lookup. Every distinct token is
/// one record in a byte arena: hash (8 bytes), count (8), length (4), then the token's bytes; an
/// open-addressing table holds, per slot, the top 24 bits of the hash and the record's offset
/// + 1 (0 = empty). A repeated token thus costs one table probe and one arena access.
struct TokenCounter: Sendable {
    private static let headerSize = 20
    private static let tagMask: UInt64 = 0xFFFF_FF00_0000_0000
    private static let offsetMask: UInt64 = 0x0000_00FF_FFFF_FFFF
    private var arena: [UInt8] = []
    private var slots = [UInt64](repeating: 0, count: 1024)
    private var records = 0
    /// False after `appendDisjoint`: the table no longer indexes every record.
    private var indexed = true

    var count: Int { records }

    /// The share of hash `hash` among `parts` threads (bits the table does not use for slots).
    static func partition(_ hash: Int, _ parts: Int) -> Int { Int((UInt64(bitPattern: Int64(hash)) >> 32) & 0xFF) % parts }

    mutating func add(_ token: UnsafeBufferPointer<UInt8>, hash: Int, count: Int = 1) {
        precondition(indexed, "TokenCounter: add after appendDisjoint")
        let tag = UInt64(bitPattern: Int64(hash)) & TokenCounter.tagMask
        let mask = slots.count - 1
        var slot = hash & mask
        let found: Int = slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBytes { arena in
                while true {
                    let value = slots[slot]
                    if value == 0 { return -1 }
                    if value & TokenCounter.tagMask == tag {
                        let offset = Int(value & TokenCounter.offsetMask) - 1
                        let length = Int(arena.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
                        if length == token.count
                            && (length == 0
                                || memcmp(arena.baseAddress! + offset + TokenCounter.headerSize, token.baseAddress!, length) == 0)
                        {
                            return offset
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if found >= 0 {
            arena.withUnsafeMutableBytes { arena in
                let old = arena.loadUnaligned(fromByteOffset: found + 8, as: Int.self)
                arena.storeBytes(of: old + count, toByteOffset: found + 8, as: Int.self)
            }
            return
        }
        let offset = arena.count
        precondition(UInt64(offset) < TokenCounter.offsetMask, "TokenCounter: arena too large")
        slots[slot] = tag | UInt64(offset + 1)
        withUnsafeBytes(of: hash) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: count) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(token.count)) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: token)
        records += 1
        if records * 2 > slots.count { grow() }
    }

    /// Adds the counts of `other`.
    mutating func merge(_ other: TokenCounter) {
        other.arena.withUnsafeBytes { arena in
            var offset = 0
            while offset < arena.count {
                let hash = arena.loadUnaligned(fromByteOffset: offset, as: Int.self)
                let count = arena.loadUnaligned(fromByteOffset: offset + 8, as: Int.self)
                let length = Int(arena.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
                let start = offset + TokenCounter.headerSize
                add(UnsafeBufferPointer(start: (arena.baseAddress! + start).assumingMemoryBound(to: UInt8.self), count: length), hash: hash, count: count)
                offset = start + length
            }
        }
    }

    /// Appends the records of a counter whose tokens are all absent from this one (another hash
    /// partition). Afterwards only ranking, `entry` and `remove` are allowed.
    mutating func appendDisjoint(_ other: TokenCounter) {
        arena.append(contentsOf: other.arena)
        records += other.records
        indexed = false
        slots = []
    }

    /// Calls `body(offset, count, length)` for every record, in arena order.
    private func forEachRecord(_ body: (Int, Int, Int) -> Void) {
        arena.withUnsafeBytes { arena in
            var offset = 0
            while offset < arena.count {
                let count = arena.loadUnaligned(fromByteOffset: offset + 8, as: Int.self)
                let length = Int(arena.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
                body(offset, count, length)
                offset += TokenCounter.headerSize + length
            }
        }
    }

    /// The token and count of the record at `offset`.
    func entry(_ offset: Int) -> VocabularyBuilder.Entry {
        arena.withUnsafeBytes { arena in
            let count = arena.loadUnaligned(fromByteOffset: offset + 8, as: Int.self)
            let length = Int(arena.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
            let start = offset + TokenCounter.headerSize
            return VocabularyBuilder.Entry(token: Array(arena[start..<start + length]), count: count)
        }
    }

    /// Drops `token` from the ranking (its count becomes 0).
    mutating func remove(_ token: [UInt8]) {
        var matches: [Int] = []
        forEachRecord { offset, _, length in
            let start = offset + TokenCounter.headerSize
            if length == token.count && arena[start..<start + length].elementsEqual(token) { matches.append(offset) }
        }
        for offset in matches {
            arena.withUnsafeMutableBytes { $0.storeBytes(of: 0, toByteOffset: offset + 8, as: Int.self) }
        }
    }

    /// Offsets of the records with at least `minCount` occurrences, count descending then token
    /// descending (bytes), at most `limit` of them. With a limit only the records at or above
    /// the limit's count threshold are sorted.
    func ranked(minCount: Int, limit: Int?) -> [Int] {
        let floor = max(1, minCount)
        var candidates: [Int] = []
        var candidateCounts: [Int] = []
        forEachRecord { offset, count, _ in
            if count >= floor {
                candidates.append(offset)
                candidateCounts.append(count)
            }
        }
        if let limit {
            guard limit > 0 else { return [] }
            if candidates.count > limit {
                candidateCounts.sort(by: >)
                let threshold = candidateCounts[limit - 1]
                arena.withUnsafeBytes { arena in
                    candidates.removeAll { arena.loadUnaligned(fromByteOffset: $0 + 8, as: Int.self) < threshold }
                }
            }
        }
        arena.withUnsafeBytes { arena in
            let base = arena.baseAddress!
            candidates.sort { left, right in
                let leftCount = arena.loadUnaligned(fromByteOffset: left + 8, as: Int.self)
                let rightCount = arena.loadUnaligned(fromByteOffset: right + 8, as: Int.self)
                if leftCount != rightCount { return leftCount > rightCount }
                let leftLength = Int(arena.loadUnaligned(fromByteOffset: left + 16, as: UInt32.self))
                let rightLength = Int(arena.loadUnaligned(fromByteOffset: right + 16, as: UInt32.self))
                let common = min(leftLength, rightLength)
                let order = common == 0
                    ? 0 : memcmp(base + left + TokenCounter.headerSize, base + right + TokenCounter.headerSize, common)
                return order != 0 ? order > 0 : leftLength > rightLength
            }
        }
        if let limit, candidates.count > limit { candidates.removeLast(candidates.count - limit) }
        return candidates
    }

    private mutating func grow() {
        var slots = [UInt64](repeating: 0, count: self.slots.count * 2)
        let mask = slots.count - 1
        arena.withUnsafeBytes { arena in
            var offset = 0
            while offset < arena.count {
                let hash = arena.loadUnaligned(fromByteOffset: offset, as: Int.self)
                let length = Int(arena.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
                var slot = hash & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = (UInt64(bitPattern: Int64(hash)) & TokenCounter.tagMask) | UInt64(offset + 1)
                offset += TokenCounter.headerSize + length
            }
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
