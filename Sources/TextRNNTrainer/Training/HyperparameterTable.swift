import TextRNNRuntime

extension Hyperparameter {
    /// Every hyperparameter of `textrnn train`, in the order help, the manifest and the report
    /// list them; named after the Keras argument where one exists. Defaults are the
    /// `TrainingConfig` property values; `defaultRule` says when the data-aware recipe
    /// (DataAwareRecipe) may choose another.
    public static var all: [Hyperparameter] {
        let sizes: ([Int]) -> Bool = { $0.allSatisfy { (1...4096).contains($0) } }
        let rate: (Float) -> Bool = { $0 >= 0 && $0 < 1 }
        return [
            // Text pipeline
            Hyperparameter("standardize", \.standardize, "Text standardization (Keras TextVectorization standardize)."),
            Hyperparameter("replace_html_breaks", \.replaceHTMLBreaks, "Turn `<br />`, `<br/>` and `<br>` into spaces before standardizing."),
            Hyperparameter("max_tokens", \.maxTokens, "Vocabulary size including padding and [UNK] (Keras max_tokens).",
                           range: "in 3...\(TextLimits.maxVocabularySize)", valid: { $0 >= 3 && $0 <= TextLimits.maxVocabularySize }),
            Hyperparameter("min_count", \.minCount, "Drop tokens seen fewer times in the training texts.", range: ">= 1", valid: { $0 >= 1 }),
            Hyperparameter("bigrams", \.bigrams, "Add bigrams to the vocabulary and sequences (the same as --ngrams 2; recorded as ngrams).",
                           recorded: []),
            Hyperparameter("ngrams", \.ngrams, "Keras ngrams: 1 (words), 2 (+ bigrams) or 3 (+ trigrams).",
                           range: "in 1...3", valid: { (1...3).contains($0) }),
            Hyperparameter("sequence_length", \.sequenceLength, "Token ids per text; 0: the 95th percentile of the training texts' lengths, at most \(TrainingSession.longestAutomaticLength).",
                           range: "in 0...100000", valid: { $0 >= 0 && $0 <= 100_000 }),
            Hyperparameter("padding", \.padding, "Padding side of short texts."),
            Hyperparameter("truncating", \.truncating, "Truncation side of long texts: pre keeps the end, post keeps the start."),
            Hyperparameter("start_token", \.startToken, "Lead every text's ids with a [START] entry (id 2), as keras.datasets.imdb's start_char."),
            // Model
            Hyperparameter("cell", \.cell, "Recurrent cell."),
            Hyperparameter("units", \.units, "Units of each recurrent layer, comma-separated (64,32 stacks two).",
                           range: "of 1 or more sizes in 1...4096", valid: { !$0.isEmpty && sizes($0) }),
            Hyperparameter("bidirectional", \.bidirectional, "Wrap each recurrent layer in Bidirectional (merge_mode concat)."),
            Hyperparameter("embedding_dim", \.embeddingDim, "Embedding size (set by --pretrained-vectors to the file's vector size).",
                           range: "in 1...4096", valid: { (1...4096).contains($0) }),
            Hyperparameter("reset_after", \.resetAfter, "GRU reset_after (true: the cuDNN-compatible variant, Keras's default)."),
            Hyperparameter("pooling", \.pooling, "Pooling over time after the last recurrent layer.", defaultRule: DataAwareRecipe.poolingRule),
            Hyperparameter("dense_units", \.denseUnits, "Hidden ReLU Dense layers before the output, comma-separated (none: no hidden layer).",
                           range: "of sizes in 1...4096", valid: sizes),
            Hyperparameter("dropout", \.dropout, "Dropout on the recurrent layers' inputs (Keras dropout).", range: "in [0, 1)", valid: rate),
            Hyperparameter("recurrent_dropout", \.recurrentDropout, "Dropout on the recurrent state (Keras recurrent_dropout).",
                           range: "in [0, 1)", valid: rate),
            Hyperparameter("embedding_dropout", \.embeddingDropout, "SpatialDropout1D rate on the embeddings.", range: "in [0, 1)", valid: rate),
            Hyperparameter("dense_dropout", \.denseDropout, "Dropout before each Dense layer.", range: "in [0, 1)", valid: rate),
            Hyperparameter("bag", \.bag, "Add a TF-IDF bag-of-n-grams branch, mixed with the network on the validation data."),
            Hyperparameter("bag_stacking", \.bagStacking,
                           "Train the network on what the bag leaves: its logits are added to the bag's out-of-fold logits (false: train it alone, then mix the two)."),
            Hyperparameter("bag_char_ngrams", \.bagCharacterNgrams,
                           "The bag also reads each word's character 2-5-grams (scikit-learn's char_wb, hashed into 2^20 buckets).",
                           defaultRule: DataAwareRecipe.characterNgramsRule),
            Hyperparameter("pretrained_vectors", \.pretrainedVectors,
                           "Initialize the embedding from a .vec file (word2vec/GloVe/fastText text; header optional)."),
            Hyperparameter("skipgram_vectors", \.skipgramVectors,
                           "Initialize the embedding from skip-gram vectors learned from the training texts (word2vec, gensim's defaults).",
                           defaultRule: DataAwareRecipe.skipgramRule),
            Hyperparameter("freeze_embeddings", \.freezeEmbeddings, "Keep the embedding as initialized (Keras trainable=False)."),
            // Optimization
            Hyperparameter("optimizer", \.optimizer, "Optimizer (Keras defaults for its other arguments)."),
            Hyperparameter("learning_rate", \.learningRate, "Initial learning rate.", range: "> 0", valid: { $0 > 0 }),
            Hyperparameter("momentum", \.momentum, "Momentum (sgd, rmsprop).", range: "in [0, 1]", valid: { $0 >= 0 && $0 <= 1 }),
            Hyperparameter("nesterov", \.nesterov, "Nesterov momentum (sgd)."),
            Hyperparameter("clipnorm", \.clipnorm, "Clip gradients to this global norm (Keras global_clipnorm); none: no clipping.",
                           range: "> 0", valid: { $0.map { $0 > 0 } ?? true }),
            Hyperparameter("schedule", \.schedule, "Learning-rate schedule."),
            Hyperparameter("decay_rate", \.decayRate, "Exponential schedule: learning-rate factor per epoch.", range: "> 0",
                           valid: { $0 > 0 }),
            Hyperparameter("warmup_steps", \.warmupSteps, "Linear learning-rate warm-up from 0 over this many steps.", range: ">= 0",
                           valid: { $0 >= 0 }),
            Hyperparameter("epochs", \.epochs, "The most epochs; early stopping usually ends training sooner.", range: "in 1...10000",
                           valid: { $0 >= 1 && $0 <= 10_000 }, defaultRule: DataAwareRecipe.epochsRule),
            Hyperparameter("batch_size", \.batchSize, "Texts per training step.", range: "in 1...65536", valid: { $0 >= 1 && $0 <= 65_536 }),
            Hyperparameter("class_weight", \.classWeight, "Weight the loss of each class (balanced: by inverse frequency, as scikit-learn)."),
            Hyperparameter("label_smoothing", \.labelSmoothing,
                           "Soften the training targets as Keras label_smoothing: y(1 - e) + e/classes (binary: + e/2).",
                           range: "in [0, 1)", valid: rate),
            Hyperparameter("bucket_by_length", \.bucketByLength, "Group batches by text length (faster; exact, padding is masked)."),
            // Validation and control
            Hyperparameter("validation_split", \.validationSplit, "Fraction of the training data held out (stratified) when no --validation file.",
                           range: "in [0, 1)", valid: { $0 >= 0 && $0 < 1 }),
            Hyperparameter("early_stopping", \.earlyStopping, "Stop after this many epochs without improving --monitor (0: off); the best epoch's weights are kept.",
                           range: ">= 0", valid: { $0 >= 0 }),
            Hyperparameter("monitor", \.monitor, "What early stopping watches (Keras EarlyStopping monitor)."),
            Hyperparameter("seed", \.seed, "Seed of every random choice: the same seed and data give the same bundle bytes."),
            Hyperparameter("threads", \.threads, "Threads for training and encoding.", range: "in 1...256", valid: { $0 >= 1 && $0 <= 256 }),
        ]
    }
}
