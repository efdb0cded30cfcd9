import TextRNNRuntime

/// Every hyperparameter of `textrnn train`, named after its Keras argument where one exists.
/// The JSON config file (`--config`) uses these snake_case keys; flags override it.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public enum Cell: String, Codable, Sendable, CaseIterable { case lstm, gru, simpleRNN = "simple-rnn" }
    public enum Pooling: String, Codable, Sendable, CaseIterable { case last, max, average }
    public enum OptimizerName: String, Codable, Sendable, CaseIterable { case adam, rmsprop, sgd }
    public enum Schedule: String, Codable, Sendable, CaseIterable { case constant, exponential, cosine }
    public enum ClassWeight: String, Codable, Sendable, CaseIterable { case none, balanced }

    // Text pipeline
    public var standardize: String = TextPipelineConfig.Standardize.lowerAndStripPunctuation.rawValue
    public var replaceHTMLBreaks: Bool = true
    /// Keras max_tokens: vocabulary size including "" and "[UNK]".
    public var maxTokens: Int = 60_000
    public var minCount: Int = 2
    public var bigrams: Bool = false
    /// Keras `ngrams`: 1 unigrams; 2 adds bigrams; 3 adds trigrams. `bigrams: true` means at least 2.
    public var ngrams: Int = 1
    /// Token ids per text; 0 lets the trainer pick the 95th percentile of training lengths.
    public var sequenceLength: Int = 0
    public var padding: String = "post"
    public var truncating: String = "post"
    /// Lead every text's ids with a "[START]" vocabulary entry (id 2), as `keras.datasets.imdb`'s
    /// start_char; config file only (`"start_token": true`).
    public var startToken: Bool = false

    // Model
    public var cell: Cell = .gru
    public var units: [Int] = [32]
    public var bidirectional: Bool = true
    public var embeddingDim: Int = 64
    public var resetAfter: Bool = true
    public var pooling: Pooling = .last
    /// Hidden Dense layers (ReLU) between the recurrent stack and the output layer.
    public var denseUnits: [Int] = []
    public var dropout: Float = 0.2
    public var recurrentDropout: Float = 0
    public var embeddingDropout: Float = 0.3
    public var denseDropout: Float = 0.3
    /// The bag-of-n-grams branch beside the recurrent one (FittedBag): a TF-IDF logistic
    /// regression on the token ids and their bigrams, mixed with the network on validation data.
    public var bag: Bool = true
    /// A `.vec` file (word2vec / GloVe / fastText text format) to initialize the embedding from.
    public var pretrainedVectors: String? = nil
    /// Keep the embedding as initialized (Keras `trainable=False`).
    public var freezeEmbeddings: Bool = false

    // Optimization
    public var optimizer: OptimizerName = .adam
    public var learningRate: Float = 0.002
    public var momentum: Float = 0
    public var nesterov: Bool = false
    public var clipnorm: Float? = nil
    public var schedule: Schedule = .constant
    public var decayRate: Float = 0.5
    public var warmupSteps: Int = 0
    /// The most epochs; early stopping usually ends training sooner.
    public var epochs: Int = 10
    public var batchSize: Int = 64
    public var classWeight: ClassWeight = .none
    /// Group batches by length so padding costs no time (exact: padding is masked).
    public var bucketByLength: Bool = true

    // Validation and control
    public var validationSplit: Double = 0.1
    /// Patience in epochs (0: off); the best epoch's weights are restored.
    public var earlyStopping: Int = 2
    /// What early stopping watches (Keras EarlyStopping `monitor`): val_loss or val_accuracy.
    public var monitor: String = "val_loss"
    public var seed: UInt64 = 42
    public var threads: Int = 2

    /// The snake_case keys the user set (config file keys and flags): the data-aware recipe
    /// (DataAwareRecipe) chooses only the others. Not part of the config file.
    public var givenKeys: Set<String> = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case standardize, bigrams, ngrams, padding, truncating, cell, units, bidirectional, pooling, dropout, bag
        case pretrainedVectors = "pretrained_vectors", freezeEmbeddings = "freeze_embeddings"
        case optimizer, momentum, nesterov, clipnorm, schedule, epochs, seed, threads, monitor
        case replaceHTMLBreaks = "replace_html_breaks", maxTokens = "max_tokens", minCount = "min_count"
        case sequenceLength = "sequence_length", embeddingDim = "embedding_dim", resetAfter = "reset_after"
        case denseUnits = "dense_units", recurrentDropout = "recurrent_dropout", embeddingDropout = "embedding_dropout"
        case denseDropout = "dense_dropout", learningRate = "learning_rate", decayRate = "decay_rate"
        case warmupSteps = "warmup_steps", batchSize = "batch_size", classWeight = "class_weight"
        case bucketByLength = "bucket_by_length", validationSplit = "validation_split", earlyStopping = "early_stopping"
        case startToken = "start_token"
    }

    /// Decodes a config file, keeping defaults for absent keys and refusing unknown ones.
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let known = Set(container.allKeys.map(\.stringValue))
        givenKeys = known
        let any = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = any.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw TrainingError("config: unknown key \"\(unknown)\"")
        }
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let decoded = try container.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        try read(.standardize, &standardize); try read(.replaceHTMLBreaks, &replaceHTMLBreaks)
        try read(.maxTokens, &maxTokens); try read(.minCount, &minCount); try read(.bigrams, &bigrams); try read(.ngrams, &ngrams)
        try read(.sequenceLength, &sequenceLength); try read(.padding, &padding); try read(.truncating, &truncating)
        try read(.startToken, &startToken)
        try read(.cell, &cell); try read(.units, &units); try read(.bidirectional, &bidirectional)
        try read(.embeddingDim, &embeddingDim); try read(.resetAfter, &resetAfter); try read(.pooling, &pooling)
        try read(.denseUnits, &denseUnits); try read(.dropout, &dropout); try read(.recurrentDropout, &recurrentDropout)
        try read(.embeddingDropout, &embeddingDropout); try read(.denseDropout, &denseDropout); try read(.bag, &bag)
        pretrainedVectors = try container.decodeIfPresent(String.self, forKey: .pretrainedVectors); try read(.freezeEmbeddings, &freezeEmbeddings)
        try read(.optimizer, &optimizer); try read(.learningRate, &learningRate); try read(.momentum, &momentum)
        try read(.nesterov, &nesterov); clipnorm = try container.decodeIfPresent(Float.self, forKey: .clipnorm)
        try read(.schedule, &schedule); try read(.decayRate, &decayRate); try read(.warmupSteps, &warmupSteps)
        try read(.epochs, &epochs); try read(.batchSize, &batchSize); try read(.classWeight, &classWeight)
        try read(.bucketByLength, &bucketByLength); try read(.validationSplit, &validationSplit)
        try read(.earlyStopping, &earlyStopping); try read(.monitor, &monitor); try read(.seed, &seed); try read(.threads, &threads)
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Refuses values no model could train with, naming the key.
    public func validate() throws {
        func check(_ condition: Bool, _ message: String) throws { if !condition { throw TrainingError("config: \(message)") } }
        try check(TextPipelineConfig.Standardize(rawValue: standardize) != nil, "standardize must be one of \(TextPipelineConfig.Standardize.allCases.map(\.rawValue).joined(separator: ", "))")
        try check(["pre", "post"].contains(padding), "padding must be pre or post")
        try check(["pre", "post"].contains(truncating), "truncating must be pre or post")
        try check(maxTokens >= 3 && maxTokens <= TextLimits.maxVocabularySize, "max_tokens must be in 3...\(TextLimits.maxVocabularySize)")
        try check(minCount >= 1, "min_count must be at least 1")
        try check((1...3).contains(ngrams), "ngrams must be 1, 2 or 3")
        try check(sequenceLength >= 0 && sequenceLength <= 100_000, "sequence_length must be in 0...100000 (0 = automatic)")
        try check(!units.isEmpty && units.allSatisfy { (1...4096).contains($0) }, "units must be one or more sizes in 1...4096")
        try check((1...4096).contains(embeddingDim), "embedding_dim must be in 1...4096")
        try check(denseUnits.allSatisfy { (1...4096).contains($0) }, "dense_units must be sizes in 1...4096")
        for (name, rate) in [("dropout", dropout), ("recurrent_dropout", recurrentDropout), ("embedding_dropout", embeddingDropout), ("dense_dropout", denseDropout)] {
            try check(rate >= 0 && rate < 1, "\(name) must be in [0, 1)")
        }
        try check(learningRate > 0 && learningRate.isFinite, "learning_rate must be positive")
        try check(clipnorm.map { $0 > 0 } ?? true, "clipnorm must be positive")
        try check(epochs >= 1 && epochs <= 10_000, "epochs must be in 1...10000")
        try check(batchSize >= 1 && batchSize <= 65_536, "batch_size must be in 1...65536")
        try check(validationSplit >= 0 && validationSplit < 1, "validation_split must be in [0, 1)")
        try check(earlyStopping >= 0, "early_stopping must be >= 0")
        try check(["val_loss", "val_accuracy"].contains(monitor), "monitor must be val_loss or val_accuracy")
        try check(threads >= 1 && threads <= 256, "threads must be in 1...256")
    }
}

public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
