import Foundation
import Testing

@testable import TextRNNRuntime

/// Character n-grams against scikit-learn's `char_wb` analyzer and zlib's CRC-32, the reference
/// the bag's spelling features were measured with (as multisets: the order differs). Expected
/// values printed by scikit-learn 1.x:
///
///     a = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
///     [zlib.crc32(g.encode()) % (1 << 20) for g in a(text)]
@Suite struct CharacterNgramTests {
    static let scikitLearn: [(text: String, buckets: [UInt32])] = [
        // " a", "a ", " a " (a word too short for n = 3 gives " a " once, then the sizes end)
        ("a", [550803, 92369, 320988]),
        ("ab", [550803, 215149, 801554, 443744, 86504, 456920]),
        ("word", [840386, 688391, 488839, 1027274, 433300, 986122, 114879, 846650, 781127, 420239, 95505, 723484, 422420, 990914]),
        // Characters, not bytes: "é" and "ï" are one character each.
        ("café naïve", [394943, 818005, 953460, 454977, 251491, 652888, 471776, 616233, 751794, 39888, 869045, 986702, 69949,
                        992516, 489986, 132376, 672497, 99620, 285016, 896469, 493589, 443599, 922444, 380686, 619226, 115658,
                        717409, 113138, 509837, 434665, 1016166, 1002956]),
        ("macintosh", [928696, 1005275, 293115, 521063, 822862, 1040883, 512708, 17681, 184736, 250776, 711638, 256869, 694685,
                       340186, 121521, 458499, 20080, 104016, 839292, 279125, 241741, 698034, 492626, 868740, 837710, 632725,
                       798503, 309064, 933199, 258734, 615448, 587123, 870072, 540969]),
    ]

    @Test func wordsGiveScikitLearnsNgramsHashedAsZlib() {
        var scratch = CharacterScratch()
        for (text, expected) in Self.scikitLearn {
            var buckets: [UInt32] = []
            for word in text.split(separator: " ") {
                var word = String(word)
                word.withUTF8 { CharacterNgrams.appendBuckets(of: $0, sizes: 2...5, into: &buckets, scratch: &scratch) }
            }
            // The same n-grams, in another order (by first character, not by size).
            #expect(buckets.sorted() == expected.sorted(), "\(text)")
        }
    }

    /// Sizes 4...5 (`char_ngrams: [4, 5]`): a word too short for the smallest gives " w " once.
    @Test func largerSizesFollowScikitLearnsShortWordRule() {
        var scratch = CharacterScratch()
        for (word, expected) in [("a", [320988]), ("ab", [456920]), ("abcd", [256242, 183569, 334726, 379412, 93562])] as [(String, [UInt32])] {
            var buckets: [UInt32] = [], word = word
            word.withUTF8 { CharacterNgrams.appendBuckets(of: $0, sizes: 4...5, into: &buckets, scratch: &scratch) }
            #expect(buckets.sorted() == expected.sorted(), "\(word)")
        }
    }

    /// The text path reads the tokenizer's standardized words; the ids path spells each id as
    /// the vocabulary does, skipping padding, [UNK] and n-gram entries. For a text whose words
    /// are all in the vocabulary the two agree.
    @Test func textAndIDsPathsAgreeOnKnownWords() throws {
        var config = TextPipelineConfig()
        config.ngrams = 2
        let pipeline = try TextPipeline(config: config, tokens: ["", "[UNK]", "café", "naïve", "café naïve"].map { Array($0.utf8) })
        var tokenizer = TokenizerScratch(), scratch = CharacterScratch()
        var text = "Café, naïve!"
        var tokens: [Int32] = []
        try text.withUTF8 { bytes in try pipeline.encodeTokens(bytes, into: &tokens, scratch: &tokenizer) }
        #expect(tokens == [2, 3, 4])
        var fromText: [UInt32] = [], fromIDs: [UInt32] = []
        CharacterNgrams.appendBuckets(ofWordsIn: tokenizer, sizes: 2...5, into: &fromText, scratch: &scratch)
        tokens.withUnsafeBufferPointer {
            CharacterNgrams.appendBuckets(ofIDs: $0, vocabulary: pipeline.vocabulary, sizes: 2...5, into: &fromIDs, scratch: &scratch)
        }
        #expect(fromText.sorted() == Self.scikitLearn[3].buckets.sorted())
        #expect(fromIDs == fromText)
        // An unknown word still has its spelling on the text path, none on the ids path.
        text = "Cafés"
        fromText = []
        try text.withUTF8 { bytes in try pipeline.encodeTokens(bytes, into: &tokens, scratch: &tokenizer) }
        CharacterNgrams.appendBuckets(ofWordsIn: tokenizer, sizes: 2...5, into: &fromText, scratch: &scratch)
        #expect(tokens == [1] && fromText.count == 18)
    }

    /// l2_blocks: the word and character features each have length 1/√2.
    @Test func blocksAreNormalizedApart() {
        let spec = BagSpec(unigrams: 4, bigrams: 0, characters: 3, norm: .l2Blocks)
        let features = BagFeatures(spec: spec, bigramKeys: [], characterBuckets: [5, 9, 700], idf: [0, 1, 2, 3, 1, 2, 4])
        var scratch = BagScratch()
        let ids: [Int32] = [2, 3, 3]
        let buckets: [UInt32] = [9, 9, 9, 700, 6]  // 6 is no feature
        ids.withUnsafeBufferPointer { ids in
            buckets.withUnsafeBufferPointer { features.features(ids, characters: $0, scratch: &scratch) }
        }
        #expect(scratch.indices == [2, 3, 5, 6])
        func length(_ values: ArraySlice<Float>) -> Float { values.map { $0 * $0 }.reduce(0, +).squareRoot() }
        let half = Float(0.5).squareRoot()
        #expect(abs(length(scratch.values[0..<2]) - half) < 1e-6)
        #expect(abs(length(scratch.values[2..<4]) - half) < 1e-6)
        // Within a block, sublinear tf times idf: 1 + ln 3 for bucket 9 (idf 2), 1 for 700 (idf 4).
        let ratio: Float = (1 + logf(3)) * 2 / 4
        #expect(abs(scratch.values[2] / scratch.values[3] - ratio) < 1e-5)
    }

    /// A model over "good", "bad", "movie", "plot" whose bag reads character n-grams, among them
    /// those of the unknown word "goodish"; seeded weights.
    static func model() throws -> Model {
        let (manifest, weights) = try bundle()
        return try load(manifest, weights)
    }

    static func bundle() throws -> (manifest: [UInt8], weights: [UInt8]) {
        let vocabulary = ["", "[UNK]", "good", "bad", "movie", "plot"]
        var all: [UInt32] = [], scratch = CharacterScratch()
        for word in vocabulary.dropFirst(2) + ["goodish"] {
            var word = word
            word.withUTF8 { CharacterNgrams.appendBuckets(of: $0, sizes: 2...5, into: &all, scratch: &scratch) }
        }
        let buckets = Array(Set(all)).sorted()
        let spec = BagSpec(unigrams: vocabulary.count, bigrams: 1, characters: buckets.count, norm: .l2Blocks)
        var state: UInt32 = 7
        func random(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / Float(1 << 24) * 2 - 1
            }
        }
        let layers: [LayerSpec] = [.embedding(inputDim: vocabulary.count, outputDim: 4, maskZero: true), .globalAveragePooling,
                                   .dense(units: 3, activation: .softmax)]
        let contents = BundleContents(
            text: TextPipelineConfig(sequenceLength: 8), vocabulary: vocabulary.map { Array($0.utf8) }, labels: ["x", "y", "z"],
            output: .softmax, layers: layers,
            tensors: [
                BundleTensor(name: "0/embeddings", shape: [vocabulary.count, 4], values: random(vocabulary.count * 4)),
                BundleTensor(name: "2/kernel", shape: [4, 3], values: random(12)),
                BundleTensor(name: "2/bias", shape: [3], values: random(3)),
                BundleTensor(name: BagSpec.idfTensor, shape: [spec.features], values: random(spec.features).map { 1.5 + $0 }),
                BundleTensor(name: BagSpec.bigramsTensor, shape: [1, 2], values: [2, 4]),  // "good movie"
                BundleTensor(name: BagSpec.kernelTensor, shape: [spec.features, 3], values: random(spec.features * 3).map { 3 * $0 }),
                BundleTensor(name: BagSpec.characterBucketsTensor, shape: [buckets.count], values: buckets.map { Float($0) }),
            ],
            bag: spec)
        return try BundleWriter.encode(contents)
    }

    /// Damaged character n-gram fields are refused, naming the field.
    @Test func damagedCharacterFieldsAreRefused() throws {
        let (bytes, weights) = try Self.bundle()
        let manifest = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        func damaged(_ change: (inout [String: Any], inout [String: Any]) -> Void) -> [String: Any] {
            var copy = manifest, bag = manifest["bag"] as! [String: Any]
            change(&copy, &bag)
            copy["bag"] = bag
            return copy
        }
        expectFailure(.invalidBundle, "char_ngrams") { try load(damaged { _, bag in bag["char_ngrams"] = [5, 2] }, weights) }
        expectFailure(.invalidBundle, "char_ngrams") { try load(damaged { _, bag in bag["char_ngrams"] = [2, 9] }, weights) }
        expectFailure(.invalidBundle, "char_ngrams") { try load(damaged { _, bag in bag["char_ngrams"] = [2] }, weights) }
        // A count that does not match the tensors: the first mismatching one is named.
        expectFailure(.invalidBundle, "bag: tensor \"bag/idf\"") { try load(damaged { _, bag in bag["char_buckets"] = 3 }, weights) }
        // Version 3 readers knew neither: a version 3 bundle may not use them.
        expectFailure(.invalidBundle, "l2_blocks") { try load(damaged { manifest, _ in manifest["format_version"] = 3 }, weights) }
    }

    /// Explaining occludes a word's spelling with it: each contribution is p(text) minus the
    /// prediction with the word's id replaced and its n-grams left out, computed here from the
    /// words one by one. The unknown word "goodish" contributes through its spelling alone.
    @Test(arguments: [Occlusion.oov, .padding]) func explainLeavesOutAnOccludedWordsNgrams(occlusion: Occlusion) throws {
        let model = try Self.model()
        #expect(model.manifest.formatVersion == 4)
        let text = "Good movie, goodish plot! bad"
        let words = model.pipeline.tokenizer.tokens(of: text)
        let ids = try model.pipeline.encode(text), tokens = try model.pipeline.encodeTokens(text)
        #expect(words.count == 5 && tokens == [2, 4, 1, 5, 3])  // good movie [UNK] plot bad
        func buckets(without skipped: Int?) -> [UInt32] {
            var out: [UInt32] = [], scratch = CharacterScratch()
            for (index, word) in words.enumerated() where index != skipped {
                var word = word
                word.withUTF8 { CharacterNgrams.appendBuckets(of: $0, sizes: 2...5, into: &out, scratch: &scratch) }
            }
            return out
        }
        func predict(_ ids: [Int32], _ tokens: [Int32], _ buckets: [UInt32]) throws -> [Float] {
            var probabilities = [Float](repeating: 0, count: 3)
            try ids.withUnsafeBufferPointer { ids in
                try tokens.withUnsafeBufferPointer { tokens in
                    try buckets.withUnsafeBufferPointer { buckets in
                        try probabilities.withUnsafeMutableBufferPointer {
                            try model.predict(tokenIDs: ids, bagTokens: tokens, bagCharacters: buckets, into: $0, scratch: PredictionScratch())
                        }
                    }
                }
            }
            return probabilities
        }
        let whole = try predict(ids, tokens, buckets(without: nil))
        #expect(whole == (try model.predict(text: text)))
        let explanation = try model.explain(text: text, occlusion: occlusion, threads: 2)
        let label = explanation.label, replacement = occlusion.replacementID(in: model.pipeline.vocabulary)
        var expected: [Float] = []
        for word in words.indices {  // no n-grams and no truncation: token i is word i, at position i
            var occludedIDs = ids, occludedTokens = tokens
            occludedIDs[word] = replacement
            occludedTokens[word] = replacement
            expected.append(whole[label] - (try predict(occludedIDs, occludedTokens, buckets(without: word)))[label])
        }
        #expect(explanation.words.map(\.contribution) == expected)
        #expect(expected[2] != 0, "the unknown word's spelling counts")
        // Ids without the text: the vocabulary's spelling, the same for a text of known words.
        let known = "good plot"
        let knownIDs = try model.pipeline.encode(known)
        var fromIDs = [Float](repeating: 0, count: 3)
        try knownIDs.withUnsafeBufferPointer { ids in
            try fromIDs.withUnsafeMutableBufferPointer { try model.predict(tokenIDs: ids, into: $0, scratch: PredictionScratch()) }
        }
        #expect(fromIDs == (try model.predict(text: known)))
    }
}
