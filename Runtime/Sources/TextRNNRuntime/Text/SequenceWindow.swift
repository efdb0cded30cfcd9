/// Where the tokens of a text land in the model's input: which survive truncation to the
/// sequence length and how much padding precedes them. The start token, when the pipeline has
/// one, leads the tokens: it is truncated and padded as they are. `TextPipeline.encode` applies it;
/// explanations use it to find the input position of each token.
public struct SequenceWindow: Sendable, Equatable {
    /// Ids dropped from the front (truncating "pre"), the start token first.
    public let dropped: Int
    /// 1 when a start token leads the text's tokens, else 0.
    public let leading: Int
    /// Ids kept (the start token and tokens), in order.
    public let kept: Int
    /// Padding ids before the first kept token (padding "pre").
    public let leadingPadding: Int
    /// Padding ids after the last kept token (padding "post").
    public let trailingPadding: Int

    /// The window for a text of `tokenCount` tokens (unigrams and n-grams).
    public init(tokenCount: Int, config: TextPipelineConfig) {
        leading = config.startToken == nil ? 0 : 1
        let tokenCount = tokenCount + leading
        guard let length = config.sequenceLength else {
            dropped = 0
            kept = min(tokenCount, TextLimits.maxTokens)
            leadingPadding = 0
            trailingPadding = 0
            return
        }
        kept = min(tokenCount, length)
        dropped = config.truncating == .pre ? tokenCount - kept : 0
        let padding = length - kept
        leadingPadding = config.padding == .pre ? padding : 0
        trailingPadding = padding - leadingPadding
    }

    /// Ids in the model input.
    public var length: Int { leadingPadding + kept + trailingPadding }

    /// The input position of token `index`, or nil when truncation cut it off.
    @inline(__always)
    public func position(ofToken index: Int) -> Int? {
        let kept = index + leading - dropped
        return kept >= 0 && kept < self.kept ? leadingPadding + kept : nil
    }

    /// Tokens of a text with `words` unigrams under `ngrams` (1...3): each width w <= words
    /// contributes words - w + 1 n-grams (Keras order: all unigrams, then bigrams, ...).
    public static func tokenCount(words: Int, ngrams: Int) -> Int {
        var count = 0
        for width in 1...max(ngrams, 1) where width <= words { count += words - width + 1 }
        return count
    }
}
