/// A text's model input and, for each word, the input positions of every token holding it: its
/// unigram and, with n-grams, each bigram/trigram it is part of. Occluding the word replaces
/// the ids at those positions, so every other token stays where it was. For a bag branch that
/// reads the whole text, the same holds for the word's indices in the text's tokens.
struct OcclusionPlan: Sendable {
    /// Byte range of each word in the original text.
    let spans: [Range<Int>]
    /// The model input, exactly as `TextPipeline.encode` (and so `predict`) produces it.
    let ids: [Int32]
    /// Every token of the text (`TextPipeline.encodeTokens`) when the bag reads them, else empty.
    let tokens: [Int32]
    /// The character n-gram buckets of every word, when the bag reads them (else empty): word
    /// i's are characters[characterStarts[i]..<characterStarts[i + 1]].
    let characters: [UInt32]
    let characterStarts: [Int]
    /// Word i occupies positions[starts[i]..<starts[i + 1]] (ascending; empty = cut off) and
    /// tokenIndices[tokenStarts[i]..<tokenStarts[i + 1]].
    let starts: [Int]
    let positions: [Int]
    let tokenStarts: [Int]
    let tokenIndices: [Int]

    /// Plans the first min(words, wordLimit) words of `text`; `wholeText`: the model's bag
    /// branch reads every token; `characterSizes`: and its words' character n-grams.
    @_optimize(size)  // once per explanation, not per occluded pass: libtextrnn.so has a size budget (docs/packaging.md)
    init(
        pipeline: TextPipeline, text: UnsafeBufferPointer<UInt8>, wordLimit: Int, wholeText: Bool, characterSizes: ClosedRange<Int>?
    ) throws(TextRNNError) {
        var scratch = TokenizerScratch()
        var ids: [Int32] = []
        var tokens: [Int32] = []
        if wholeText {
            try pipeline.encodeTokens(text, into: &tokens, scratch: &scratch)
            tokens.withUnsafeBufferPointer { pipeline.window($0, into: &ids) }
        } else {
            try pipeline.encode(text, into: &ids, scratch: &scratch)
        }
        let spans = pipeline.tokenizer.wordSpans(in: text, scratch: &scratch)
        var characters: [UInt32] = [], characterStarts = [0]
        if let characterSizes {  // wordSpans left the standardized words in `scratch`
            var work = CharacterScratch()
            scratch.standardized.withUnsafeBufferPointer { standardized in
                for word in 0..<spans.count {
                    let bytes = UnsafeBufferPointer(rebasing: standardized[scratch.bounds[2 * word]..<scratch.bounds[2 * word + 1]])
                    CharacterNgrams.appendBuckets(of: bytes, sizes: characterSizes, into: &characters, scratch: &work)
                    characterStarts.append(characters.count)
                }
            }
        }
        let config = pipeline.config
        let words = spans.count
        // encode keeps at most maxTokens ids (the start token's among them) before truncating, so
        // the window sees no more.
        let room = TextLimits.maxTokens - (config.startToken == nil ? 0 : 1)
        let tokenCount = min(SequenceWindow.tokenCount(words: words, ngrams: config.ngrams), room)
        let window = SequenceWindow(tokenCount: tokenCount, config: config)
        guard window.length == ids.count else {
            throw TextRNNError(.internal, "explain: \(ids.count) ids encoded, but \(words) words place \(window.length)")
        }
        var starts = [0], tokenStarts = [0]
        var positions: [Int] = [], tokenIndices: [Int] = []
        let planned = min(words, max(wordLimit, 0))
        starts.reserveCapacity(planned + 1)
        for word in 0..<planned {
            var firstToken = 0  // index of the first token of the current width
            for width in 1...max(config.ngrams, 1) where width <= words {
                // The n-grams j of this width cover words j..<j + width.
                for gram in max(0, word - width + 1)...min(word, words - width) {
                    let token = firstToken + gram
                    if let position = window.position(ofToken: token) { positions.append(position) }
                    if token < tokens.count { tokenIndices.append(token) }
                }
                firstToken += words - width + 1
            }
            starts.append(positions.count)
            tokenStarts.append(tokenIndices.count)
        }
        self.spans = spans
        self.ids = ids
        self.tokens = tokens
        self.characters = characters
        self.characterStarts = characterStarts
        self.starts = starts
        self.positions = positions
        self.tokenStarts = tokenStarts
        self.tokenIndices = tokenIndices
    }

    var plannedWords: Int { starts.count - 1 }

    func positions(ofWord word: Int) -> ArraySlice<Int> { positions[starts[word]..<starts[word + 1]] }

    func tokenIndices(ofWord word: Int) -> ArraySlice<Int> { tokenIndices[tokenStarts[word]..<tokenStarts[word + 1]] }

    /// Whether the model sees `word` at all: in its input, or in the tokens its bag reads.
    func isSeen(_ word: Int) -> Bool { !positions(ofWord: word).isEmpty || !tokenIndices(ofWord: word).isEmpty }

    /// Whether occluding `word` changes what the bag branch reads: a token, or (an occluded
    /// word has no spelling) its character n-grams.
    func changesTokens(ofWord word: Int, replacement: Int32) -> Bool {
        tokenIndices(ofWord: word).contains { tokens[$0] != replacement }
            || (characterStarts.count > word + 1 && characterStarts[word + 1] > characterStarts[word])
    }

    /// The character n-gram buckets of every word but `word` (nil: of every word).
    func characters(without word: Int?, into out: inout [UInt32]) {
        out.removeAll(keepingCapacity: true)
        guard let word, characterStarts.count > word + 1 else { return out.append(contentsOf: characters) }
        out.append(contentsOf: characters[..<characterStarts[word]])
        out.append(contentsOf: characters[characterStarts[word + 1]...])
    }

    /// The input positions whose id occluding `word` changes, as the range from the first to the
    /// last; nil when none changes (the word is cut off, or its ids already are `replacement`).
    func changedRange(ofWord word: Int, replacement: Int32) -> ClosedRange<Int>? {
        var first = Int.max, last = -1
        for position in positions(ofWord: word) where ids[position] != replacement {
            first = min(first, position)
            last = max(last, position)
        }
        return last >= 0 ? first...last : nil
    }
}
