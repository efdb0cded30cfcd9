import Foundation
import TextRNNRuntime

/// Fits the bag branch's features on the training texts' tokens (all of them, untruncated): every vocabulary id is a unigram
/// feature; adjacent id pairs seen in at least two training texts are bigram features, the most
/// frequent first, up to `maxBigrams`. Weights are scikit-learn's smoothed idf,
/// ln((1 + n) / (1 + df)) + 1, so a feature unseen in training still gets a finite weight.
enum BagBuilder {
    static func fit(_ data: EncodedDataset, vocabularySize: Int, maxBigrams: Int) -> BagFeatures {
        var unigramDF = [Int32](repeating: 0, count: vocabularySize)
        var bigramDF: [UInt64: Int32] = [:]
        var seen: [UInt64] = []
        data.tokens.withUnsafeBufferPointer { all in
            for row in 0..<data.count {
                let ids = UnsafeBufferPointer(rebasing: all[data.tokenStarts[row]..<data.tokenStarts[row + 1]])
                seen.removeAll(keepingCapacity: true)
                var previous: Int32 = 0
                for id in ids {
                    if id > 0 { seen.append(UInt64(id)) }
                    // Bigrams are marked with the top bit so they sort apart from unigrams.
                    if previous > 1 && id > 1 { seen.append(1 << 63 | BagSpec.key(previous, id)) }
                    previous = id
                }
                seen.sort()
                var last: UInt64? = nil
                for key in seen where key != last {
                    last = key
                    if key >> 63 == 0 { unigramDF[Int(key)] += 1 } else { bigramDF[key & ~(1 << 63), default: 0] += 1 }
                }
            }
        }
        let kept = bigramDF.filter { $0.value >= 2 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxBigrams)
        let keys = kept.map(\.key).sorted()
        let n = Float(data.count)
        func idf(_ df: Int32) -> Float { logf((1 + n) / (1 + Float(df))) + 1 }
        let weights = unigramDF.map(idf) + keys.map { idf(bigramDF[$0]!) }
        return BagFeatures(spec: BagSpec(unigrams: vocabularySize, bigrams: keys.count), bigramKeys: keys, idf: weights)
    }
}

/// One dataset's bag features as compressed sparse rows.
struct SparseRows {
    var rowStart: [Int] = [0]  // [rows + 1]
    var indices: [Int32] = []
    var values: [Float] = []
    var count: Int { rowStart.count - 1 }

    init() {}

    mutating func append(_ other: SparseRows) {
        let offset = indices.count
        rowStart += other.rowStart.dropFirst().map { $0 + offset }
        indices += other.indices
        values += other.values
    }

    init(_ data: EncodedDataset, features: BagFeatures) {
        var scratch = BagScratch()
        for row in 0..<data.count {
            data.withTokens(ofRow: row) { features.features($0, scratch: &scratch) }
            indices.append(contentsOf: scratch.indices)
            values.append(contentsOf: scratch.values)
            rowStart.append(indices.count)
        }
    }
}
