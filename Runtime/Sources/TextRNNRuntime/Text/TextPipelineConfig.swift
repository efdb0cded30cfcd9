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
        /// Keras `text_to_word_sequence`: Python's `str.lower()` (Unicode, per character), then
        /// each of its filter characters (ASCII punctuation except `'`, plus tab and newline)
        /// replaced by a space.
        case kerasTextToWordSequence = "keras_text_to_word_sequence"
    }

    public enum Split: String, Sendable, CaseIterable {
        /// Runs of ASCII whitespace, as TensorFlow's `tf.strings.split`.
        case whitespace
        /// Runs of spaces only, as Python's `str.split(" ")` with empty parts dropped.
        case space
    }

    public enum Side: String, Sendable, CaseIterable {
        case pre, post
    }

    public var standardize: Standardize = .lowerAndStripPunctuation
    /// Replace `<br>`, `<br/>` and `<br />` (ASCII case-insensitive) with a space before
    /// standardizing, as the Keras IMDB tutorial's custom standardization does.
    public var replaceHTMLBreaks: Bool = false
    public var split: Split = .whitespace
    /// 1: unigrams only. 2: unigrams followed by the bigrams "a b"; 3: then the trigrams
    /// "a b c" (Keras `ngrams=2` / `ngrams=3`).
    public var ngrams: Int = 1
    /// Fixed output length, or nil to keep every token (up to `TextLimits.maxTokens`).
    public var sequenceLength: Int? = nil
    public var padding: Side = .post
    public var truncating: Side = .post
    /// A vocabulary entry whose id leads every text's ids, before padding and truncation (the
    /// `start_char` of `keras.datasets.imdb`); nil for none. Never the id of a word.
    public var startToken: String? = nil
    /// The vocabulary entry unknown tokens get.
    public var oovToken: String = Vocabulary.unknownToken

    public init(
        standardize: Standardize = .lowerAndStripPunctuation, replaceHTMLBreaks: Bool = false,
        split: Split = .whitespace, ngrams: Int = 1, sequenceLength: Int? = nil, padding: Side = .post,
        truncating: Side = .post, startToken: String? = nil, oovToken: String = Vocabulary.unknownToken
    ) {
        self.standardize = standardize
        self.replaceHTMLBreaks = replaceHTMLBreaks
        self.split = split
        self.startToken = startToken
        self.oovToken = oovToken
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
