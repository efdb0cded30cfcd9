/// How raw text becomes a sequence of token ids: the `text` object of manifest.json.
///
/// The defaults equal Keras `TextVectorization(standardize="lower_and_strip_punctuation",
/// split="whitespace", output_mode="int")`. Text is handled as bytes: Keras lowercases and strips
/// ASCII only, so bytes >= 0x80 (every non-ASCII letter, punctuation mark or space, and invalid
/// UTF-8) pass through unchanged and become part of tokens.
public struct TextPipelineConfig: Sendable, Equatable {
    public enum Standardize: String, Sendable, CaseIterable {
        case lowerAndStripPunctuation = "lower_and_strip_punctuation"
        case lower = "lower"
        case stripPunctuation = "strip_punctuation"
        case none = "none"
    }

    public enum Side: String, Sendable, CaseIterable {
        case pre, post
    }

    public var standardize: Standardize = .lowerAndStripPunctuation
    /// Replace `<br>`, `<br/>` and `<br />` (ASCII case-insensitive) with a space before
    /// standardizing, as the Keras IMDB tutorial's custom standardization does.
    public var replaceHTMLBreaks: Bool = false
    /// 1: unigrams only. 2: unigrams followed by the bigrams "a b"; 3: then the trigrams
    /// "a b c" (Keras `ngrams=2` / `ngrams=3`).
    public var ngrams: Int = 1
    /// Fixed output length, or nil to keep every token (up to `TextLimits.maxTokens`).
    public var sequenceLength: Int? = nil
    public var padding: Side = .post
    public var truncating: Side = .post

    public init(
        standardize: Standardize = .lowerAndStripPunctuation, replaceHTMLBreaks: Bool = false,
        ngrams: Int = 1, sequenceLength: Int? = nil, padding: Side = .post, truncating: Side = .post
    ) {
        self.standardize = standardize
        self.replaceHTMLBreaks = replaceHTMLBreaks
        self.ngrams = ngrams
        self.sequenceLength = sequenceLength
        self.padding = padding
        self.truncating = truncating
    }
}

/// Hard limits that keep hostile input from choosing allocation sizes.
public enum TextLimits {
    /// Longest text accepted, in bytes (64 MiB).
    public static let maxTextBytes = 64 << 20
    /// Most token ids produced for one text when `sequenceLength` is nil.
    public static let maxTokens = 1 << 20
    /// Longest `sequenceLength` a manifest may declare.
    public static let maxSequenceLength = 1 << 20
    /// Most vocabulary entries a manifest may declare.
    public static let maxVocabularySize = 1 << 24
    /// Longest single vocabulary entry, in bytes.
    public static let maxTokenBytes = 1 << 16
}
