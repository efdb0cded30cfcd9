import CTextRNNKernels

/// The character n-grams a bag branch reads beside its word n-grams: scikit-learn's `char_wb`
/// analyzer on each word (the standardized unigram tokens), each n-gram hashed into one of
/// 2^20 buckets. Spelling carries what a word list misses on short texts: the n-grams of a word
/// seen once, or never, in training still match the n-grams of the words around it ("mac",
/// "macs", "macintosh"). Measured in bench/results/character-ngram-probe-20261206.txt.
///
/// A word w gives, for each size n in `sizes`, the n-grams of " w " (one space each side),
/// counted in characters (Unicode scalars: each starts at a byte that is not a UTF-8
/// continuation byte, 10xxxxxx): the window at offsets 0, 1, … while it fits; a word too short for n gives " w " once and ends
/// the sizes (scikit-learn's rule). An n-gram's bucket is the CRC-32 (zlib's) of its UTF-8
/// bytes, modulo 2^20.
public enum CharacterNgrams {
    public static let bucketBits = 20
    public static let bucketCount = 1 << bucketBits
    /// The sizes `textrnn train` uses (scikit-learn's `ngram_range=(2, 5)`).
    public static let defaultSizes = 2...5
    /// The longest n a bundle may ask for.
    public static let maxSize = 8

    /// Appends the bucket of each n-gram of `word` to `out`; `padded` and `starts` are scratch.
    public static func appendBuckets(
        of word: UnsafeBufferPointer<UInt8>, sizes: ClosedRange<Int>, into out: inout [UInt32], scratch: inout CharacterScratch
    ) {
        scratch.padded.removeAll(keepingCapacity: true)
        scratch.padded.append(0x20)
        scratch.padded.append(contentsOf: word)
        scratch.padded.append(0x20)
        scratch.starts.removeAll(keepingCapacity: true)
        for (index, byte) in scratch.padded.enumerated() where byte & 0xC0 != 0x80 { scratch.starts.append(index) }
        let length = scratch.starts.count  // characters of " w "
        scratch.starts.append(scratch.padded.count)
        let mask = UInt32(bucketCount - 1)
        scratch.padded.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!, starts = scratch.starts
            guard sizes.lowerBound <= length else {  // too short for every size: the whole " w " once
                out.append(trk_crc32(0, base, bytes.count) & mask)
                return
            }
            // scikit-learn's loop, by first character instead of by size (the same n-grams in
            // another order, which no count depends on): from each first character, the CRC
            // is extended one character at a time and each n-gram's is taken on the way.
            let largest = min(sizes.upperBound, length)
            for first in 0..<length {
                var crc: UInt32 = 0
                for last in first..<min(first + largest, length) {
                    crc = trk_crc32(crc, base + starts[last], starts[last + 1] - starts[last])
                    if last - first + 1 >= sizes.lowerBound { out.append(crc & mask) }
                }
            }
        }
    }

    /// Appends the buckets of every word of the text `scratch` last tokenized (its unigrams).
    public static func appendBuckets(
        ofWordsIn tokenizer: TokenizerScratch, sizes: ClosedRange<Int>, into out: inout [UInt32], scratch: inout CharacterScratch
    ) {
        let bounds = tokenizer.bounds
        tokenizer.standardized.withUnsafeBufferPointer { text in
            var index = 0
            while index < bounds.count {
                appendBuckets(of: UnsafeBufferPointer(rebasing: text[bounds[index]..<bounds[index + 1]]), sizes: sizes, into: &out, scratch: &scratch)
                index += 2
            }
        }
    }

    /// Appends the buckets of each word among `ids`, spelled as the vocabulary has it: what a
    /// caller that brings ids instead of text gets (`textrnn_predict_ids`). Padding, the
    /// out-of-vocabulary id, the start token and n-gram entries (they hold a space) are no words.
    @_optimize(size)  // the ids entry point only: libtextrnn.so has a size budget (docs/packaging.md)
    public static func appendBuckets(
        ofIDs ids: UnsafeBufferPointer<Int32>, vocabulary: Vocabulary, sizes: ClosedRange<Int>, into out: inout [UInt32],
        scratch: inout CharacterScratch
    ) {
        for id in ids where id > 0 && id != vocabulary.oovID && id != vocabulary.startID && Int(id) < vocabulary.count {
            let bytes = vocabulary.tokenBytes(Int(id))
            guard !bytes.contains(0x20) else { continue }
            bytes.withUnsafeBufferPointer { appendBuckets(of: $0, sizes: sizes, into: &out, scratch: &scratch) }
        }
    }
}

/// Reusable buffers for `CharacterNgrams`.
public struct CharacterScratch: Sendable {
    var padded: [UInt8] = []
    var starts: [Int] = []
    public init() {}
}
