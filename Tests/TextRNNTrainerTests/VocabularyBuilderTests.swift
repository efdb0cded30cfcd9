import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

@Suite("Vocabulary builder")
struct VocabularyBuilderTests {
    private func strings(_ tokens: [[UInt8]]) -> [String] { tokens.map { String(decoding: $0, as: UTF8.self) } }

    @Test func countDescendingThenTokenDescending() throws {
        // numpy: tokens [a b c d ab], counts [2 2 2 1 2]; np.lexsort((tokens, counts))[::-1]
        // gives c, b, ab, a, d (Keras IndexLookup.finalize_state).
        let builder = VocabularyBuilder(config: TextPipelineConfig())
        let tokens = try builder.tokens(["b a c", "A, b!", "c d ab ab"])
        #expect(strings(tokens) == ["", "[UNK]", "c", "b", "ab", "a", "d"])
        let entries = builder.countTokens(["b a c", "A, b!", "c d ab ab"])
        #expect(entries.map(\.count) == [2, 2, 2, 2, 1])
    }

    @Test func minCountAndMaxTokens() throws {
        let texts = ["x x x y y z", "y w"]
        // x 3, y 3, z 1, w 1: the tie between x and y goes to the greater token, y.
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig(), minCount: 2).tokens(texts)) == ["", "[UNK]", "y", "x"])
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig(), maxTokens: 3).tokens(texts)) == ["", "[UNK]", "y"])
        // max_tokens counts the two reserved entries: 2 keeps none.
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig(), maxTokens: 2).tokens(texts)) == ["", "[UNK]"])
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig(), maxTokens: 100).tokens(texts)) == ["", "[UNK]", "y", "x", "z", "w"])
        #expect(throws: TextRNNError.self) { try VocabularyBuilder(config: TextPipelineConfig(), maxTokens: 1).tokens(texts) }
        #expect(throws: TextRNNError.self) { try VocabularyBuilder(config: TextPipelineConfig(), minCount: 0).tokens(texts) }
    }

    @Test func bigramsComeFromTheTokenizer() throws {
        let config = TextPipelineConfig(ngrams: 2)
        let tokens = try VocabularyBuilder(config: config).tokens(["The cat. The cat"])
        // the, cat, "the cat" x2; "cat the" x1. numpy order: "the cat", "the", "cat", "cat the".
        #expect(strings(tokens) == ["", "[UNK]", "the cat", "the", "cat", "cat the"])
        // Encoding with the runtime pipeline finds the bigram ids.
        let pipeline = TextPipeline(config: config, vocabulary: try Vocabulary(tokens: tokens))
        // the=3 cat=4 sat=[UNK], then the bigrams "the cat"=2 and "cat sat"=[UNK].
        #expect(try pipeline.encode("the cat sat") == [3, 4, 1, 2, 1])
    }

    @Test func standardizationBreaksAndUnknownToken() throws {
        let plain = try VocabularyBuilder(config: TextPipelineConfig()).tokens(["Don't STOP<br />now"])
        #expect(strings(plain) == ["", "[UNK]", "stopbr", "now", "dont"])
        let breaks = try VocabularyBuilder(config: TextPipelineConfig(replaceHTMLBreaks: true)).tokens(["Don't STOP<br />now"])
        #expect(strings(breaks) == ["", "[UNK]", "stop", "now", "dont"])
        // With no standardization "[UNK]" can appear in text; it is never a learned token.
        let raw = try VocabularyBuilder(config: TextPipelineConfig(standardize: .none)).tokens(["[UNK] [UNK] x"])
        #expect(strings(raw) == ["", "[UNK]", "x"])
        let vocabulary = try VocabularyBuilder(config: TextPipelineConfig()).build(["b a c", "c"])
        #expect(vocabulary.count == 5)
        #expect(vocabulary.id(of: "c") == 2)
        #expect(vocabulary.id(of: "zzz") == Vocabulary.unknownID)
    }

    @Test func startTokenIsReservedAndLeadsEveryText() throws {
        // The trainer's `start_token: true`: "[START]" is entry 2, never counted as a word, and its
        // id leads the ids the training pipeline (the runtime's) gives.
        var config = TrainingConfig()
        config.startToken = true
        config.standardize = .none
        config.sequenceLength = 4
        let text = config.pipelineConfig
        let builder = VocabularyBuilder(config: text, maxTokens: 4)
        #expect(strings(try builder.tokens(["[START] b a b", "b"])) == ["", "[UNK]", "[START]", "b"])
        let pipeline = TextPipeline(config: text, vocabulary: try builder.build(["[START] b a b", "b"]))
        #expect(try pipeline.encode("b [START] zz") == [2, 3, 1, 1])
        #expect(throws: TextRNNError.self) { try VocabularyBuilder(config: text, maxTokens: 2).tokens(["b"]) }
    }

    @Test func emptyInput() throws {
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig()).tokens([])) == ["", "[UNK]"])
        #expect(strings(try VocabularyBuilder(config: TextPipelineConfig(), threads: 2).tokens(["...", " "])) == ["", "[UNK]"])
    }

    @Test func nonASCIITokensOrderByBytes() throws {
        // "é" is 0xC3 0xA9, after every ASCII byte: it sorts first among equal counts.
        let tokens = try VocabularyBuilder(config: TextPipelineConfig()).tokens(["zebra café cafe"])
        #expect(strings(tokens) == ["", "[UNK]", "zebra", "café", "cafe"])
    }

    @Test func parallelCountingIsDeterministicOnIMDB() throws {
        let all = try DatasetLoader.load(try DataTestSupport.dataPath("imdb/train.csv"))
        // Every 5th review, both classes: keeps debug builds quick.
        let data = all.subset(Array(stride(from: 0, to: all.count, by: 5)))
        let config = TextPipelineConfig(replaceHTMLBreaks: true, ngrams: 2)
        var start = Date()
        let serial = try VocabularyBuilder(config: config, maxTokens: 20_000, threads: 1).tokens(data.texts)
        let serialSeconds = Date().timeIntervalSince(start)
        start = Date()
        let parallel = try VocabularyBuilder(config: config, maxTokens: 20_000, threads: 2).tokens(data.texts)
        let parallelSeconds = Date().timeIntervalSince(start)
        print("IMDB (5,000 reviews) bigram vocabulary: 1 thread \(String(format: "%.2f", serialSeconds)) s, 2 threads \(String(format: "%.2f", parallelSeconds)) s")
        #expect(serial == parallel)
        let unigramSerial = try VocabularyBuilder(config: TextPipelineConfig(), threads: 1).tokens(data.texts)
        let unigramParallel = try VocabularyBuilder(config: TextPipelineConfig(), threads: 2).tokens(data.texts)
        #expect(unigramSerial == unigramParallel)
        #expect(serial.count == 20_000)
        #expect(strings(Array(serial.prefix(4))) == ["", "[UNK]", "the", "and"])
        // Counts never increase along the list.
        let counts = VocabularyBuilder(config: config, threads: 2).countTokens(data.texts)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0.count >= $1.count })
        #expect(counts.first?.string == "the")
    }
}
