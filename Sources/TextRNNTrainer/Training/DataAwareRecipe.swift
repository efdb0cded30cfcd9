import TextRNNRuntime

/// The no-flag recipe's data-dependent part: what `textrnn train` chooses from the training texts
/// for the hyperparameters the user did not set, and why. The fixed defaults (TrainingConfig)
/// are the rest of the recipe; the bag branch's C and mix are chosen later, on validation data.
public struct DataAwareRecipe: Sendable {
    public struct Choice: Sendable {
        public let key: String
        public let value: String
        public let reason: String
    }
    public private(set) var choices: [Choice] = []

    /// Texts whose median token count is above this are "long": average pooling reads all of a
    /// long text; max pooling picks out the few telling words of a short one.
    static let longTextTokens = 64
    /// Below this many training texts an epoch has few steps: allow more epochs (early stopping
    /// still ends training when validation loss stops improving).
    static let smallDatasetRows = 5000
    /// How the recipe chooses each, for help and the docs (the table's `defaultRule`).
    static let poolingRule = "max, or average when the median training text is over \(longTextTokens) tokens"
    static let epochsRule = "10, or 20 with fewer than \(smallDatasetRows) training texts"
    /// Short texts (not long, above) read their words' character n-grams too, if the validation
    /// loss says so (fitBagRegression). On six short-text tasks built from the shared train
    /// splits (5 to 39 tokens) they lowered the bag's validation loss on all six; on ag_news_mini
    /// (38) they were neutral at ten times the features per text, and on whole IMDB reviews (172)
    /// they cost 1 to 2 points (bench/results/character-ngram-probe-20261206.txt).
    static let characterNgramsRule = "true when the median training text is at most \(longTextTokens) tokens (kept if they lower the validation loss)"

    /// Long texts (above) start the network from skip-gram vectors of their own words (SkipGram).
    /// On 20 Newsgroups' two validation parts they raised the model 0.4 and 1.0 points (the
    /// network alone 4); on IMDB's three (median 174 tokens) the network alone gained 1-2 points
    /// and the model stayed within noise (-0.04 on average); on three short-text tasks gensim's
    /// vectors gave 0.00, -0.67 and -0.09 points (docs/accuracy.md).
    static let skipgramRule = "true when the median training text is over \(longTextTokens) tokens and no --pretrained-vectors"

    public init(config: inout TrainingConfig, texts: [String], tokenizer: Tokenizer) {
        let counts = TrainingSession.sortedTokenCounts(texts, tokenizer: tokenizer)
        let median = counts.isEmpty ? 0 : counts[counts.count / 2]
        if !config.isGiven(\.pooling) {
            let long = median > Self.longTextTokens
            config.pooling = long ? .average : .max
            choices.append(Choice(key: "pooling", value: config.pooling.rawValue,
                                  reason: "median text is \(median) tokens (\(long ? ">" : "≤") \(Self.longTextTokens))"))
        }
        if !config.isGiven(\.bagCharacterNgrams) && config.bag {
            let short = median <= Self.longTextTokens
            config.bagCharacterNgrams = short
            choices.append(Choice(key: "bag_char_ngrams", value: "\(short)",
                                  reason: "median text is \(median) tokens (\(short ? "≤" : ">") \(Self.longTextTokens))"))
        }
        if !config.isGiven(\.skipgramVectors) && config.pretrainedVectors == nil {
            let long = median > Self.longTextTokens
            config.skipgramVectors = long
            choices.append(Choice(key: "skipgram_vectors", value: "\(long)",
                                  reason: "median text is \(median) tokens (\(long ? ">" : "≤") \(Self.longTextTokens))"))
        }
        if !config.isGiven(\.epochs) && texts.count < Self.smallDatasetRows {
            config.epochs = 20
            choices.append(Choice(key: "epochs", value: "20", reason: "\(texts.count) training texts (< \(Self.smallDatasetRows)); early stopping ends sooner"))
        }
    }

    /// One line per choice, for the training log.
    public var summary: [String] { choices.map { "recipe: \($0.key) \($0.value) (\($0.reason))" } }
}
