/// A text's model input and, for each word, the input positions of every token holding it: its
/// unigram and, with n-grams, each bigram/trigram it is part of. Occluding the word replaces
/// the ids at those positions, so every other token stays where it was.
struct OcclusionPlan: Sendable {
    /// Byte range of each word in the original text.
    let spans: [Range<Int>]
    /// The model input, exactly as `TextPipeline.encode` (and so `predict`) produces it.
    let ids: [Int32]
    /// Word i occupies positions[starts[i]..<starts[i + 1]] (ascending; empty = cut off).
    let starts: [Int]
    let positions: [Int]

    /// Plans the first min(words, wordLimit) words of `text`.
    init(pipeline: TextPipeline, text: UnsafeBufferPointer<UInt8>, wordLimit: Int) throws(TextRNNError) {
        var scratch = TokenizerScratch()
        var ids: [Int32] = []
        try pipeline.encode(text, into: &ids, scratch: &scratch)
        let spans = pipeline.tokenizer.wordSpans(in: text, scratch: &scratch)
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
        var starts = [0]
        var positions: [Int] = []
        let planned = min(words, max(wordLimit, 0))
        starts.reserveCapacity(planned + 1)
        for word in 0..<planned {
            var firstToken = 0  // index of the first token of the current width
            for width in 1...max(config.ngrams, 1) where width <= words {
                // The n-grams j of this width cover words j..<j + width.
                for gram in max(0, word - width + 1)...min(word, words - width) {
                    if let position = window.position(ofToken: firstToken + gram) { positions.append(position) }
                }
                firstToken += words - width + 1
            }
            starts.append(positions.count)
        }
        self.spans = spans
        self.ids = ids
        self.starts = starts
        self.positions = positions
    }

    var plannedWords: Int { starts.count - 1 }

    func positions(ofWord word: Int) -> ArraySlice<Int> { positions[starts[word]..<starts[word + 1]] }

    /// The input positions whose id occluding `word` changes, as the range from the first to the
    /// last; nil when nothing changes (the word is cut off, or its ids already are `replacement`).
    func changedRange(ofWord word: Int, replacement: Int32) -> ClosedRange<Int>? {
        var first = Int.max, last = -1
        for position in positions(ofWord: word) where ids[position] != replacement {
            first = min(first, position)
            last = max(last, position)
        }
        return last >= 0 ? first...last : nil
    }
}
