/// How a word is hidden from the model when measuring its contribution.
public enum Occlusion: String, Sendable, CaseIterable {
    /// Replace the word's token ids by the out-of-vocabulary id (1, or the bundle's
    /// `oov_token`): the model still sees "some word" there. The default.
    case oov
    /// Replace them by the padding id 0. With `mask_zero` embeddings the recurrent layers and
    /// masked pooling skip the step entirely, so this equals removing the word.
    case padding

    func replacementID(in vocabulary: Vocabulary) -> Int32 { self == .oov ? vocabulary.oovID : Vocabulary.paddingID }
}

/// One word of an explained text.
public struct WordContribution: Sendable, Equatable {
    /// The word's bytes in the original text: from its first to its last byte that
    /// standardization kept (so "(Great!)" gives the range of "Great").
    public let range: Range<Int>
    /// p(label | text) - p(label | text with this word occluded): positive pushes toward the
    /// label. Exactly 0 when `seen` is false.
    public let contribution: Float
    /// False when truncation to the sequence length cut off the word and every n-gram holding
    /// it: the model never saw it.
    public let seen: Bool

    public init(range: Range<Int>, contribution: Float, seen: Bool) {
        self.range = range
        self.contribution = contribution
        self.seen = seen
    }
}

/// Each word's contribution to one label's probability, by occlusion.
public struct Explanation: Sendable {
    /// The explained label's index.
    public let label: Int
    /// p(label | text), exactly what `predict` returns.
    public let probability: Float
    /// Words in the text (unigrams after standardization and splitting).
    public let wordCount: Int
    /// The first min(wordCount, wordLimit) words, in text order.
    public let words: [WordContribution]
}
