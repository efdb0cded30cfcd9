import Testing

@testable import TextRNNRuntime

/// The text pipeline equals Keras TextVectorization's defaults on ASCII text.
@Suite struct TextPipelineTests {
    let keras = Tokenizer(config: TextPipelineConfig())

    @Test func lowerAndStripPunctuationLikeKeras() {
        // Punctuation is deleted, not replaced: "it's" -> "its", "e-mail" -> "email".
        #expect(keras.tokens(of: "Hello, World! It's an E-MAIL (really).") == ["hello", "world", "its", "an", "email", "really"])
        #expect(keras.tokens(of: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") == [])
        #expect(keras.tokens(of: "a\tb\nc\u{0B}d\u{0C}e\rf  g") == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(keras.tokens(of: "   ") == [])
    }

    @Test func htmlBreaks() {
        #expect(keras.tokens(of: "one<br />two") == ["onebr", "two"])
        var config = TextPipelineConfig()
        config.replaceHTMLBreaks = true
        let tokenizer = Tokenizer(config: config)
        #expect(tokenizer.tokens(of: "one<br />two<BR>three<br/>four<b>five") == ["one", "two", "three", "fourbfive"])
    }

    @Test func nonASCIIPassesThroughUnchanged() {
        // Keras lowercases ASCII only; non-ASCII letters, punctuation and spaces stay as they are.
        #expect(keras.tokens(of: "Café NAÏVE “Quoted”") == ["café", "naÏve", "“quoted”"])
        #expect(keras.tokens(of: "a\u{00A0}b") == ["a\u{00A0}b"])
    }

    @Test func invalidUTF8AndNULBytesDoNotCrash() throws {
        let pipeline = TextPipeline(config: TextPipelineConfig(), vocabulary: try Vocabulary(strings: ["", "[UNK]", "ab"]))
        var ids: [Int32] = []
        var scratch = TokenizerScratch()
        let bytes: [UInt8] = [0xFF, 0x20, 0x61, 0x00, 0x62, 0x20, 0xC3]
        try bytes.withUnsafeBufferPointer { try pipeline.encode($0, into: &ids, scratch: &scratch) }
        #expect(ids == [1, 2, 1], "NUL is deleted, so a\\0b is the token ab")
    }

    @Test func bigramsFollowUnigrams() {
        var config = TextPipelineConfig()
        config.ngrams = 2
        #expect(Tokenizer(config: config).tokens(of: "A b, c") == ["a", "b", "c", "a b", "b c"])
        #expect(Tokenizer(config: config).tokens(of: "solo") == ["solo"])
        config.ngrams = 3
        #expect(Tokenizer(config: config).tokens(of: "A b, c d") == ["a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d"])
        #expect(Tokenizer(config: config).tokens(of: "x y") == ["x", "y", "x y"])
    }

    @Test func paddingAndTruncation() throws {
        let vocabulary = try Vocabulary(strings: ["", "[UNK]", "a", "b", "c", "d"])
        func encode(_ text: String, _ length: Int?, _ padding: TextPipelineConfig.Side, _ truncating: TextPipelineConfig.Side) throws -> [Int32] {
            try TextPipeline(
                config: TextPipelineConfig(sequenceLength: length, padding: padding, truncating: truncating),
                vocabulary: vocabulary
            ).encode(text)
        }
        #expect(try encode("a b zz", 5, .post, .post) == [2, 3, 1, 0, 0])
        #expect(try encode("a b zz", 5, .pre, .post) == [0, 0, 2, 3, 1])
        #expect(try encode("a b c d", 2, .post, .post) == [2, 3])
        #expect(try encode("a b c d", 2, .post, .pre) == [4, 5])
        #expect(try encode("a b c d", nil, .post, .post) == [2, 3, 4, 5])
        #expect(try encode("", nil, .post, .post) == [])
        #expect(try encode("", 3, .pre, .pre) == [0, 0, 0])
    }

    @Test func vocabularyRejectsBadTables() {
        #expect(throws: TextRNNError.self) { try Vocabulary(strings: ["[UNK]", ""]) }
        #expect(throws: TextRNNError.self) { try Vocabulary(strings: ["", "[UNK]", "a", "a"]) }
        #expect(throws: TextRNNError.self) { try Vocabulary(strings: ["", "[UNK]", ""]) }
    }

    @Test func vocabularyLookup() throws {
        let words = ["", "[UNK]"] + (0..<5000).map { "w\($0)" }
        let vocabulary = try Vocabulary(strings: words)
        for (id, word) in words.enumerated().dropFirst(1) { #expect(vocabulary.id(of: word) == Int32(id)) }
        #expect(vocabulary.id(of: "missing") == Vocabulary.unknownID)
        #expect(vocabulary.id(of: "") == Vocabulary.unknownID)
        #expect(vocabulary.token(4) == "w2")
    }

    // MARK: keras.datasets.imdb pipelines: text_to_word_sequence, a start token, another OOV id

    @Test func kerasTextToWordSequence() {
        let tokenizer = Tokenizer(config: TextPipelineConfig(standardize: .kerasTextToWordSequence, split: .space))
        // Filters become spaces (not deleted); the apostrophe is no filter; only spaces split.
        #expect(tokenizer.tokens(of: "Don't e-mail ME!\tX\nY a\rb c\u{0B}d") == ["don't", "e", "mail", "me", "x", "y", "a\rb", "c\u{0B}d"])
        #expect(tokenizer.tokens(of: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~") == [])
        #expect(tokenizer.tokens(of: "<br />Fin.") == ["br", "fin"])
        // Python's str.lower() lowercases every script, and U+0130 to "i" + U+0307.
        #expect(tokenizer.tokens(of: "ÉCOLE Straße ÀÖ \u{0130}") == ["école", "straße", "àö", "i\u{0307}"])
        // Invalid UTF-8 is kept, as the other standardizations keep it.
        var scratch = TokenizerScratch()
        var tokens: [[UInt8]] = []
        let bytes: [UInt8] = [0xFF, 0x41, 0x20, 0xC3]
        bytes.withUnsafeBufferPointer { tokenizer.forEachToken(in: $0, scratch: &scratch) { tokens.append(Array($0)) } }
        #expect(tokens == [[0xFF, 0x61], [0xC3]])
        let spans = bytes.withUnsafeBufferPointer { tokenizer.wordSpans(in: $0, scratch: &scratch) }
        #expect(spans == [0..<2, 3..<4])
        let wide = Array("xÉy AÉ".utf8)
        #expect(wide.withUnsafeBufferPointer { tokenizer.wordSpans(in: $0, scratch: &scratch) } == [0..<4, 5..<8])
    }

    @Test func startTokenAndAnotherOOVEntry() throws {
        // keras.datasets.imdb's layout: 1 start, 2 out of vocabulary, words from index_from = 3 on.
        let tokens = ["", Vocabulary.startToken, "[OOV]", "[unused 3]", "the", "film"]
        func encode(_ text: String, _ length: Int?, _ side: TextPipelineConfig.Side = .pre) throws -> [Int32] {
            let config = TextPipelineConfig(
                standardize: .none, sequenceLength: length, padding: side, truncating: side,
                startToken: Vocabulary.startToken, oovToken: "[OOV]")
            return try TextPipeline(config: config, tokens: tokens.map { Array($0.utf8) }).encode(text)
        }
        #expect(try encode("the film zz", nil) == [1, 4, 5, 2])
        #expect(try encode("the film zz", 6) == [0, 0, 1, 4, 5, 2])
        #expect(try encode("the film zz", 6, .post) == [1, 4, 5, 2, 0, 0])
        #expect(try encode("the film zz the", 3) == [5, 2, 4], "pre truncation drops the start token first")
        #expect(try encode("the film zz the", 3, .post) == [1, 4, 5])
        #expect(try encode("", 2) == [0, 1])
        #expect(try encode("[START] [OOV] [unused", nil) == [1, 2, 2, 2], "the start token is never a word's id")
        #expect(throws: TextRNNError.self) { try Vocabulary(strings: ["", "a", "b"]) }
        #expect(throws: TextRNNError.self) {
            try Vocabulary(tokens: [[], Array("[UNK]".utf8), Array("a".utf8)], startToken: "missing")
        }
        #expect(throws: TextRNNError.self) {
            try Vocabulary(tokens: [[], Array("[UNK]".utf8), Array("s".utf8), Array("s".utf8)], startToken: "s")
        }
        #expect(throws: TextRNNError.self) { try Vocabulary(tokens: [[], Array("a".utf8)], oovToken: "[OOV]") }
    }
}
