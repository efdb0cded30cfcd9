import Glibc
import Testing

@testable import TextRNNRuntime

/// Character n-grams against scikit-learn's `char_wb` analyzer and zlib's CRC-32, the reference
/// the bag's spelling features were measured with. Expected values printed by scikit-learn 1.x:
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
            #expect(buckets == expected, "\(text)")
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
        #expect(fromText == Self.scikitLearn[3].buckets)
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
}
