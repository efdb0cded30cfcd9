import Glibc

/// The bag-of-n-grams branch ("wide" part) beside the recurrent one. It reads the text's token
/// ids (format version 3: every token of the text; version 2: the model input, after truncation
/// to the sequence length): each id, and each pair of adjacent ids (a bigram), counts as a
/// feature; a text's features are TF-IDF weighted and, by default, L2-normalized, as
/// scikit-learn's `TfidfVectorizer(sublinear_tf=True)`, and go through a linear map whose output
/// is added to the last Dense layer's pre-activation. In Keras terms: `Concatenate([recurrent
/// features, tf-idf features])` into that Dense; the options below make Keras's
/// `TextVectorization(output_mode="tf_idf", ngrams=2)` (counts, no norm, every unknown unigram
/// or bigram counted as its index-0 OOV feature), optionally followed by `UnitNormalization`.
///
/// Feature index: f < `unigrams` is token id f (id 0, padding, never counts; feature 1 is the
/// OOV feature: "[UNK]" and every id from `unigrams` on count there, and with `oovBigrams`
/// every adjacent pair that is not a bigram feature too); f = `unigrams` + k is the k-th bigram
/// of `bigramKeys` (sorted, key = first id << 32 | second id). Bigrams with padding or "[UNK]"
/// (id 1) in them are not features. With character n-grams (format version 4), f = `unigrams` +
/// `bigrams` + k is the k-th bucket of `characterBuckets` (sorted; `CharacterNgrams`); a
/// bucket not among them counts nowhere.
///
/// Tensors (bundle names): `bag/idf` [features], `bag/bigrams` [bigrams, 2] (the id pairs, as
/// exact float32 integers), `bag/kernel` [features, outputs], and with character n-grams
/// `bag/char_buckets` [characters] (exact float32 integers).
public struct BagSpec: Sendable, Equatable {
    /// How a feature's count becomes its term frequency.
    public enum TermFrequency: String, Sendable, CaseIterable {
        case sublinear  // 1 + ln(count), scikit-learn's sublinear_tf
        case count  // the count itself, Keras's tf_idf
    }

    /// How a text's feature vector is scaled after the idf weights.
    public enum Norm: String, Sendable, CaseIterable {
        case l2  // unit Euclidean length (Keras: UnitNormalization after the tf_idf layer)
        /// The word features (unigrams and bigrams) and the character features each scaled to
        /// length 1/√2: neither block outweighs the other however many n-grams a text has
        /// (on six short-text tasks it gave a lower validation loss than one norm on all six).
        case l2Blocks = "l2_blocks"
        case none
    }

    public var unigrams: Int
    public var bigrams: Int
    /// Character n-gram features (0: none) and the n-gram sizes.
    public var characters: Int
    public var characterSizes: ClosedRange<Int>
    public var wordFeatures: Int { unigrams + bigrams }
    public var features: Int { unigrams + bigrams + characters }
    public var termFrequency: TermFrequency
    public var norm: Norm
    /// Every adjacent pair of tokens that is not a bigram feature counts as the OOV feature, as
    /// Keras's tf_idf layer counts each unknown bigram as index 0.
    public var oovBigrams: Bool
    /// The branch reads every token of the text (format version 3); false: the model input
    /// after truncation (version 2 bundles, read as they were written).
    public var wholeText: Bool

    public init(
        unigrams: Int, bigrams: Int, characters: Int = 0, characterSizes: ClosedRange<Int> = CharacterNgrams.defaultSizes,
        termFrequency: TermFrequency = .sublinear, norm: Norm = .l2, oovBigrams: Bool = false, wholeText: Bool = true
    ) {
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.characters = characters
        self.characterSizes = characterSizes
        self.termFrequency = termFrequency
        self.norm = norm
        self.oovBigrams = oovBigrams
        self.wholeText = wholeText
    }

    /// The OOV feature (the "[UNK]" id's).
    public static let oovFeature: Int32 = 1

    public static let idfTensor = "bag/idf"
    public static let bigramsTensor = "bag/bigrams"
    public static let kernelTensor = "bag/kernel"
    public static let characterBucketsTensor = "bag/char_buckets"

    /// Tensor names and shapes, for a model with `outputs` logits.
    public func weightShapes(outputs: Int) -> [(name: String, shape: [Int])] {
        [(Self.idfTensor, [features]), (Self.bigramsTensor, [bigrams, 2]), (Self.kernelTensor, [features, outputs])]
            + (characters > 0 ? [(Self.characterBucketsTensor, [characters])] : [])
    }

    @inline(__always) public static func key(_ first: Int32, _ second: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))
    }

    /// A character bucket's key in the lookup table: the top bit set, which no bigram key has
    /// (ids are below 2^24).
    @inline(__always) public static func characterKey(_ bucket: UInt32) -> UInt64 { 1 << 63 | UInt64(bucket) }
}

/// Reusable buffers for one text's bag features.
public struct BagScratch: Sendable {
    public var indices: [Int32] = []
    public var values: [Float] = []
    var sortBuffer: [Int32] = []  // `indices` between the passes of their radix sort
    public init() {}
}

/// Sorts non-negative values ascending: least significant 11 bits first, one pass per 11 bits
/// of the largest value (two passes below 4M features), each a counting sort through `buffer`.
/// For the few hundred to few thousand occurrences of a text it beats a comparison sort.
func radixSort(_ values: inout [Int32], buffer: inout [Int32]) {
    let count = values.count
    guard count > 1, let largest = values.max() else { return }
    if buffer.count != count {  // the two arrays trade places after each pass: same length
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: count))
    }
    var shift: Int32 = 0
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2048) { buckets in
        while shift == 0 || largest >> shift > 0 {
            values.withUnsafeMutableBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { target in
                    buckets.initialize(repeating: 0)
                    for value in source { buckets[Int((value >> shift) & 2047)] += 1 }
                    var total: Int32 = 0
                    for bucket in 0..<2048 {
                        let size = buckets[bucket]
                        buckets[bucket] = total
                        total += size
                    }
                    for value in source {
                        let bucket = Int((value >> shift) & 2047)
                        target[Int(buckets[bucket])] = value
                        buckets[bucket] += 1
                    }
                }
            }
            swap(&values, &buffer)
            shift += 11
        }
    }
}

/// The feature extractor: the spec with its idf weights and bigram table.
public struct BagFeatures: Sendable {
    public let spec: BagSpec
    public let bigramKeys: [UInt64]  // [bigrams] sorted
    public let characterBuckets: [UInt32]  // [characters] sorted
    public private(set) var idf: [Float]  // [features]
    /// The bigram and character keys in an open-addressing hash table (linear probing; 0 marks an empty slot,
    /// which no key is: first ids are at least 2) and each slot's feature. A lookup reads one
    /// or two neighbouring slots, and the lookups of a text do not depend on each other, so the
    /// processor overlaps their cache misses; a binary search is a chain of dependent misses
    /// (it was 9% of an IMDB default model's prediction time).
    let slotKeys: [UInt64]  // [capacity], a power of two
    let slotFeatures: [Int32]  // [capacity]
    let slotShift: UInt64  // 64 − log2(capacity)

    public init(spec: BagSpec, bigramKeys: [UInt64], characterBuckets: [UInt32] = [], idf: [Float]) {
        precondition(bigramKeys.count == spec.bigrams && characterBuckets.count == spec.characters && idf.count == spec.features)
        self.spec = spec
        self.bigramKeys = bigramKeys
        self.characterBuckets = characterBuckets
        self.idf = idf
        // At most two thirds full: a hit reads 2 slots on average, a miss 5 (mostly one line).
        let entries = bigramKeys.count + characterBuckets.count
        var bits: UInt64 = 4
        while (1 << bits) * 2 < entries * 3 { bits += 1 }
        slotShift = 64 - bits
        var keys = [UInt64](repeating: 0, count: 1 << bits), features = [Int32](repeating: 0, count: 1 << bits)
        let mask = (1 << Int(bits)) - 1, shift = slotShift
        func insert(_ key: UInt64, _ feature: Int) {
            var slot = Self.slot(key, shift: shift)
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            features[slot] = Int32(feature)
        }
        for (index, key) in bigramKeys.enumerated() { insert(key, spec.unigrams + index) }
        for (index, bucket) in characterBuckets.enumerated() { insert(BagSpec.characterKey(bucket), spec.wordFeatures + index) }
        slotKeys = keys
        slotFeatures = features
    }

    /// The same features with other weights.
    public func reweighted(_ idf: [Float]) -> BagFeatures {
        precondition(idf.count == spec.features)
        var copy = self
        copy.idf = idf
        return copy
    }

    /// Fibonacci hashing: the top bits of key × 2⁶⁴/φ.
    @inline(__always) static func slot(_ key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The feature of a key (a bigram's or a character bucket's), or nil.
    @inline(__always) func feature(ofKey key: UInt64) -> Int32? {
        let mask = slotKeys.count - 1
        var slot = Self.slot(key, shift: slotShift)
        while true {
            let stored = slotKeys[slot]
            if stored == 0 { return nil }
            if stored == key { return slotFeatures[slot] }
            slot = (slot + 1) & mask
        }
    }

    /// The one walk over a text's tokens, for prediction and for the trainer's fit: `token(id)`
    /// for each token (id > 0), then `pair(previous, id)` when the token before it was one too
    /// (padding between them breaks the pair).
    @inline(__always)
    public static func forEachToken(_ ids: UnsafeBufferPointer<Int32>, token: (Int32) -> Void, pair: (Int32, Int32) -> Void) {
        var previous: Int32 = 0
        for id in ids {
            if id > 0 {
                token(id)
                if previous > 0 { pair(previous, id) }
            }
            previous = id
        }
    }

    /// Raw feature occurrences of `ids` and the character `buckets` (unsorted, with repeats)
    /// appended to `out`.
    public func occurrences(_ ids: UnsafeBufferPointer<Int32>, characters buckets: UnsafeBufferPointer<UInt32>, into out: inout [Int32]) {
        out.reserveCapacity(out.count + 2 * ids.count)
        let unigrams = Int32(spec.unigrams), oov = BagSpec.oovFeature, oovBigrams = spec.oovBigrams
        Self.forEachToken(ids) { id in
            out.append(id < unigrams ? id : oov)
        } pair: { previous, id in
            if previous > 1 && id > 1, let feature = feature(ofKey: BagSpec.key(previous, id)) {
                out.append(feature)
            } else if oovBigrams {
                out.append(oov)
            }
        }
        guard spec.characters > 0 else { return }
        for bucket in buckets {
            if let feature = feature(ofKey: BagSpec.characterKey(bucket)) { out.append(feature) }
        }
    }

    /// The text's features: sorted unique `indices` with their TF-IDF `values` (scaled as the
    /// spec's norm says). `characters`: the buckets of the text's character n-grams.
    public func features(
        _ ids: UnsafeBufferPointer<Int32>, characters: UnsafeBufferPointer<UInt32> = .init(start: nil, count: 0), scratch: inout BagScratch
    ) {
        scratch.indices.removeAll(keepingCapacity: true)
        scratch.values.removeAll(keepingCapacity: true)
        occurrences(ids, characters: characters, into: &scratch.indices)
        radixSort(&scratch.indices, buffer: &scratch.sortBuffer)
        var write = 0, read = 0
        var wordNorm: Float = 0, characterNorm: Float = 0  // squared lengths of the two blocks
        let count = scratch.indices.count, wordFeatures = Int32(spec.wordFeatures)
        while read < count {
            let feature = scratch.indices[read]
            var run = 1
            while read + run < count && scratch.indices[read + run] == feature { run += 1 }
            let tf = spec.termFrequency == .sublinear ? 1 + logf(Float(run)) : Float(run)
            let value = tf * idf[Int(feature)]
            scratch.indices[write] = feature
            scratch.values.append(value)
            if feature < wordFeatures { wordNorm += value * value } else { characterNorm += value * value }
            write += 1
            read += run
        }
        scratch.indices.removeLast(count - write)
        let norm = wordNorm + characterNorm
        switch spec.norm {
        case .l2 where norm > 0:
            let scale = 1 / norm.squareRoot()
            for i in 0..<write { scratch.values[i] *= scale }
        case .l2Blocks:
            let half: Float = 0.5
            let wordScale = wordNorm > 0 ? (half / wordNorm).squareRoot() : 0
            let characterScale = characterNorm > 0 ? (half / characterNorm).squareRoot() : 0
            for i in 0..<write { scratch.values[i] *= scratch.indices[i] < wordFeatures ? wordScale : characterScale }
        default:
            break
        }
    }
}

/// The bag's kernel [features, outputs] as a bundle stores it: float32, or int8 with one scale
/// per output column. int8 stays int8 in memory (a quarter of the bytes; with many classes the
/// kernel is most of a bag model) and a weight is widened where it is read, as `Float(q) · scale`,
/// the value a widened copy would hold, so both give the same logits.
public enum BagKernel {
    case float(UnsafePointer<Float>)
    case int8(UnsafePointer<Int8>, scales: UnsafePointer<Float>)
}

extension BagFeatures {
    /// logits [outputs] += Σ_f value_f · kernel[f, :] over the features of `ids` and `characters`.
    public func addLogits(
        _ ids: UnsafeBufferPointer<Int32>, characters: UnsafeBufferPointer<UInt32>, kernel: BagKernel, outputs: Int,
        scratch: inout BagScratch, into logits: UnsafeMutablePointer<Float>
    ) {
        features(ids, characters: characters, scratch: &scratch)
        switch kernel {
        case .float(let kernel):
            for (feature, value) in zip(scratch.indices, scratch.values) {
                let row = kernel + Int(feature) * outputs
                for k in 0..<outputs { logits[k] += value * row[k] }
            }
        case .int8(let kernel, let scales):
            for (feature, value) in zip(scratch.indices, scratch.values) {
                let row = kernel + Int(feature) * outputs
                for k in 0..<outputs { logits[k] += value * (Float(row[k]) * scales[k]) }
            }
        }
    }
}

/// A bundle's bag branch, resolved: the extractor and the kernel [features, outputs].
struct CompiledBag: @unchecked Sendable {  // the kernel points into immutable weights
    let features: BagFeatures
    let kernel: BagKernel
    let outputs: Int

    /// Reads the bag tensors; the bigram table must hold distinct, ascending pairs of ids in
    /// 2..<vocabularySize (exact integers), which is what the writers produce.
    @_optimize(size)  // once per load: libtextrnn.so has a size budget (docs/packaging.md)
    init(spec: BagSpec, tensors: ResolvedTensors, outputs: Int, vocabularySize: Int) throws(TextRNNError) {
        let pointers = tensors.pointers
        let pairs = pointers[BagSpec.bigramsTensor]!
        var keys: [UInt64] = []
        keys.reserveCapacity(spec.bigrams)
        for k in 0..<spec.bigrams {
            let first = pairs[2 * k], second = pairs[2 * k + 1]
            guard first == first.rounded(), second == second.rounded(), first >= 2, second >= 2,
                  first < Float(vocabularySize), second < Float(vocabularySize)
            else {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(BagSpec.bigramsTensor)\" row \(k) is not a pair of token ids in 2..<\(vocabularySize)")
            }
            let key = BagSpec.key(Int32(first), Int32(second))
            guard keys.last.map({ $0 < key }) ?? true else {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(BagSpec.bigramsTensor)\" row \(k) is out of order or repeated")
            }
            keys.append(key)
        }
        var buckets: [UInt32] = []
        if spec.characters > 0 {
            let table = pointers[BagSpec.characterBucketsTensor]!
            for k in 0..<spec.characters {
                let value = table[k]
                guard value == value.rounded(), value >= 0, value < Float(CharacterNgrams.bucketCount),
                      buckets.last.map({ Float($0) < value }) ?? true
                else {
                    throw TextRNNError(.invalidBundle, "weights: tensor \"\(BagSpec.characterBucketsTensor)\" row \(k) is not a bucket in 0..<\(CharacterNgrams.bucketCount) above the one before")
                }
                buckets.append(UInt32(value))
            }
        }
        let idf = Array(UnsafeBufferPointer(start: pointers[BagSpec.idfTensor]!, count: spec.features))
        features = BagFeatures(spec: spec, bigramKeys: keys, characterBuckets: buckets, idf: idf)
        if let int8 = tensors.int8Pointers[BagSpec.kernelTensor] {
            kernel = .int8(int8.values, scales: int8.scales)
        } else {
            kernel = .float(pointers[BagSpec.kernelTensor]!)
        }
        self.outputs = outputs
    }

    /// logits [outputs] += the branch's output for `ids` and the character n-gram `buckets`.
    func addLogits(
        ids: UnsafeBufferPointer<Int32>, characters buckets: UnsafeBufferPointer<UInt32>, scratch: inout BagScratch,
        into logits: UnsafeMutablePointer<Float>
    ) {
        features.addLogits(ids, characters: buckets, kernel: kernel, outputs: outputs, scratch: &scratch, into: logits)
    }
}
