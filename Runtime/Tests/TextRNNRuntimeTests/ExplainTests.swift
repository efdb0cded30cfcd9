import Testing

@testable import TextRNNRuntime

/// `Model.explain`: word spans in the original text, and contributions equal to predicting each
/// occluded id sequence independently (`OcclusionReference`), bit for bit.
@Suite struct ExplainTests {
    static let words = ["good", "bad", "film", "not", "very", "plot", "not good", "very bad", "not very good", "great"]
    static let text = "The film was NOT good, not very good... a very bad plot! Great  film; good-ish?"

    static func lstm(_ units: Int, sequences: Bool = false, backwards: Bool = false) -> RecurrentSpec {
        RecurrentSpec(cell: .lstm, units: units, returnSequences: sequences, goBackwards: backwards)
    }

    // MARK: spans

    func spans(_ text: [UInt8], _ config: TextPipelineConfig = TextPipelineConfig()) -> [[UInt8]] {
        var scratch = TokenizerScratch()
        let ranges = text.withUnsafeBufferPointer { Tokenizer(config: config).wordSpans(in: $0, scratch: &scratch) }
        return ranges.map { Array(text[$0]) }
    }

    @Test func spansCoverTheOriginalWords() {
        let text = "  Hello,  WORLD!! (don't)\tcafé\u{00A0}x e-mail?! ... <br />end"
        let expected = ["Hello", "WORLD", "don't", "café\u{00A0}x", "e-mail", "br", "end"]
        #expect(spans(Array(text.utf8)) == expected.map { Array($0.utf8) })
        var breaks = TextPipelineConfig()
        breaks.replaceHTMLBreaks = true
        #expect(spans(Array("one<br />two<BR>three".utf8), breaks) == ["one", "two", "three"].map { Array($0.utf8) })
    }

    @Test func spansOfInvalidUTF8AndNULBytes() {
        // NUL is deleted inside a word: a\0b is the word "ab", spanning all three bytes.
        #expect(spans([0xFF, 0x20, 0x61, 0x00, 0x62, 0x20, 0xC3]) == [[0xFF], [0x61, 0x00, 0x62], [0xC3]])
    }

    @Test func spansAgreeWithTheTokensTheyHold() {
        let tokenizer = Tokenizer(config: TextPipelineConfig())
        let text = Array(Self.text.utf8)
        let words = tokenizer.tokens(of: Self.text)
        let pieces = spans(text)
        #expect(pieces.count == words.count)
        for (piece, word) in zip(pieces, words) {
            #expect(tokenizer.tokens(of: String(decoding: piece, as: UTF8.self)) == [word])
        }
    }

    @Test(arguments: [1, 2])
    func explanationReportsSpansAndOffsets(_ ngrams: Int) throws {
        let model = try randomModel(
            [.recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)], text: TextPipelineConfig(ngrams: ngrams),
            words: Self.words)
        let text = "Not GOOD,  at\tall! \u{00E9}t\u{00E9}"
        let explanation = try model.explain(text: text)
        let bytes = Array(text.utf8)
        #expect(explanation.words.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["Not", "GOOD", "at", "all", "\u{00E9}t\u{00E9}"])
        #expect(explanation.words.map(\.range) == [0..<3, 4..<8, 11..<13, 14..<17, 19..<24])
    }

    // MARK: contributions

    @Test(arguments: 0..<7)
    func contributionsEqualTheIndependentComputation(_ architecture: Int) throws {
        let gru = RecurrentSpec(cell: .gru, units: 5, returnSequences: true)
        let rnn = RecurrentSpec(cell: .simpleRNN, units: 4, returnSequences: true)
        let stacks: [[LayerSpec]] = [
            [.bidirectional(forward: Self.lstm(6), backward: Self.lstm(6, backwards: true), mergeMode: .concat), .dense(units: 3, activation: .softmax)],
            [.recurrent(Self.lstm(5, sequences: true)), .recurrent(gru), .recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)],
            [.recurrent(Self.lstm(5, sequences: true, backwards: true)), .recurrent(Self.lstm(4, sequences: true)), .globalMaxPooling(masked: true), .dense(units: 3, activation: .softmax)],
            [.bidirectional(forward: gru, backward: RecurrentSpec(cell: .gru, units: 5, returnSequences: true, goBackwards: true), mergeMode: .sum),
             .recurrent(Self.lstm(3, sequences: true)), .globalAveragePooling, .dense(units: 3, activation: .softmax)],
            [.recurrent(rnn), .globalMaxPooling(masked: false), .dense(units: 3, activation: .softmax)],
            [.recurrent(RecurrentSpec(cell: .gru, units: 4, resetAfter: false)), .dense(units: 3, activation: .softmax)],
            [.embedding(inputDim: Self.words.count + 2, outputDim: 5, maskZero: false), .recurrent(Self.lstm(4, sequences: true)),
             .recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)],
        ]
        let model = try randomModel(stacks[architecture], words: Self.words, seed: UInt64(architecture + 3))
        try expectExplanationMatchesReference(model, Self.text)
        try expectExplanationMatchesReference(model, Self.text, occlusion: .padding)
        try expectExplanationMatchesReference(model, "good")
        try expectExplanationMatchesReference(model, "")
    }

    @Test(arguments: [(1, TextPipelineConfig.Side.post, TextPipelineConfig.Side.post), (2, .post, .pre), (2, .pre, .post), (3, .pre, .pre), (3, .post, .post)])
    func ngramsPaddingAndTruncation(_ ngrams: Int, _ padding: TextPipelineConfig.Side, _ truncating: TextPipelineConfig.Side) throws {
        let layers: [LayerSpec] = [
            .bidirectional(forward: Self.lstm(4), backward: Self.lstm(4, backwards: true), mergeMode: .concat),
            .dense(units: 3, activation: .softmax),
        ]
        // With a start token too: it leads the ids, shifting every word's position by one.
        for length in [nil, 8, 30, 60] as [Int?] {
            for start in [nil, Vocabulary.startToken] {
                let config = TextPipelineConfig(
                    ngrams: ngrams, sequenceLength: length, padding: padding, truncating: truncating, startToken: start)
                let model = try randomModel(layers, text: config, words: Self.words, seed: UInt64(ngrams * 7 + (length ?? 0)))
                try expectExplanationMatchesReference(model, Self.text)
                try expectExplanationMatchesReference(model, Self.text, occlusion: .padding)
            }
        }
    }

    @Test func truncatedWordsAreUnseenAndContributeNothing() throws {
        let config = TextPipelineConfig(sequenceLength: 4)
        let model = try randomModel([.recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)], text: config, words: Self.words)
        let explanation = try model.explain(text: "good film not good bad plot very bad")
        #expect(explanation.wordCount == 8)
        #expect(explanation.words.map(\.seen) == [true, true, true, true, false, false, false, false])
        #expect(explanation.words.dropFirst(4).allSatisfy { $0.contribution == 0 })
        #expect(explanation.words.prefix(4).contains { $0.contribution != 0 })
    }

    @Test func everyLabelAndOutputKind() throws {
        let layers: [LayerSpec] = [.recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)]
        let softmax = try randomModel(layers, words: Self.words)
        for label in 0..<3 { try expectExplanationMatchesReference(softmax, Self.text, label: label) }
        let binary = try randomModel(
            [.recurrent(Self.lstm(4)), .dense(units: 1, activation: .sigmoid)], words: Self.words, labels: ["neg", "pos"],
            output: .binarySigmoid)
        for label in [nil, 0, 1] as [Int?] { try expectExplanationMatchesReference(binary, Self.text, label: label) }
        let multi = try randomModel(
            [.recurrent(Self.lstm(4)), .dense(units: 3, activation: .sigmoid)], words: Self.words, output: .multiLabelSigmoid)
        for label in [nil, 0, 2] as [Int?] { try expectExplanationMatchesReference(multi, Self.text, label: label) }
    }

    @Test func int8Models() throws {
        let layers: [LayerSpec] = [
            .bidirectional(forward: Self.lstm(8), backward: Self.lstm(8, backwards: true), mergeMode: .concat),
            .dense(units: 3, activation: .softmax),
        ]
        let model = try randomModel(layers, text: TextPipelineConfig(ngrams: 2), words: Self.words, int8: true)
        try expectExplanationMatchesReference(model, Self.text)
    }

    @Test func resultDoesNotDependOnThreads() throws {
        let layers: [LayerSpec] = [
            .bidirectional(forward: Self.lstm(6), backward: Self.lstm(6, backwards: true), mergeMode: .concat),
            .dense(units: 3, activation: .softmax),
        ]
        let model = try randomModel(layers, text: TextPipelineConfig(ngrams: 2), words: Self.words)
        let text = String(repeating: Self.text + " ", count: 5)
        let one = try model.explain(text: text, threads: 1)
        for threads in [0, 2, 3, 64] {
            let other = try model.explain(text: text, threads: threads)
            #expect(other.words == one.words && other.label == one.label && other.probability == one.probability)
        }
    }

    @Test func wordLimitExplainsAPrefix() throws {
        let model = try randomModel([.recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)], words: Self.words)
        let full = try model.explain(text: Self.text)
        let partial = try Array(Self.text.utf8).withUnsafeBufferPointer { try model.explain(text: $0, wordLimit: 3) }
        #expect(partial.wordCount == full.wordCount && partial.words == Array(full.words.prefix(3)))
        let none = try Array(Self.text.utf8).withUnsafeBufferPointer { try model.explain(text: $0, wordLimit: 0) }
        #expect(none.words.isEmpty && none.wordCount == full.wordCount && none.probability == full.probability)
    }

    @Test func badArguments() throws {
        let model = try randomModel([.recurrent(Self.lstm(4)), .dense(units: 3, activation: .softmax)], words: Self.words)
        expectFailure(.invalidArgument, "label 3 is outside 0..<3") { try model.explain(text: "good", label: 3) }
        expectFailure(.invalidArgument, "label -1") { try model.explain(text: "good", label: -1) }
        expectFailure(.invalidArgument, "threads") { try model.explain(text: "good", threads: -1) }
    }
}
