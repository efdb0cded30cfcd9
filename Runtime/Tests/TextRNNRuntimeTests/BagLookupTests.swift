import Testing

@testable import TextRNNRuntime

/// The bag's feature extraction parts: the bigram and character bucket lookup (one hash table)
/// against a dictionary, for first ids with 0, 1, 2, 3, 7 and 300 bigrams, every pair of ids
/// including padding and "[UNK]" (the empty slot's key is (0, 0)), and every bucket below 4,096;
/// the radix sort of a text's feature occurrences.
@Suite struct BagLookupTests {
    @Test func everyBigramIsFoundAndNothingElse() {
        var state: UInt64 = 12345
        func random(_ bound: Int) -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32((state >> 33) % UInt64(bound))
        }
        let vocabulary = 400
        var keys = Set<UInt64>()
        for (first, count) in [(2, 1), (3, 2), (5, 3), (7, 7), (11, 300), (399, 2)] {
            while keys.filter({ $0 >> 32 == UInt64(first) }).count < count {
                keys.insert(BagSpec.key(Int32(first), 2 + random(vocabulary - 2)))
            }
        }
        let sorted = keys.sorted()
        // Buckets that collide with the bigram keys' low halves, and others.
        let buckets = Array(Set((0..<200).map { _ in UInt32(random(4096)) } + sorted.prefix(50).map { UInt32($0 & 0xFFF) })).sorted()
        let unigrams = vocabulary
        let features = BagFeatures(
            spec: BagSpec(unigrams: unigrams, bigrams: sorted.count, characters: buckets.count), bigramKeys: sorted,
            characterBuckets: buckets, idf: [Float](repeating: 1, count: unigrams + sorted.count + buckets.count))
        let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32(unigrams + $0)) })
        for first in Int32(0)..<Int32(vocabulary) {
            for second in Int32(0)..<Int32(vocabulary) {
                #expect(features.feature(ofKey: BagSpec.key(first, second)) == index[BagSpec.key(first, second)], "(\(first), \(second))")
            }
        }
        #expect(features.feature(ofKey: BagSpec.key(-1, 3)) == nil && features.feature(ofKey: BagSpec.key(Int32(vocabulary) + 5, 3)) == nil)
        let bucketIndex = Dictionary(uniqueKeysWithValues: buckets.enumerated().map { ($1, Int32(unigrams + sorted.count + $0)) })
        for bucket in UInt32(0)..<4096 {
            #expect(features.feature(ofKey: BagSpec.characterKey(bucket)) == bucketIndex[bucket], "bucket \(bucket)")
        }
    }

    /// The features' radix sort against the standard library's, with one to three passes.
    @Test func radixSortSortsLikeTheStandardLibrary() {
        var state: UInt64 = 99
        var buffer: [Int32] = [7, 7, 7, 7, 7, 7, 7, 7, 7, 7]  // longer than some inputs: reused
        for (count, bound) in [(0, 10), (1, 10), (2, 2), (5, 3), (1000, 2047), (1000, 400_000), (3000, Int(Int32.max))] {
            var values = (0..<count).map { _ -> Int32 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int32((state >> 33) % UInt64(bound))
            }
            let expected = values.sorted()
            radixSort(&values, buffer: &buffer)
            #expect(values == expected, "\(count) values below \(bound)")
        }
    }
}
