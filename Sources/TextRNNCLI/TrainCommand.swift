import ArgumentParser
import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// The flags of `textrnn train` that set hyperparameters. Each is optional: unset flags keep the
/// value from `--config` or the default. Names follow the Keras argument names.
struct HyperparameterOptions: ParsableArguments {
    @Option(help: "JSON file with hyperparameters (same snake_case keys as these flags); flags override it.")
    var config: String?
    @Option(help: "Recurrent cell: lstm, gru or simple-rnn.") var cell: String?
    @Option(help: "Units of each recurrent layer, comma-separated (64,32 stacks two).") var units: String?
    @Option(help: "Wrap each recurrent layer in Bidirectional: true or false.") var bidirectional: Bool?
    @Option(name: .customLong("embedding-dim")) var embeddingDim: Int?
    @Option(name: .customLong("max-tokens"), help: "Vocabulary size including padding and [UNK] (Keras max_tokens).") var maxTokens: Int?
    @Option(name: .customLong("min-count"), help: "Drop tokens seen fewer times in the training texts.") var minCount: Int?
    @Option(help: "Add bigrams to the vocabulary and sequences: true or false (= --ngrams 2).") var bigrams: Bool?
    @Option(help: "Keras ngrams: 1 (words), 2 (+ bigrams) or 3 (+ trigrams).") var ngrams: Int?
    @Option(name: .customLong("sequence-length"), help: "Token ids per text (0: 95th percentile of training lengths).") var sequenceLength: Int?
    @Option(help: "Padding side: pre or post.") var padding: String?
    @Option(help: "Truncation side: pre (keep the end) or post (keep the start).") var truncating: String?
    @Option(help: "Standardization: lower_and_strip_punctuation, lower, strip_punctuation or none.") var standardize: String?
    @Option(name: .customLong("replace-html-breaks"), help: "Turn <br /> into spaces: true or false.") var replaceHTMLBreaks: Bool?
    @Option(help: "Pooling over time after the last recurrent layer: last, max or average.") var pooling: String?
    @Option(name: .customLong("dense-units"), help: "Hidden ReLU Dense layers before the output, comma-separated.") var denseUnits: String?
    @Option(help: "Dropout on recurrent inputs (Keras dropout).") var dropout: Float?
    @Option(name: .customLong("recurrent-dropout")) var recurrentDropout: Float?
    @Option(name: .customLong("embedding-dropout"), help: "SpatialDropout1D rate on the embeddings.") var embeddingDropout: Float?
    @Option(name: .customLong("dense-dropout"), help: "Dropout before each Dense layer.") var denseDropout: Float?
    @Option(name: .customLong("reset-after"), help: "GRU reset_after: true or false.") var resetAfter: Bool?
    @Option(help: "Add a TF-IDF bag-of-n-grams branch, mixed with the network on the validation data: true or false.") var bag: Bool?
    @Option(name: .customLong("pretrained-vectors"), help: "Initialize the embedding from a .vec file (word2vec/GloVe/fastText text; header optional); sets --embedding-dim.") var pretrainedVectors: String?
    @Option(name: .customLong("freeze-embeddings"), help: "Keep the embedding as initialized: true or false.") var freezeEmbeddings: Bool?
    @Option(help: "Optimizer: adam, rmsprop or sgd.") var optimizer: String?
    @Option(name: .customLong("learning-rate")) var learningRate: Float?
    @Option(help: "Momentum (SGD, RMSprop).") var momentum: Float?
    @Option(help: "Nesterov momentum (SGD): true or false.") var nesterov: Bool?
    @Option(help: "Clip gradients by global norm (Keras global_clipnorm).") var clipnorm: Float?
    @Option(help: "Learning-rate schedule: constant, exponential or cosine.") var schedule: String?
    @Option(name: .customLong("decay-rate"), help: "Exponential schedule: factor per epoch.") var decayRate: Float?
    @Option(name: .customLong("warmup-steps"), help: "Linear learning-rate warm-up steps.") var warmupSteps: Int?
    @Option var epochs: Int?
    @Option(name: .customLong("batch-size")) var batchSize: Int?
    @Option(name: .customLong("class-weight"), help: "none or balanced.") var classWeight: String?
    @Option(name: .customLong("bucket-by-length"), help: "Group batches by length (faster, exact): true or false.") var bucketByLength: Bool?
    @Option(name: .customLong("validation-split"), help: "Fraction of the training data held out (stratified) when no --validation file.") var validationSplit: Double?
    @Option(name: .customLong("early-stopping"), help: "Stop after this many epochs without a better validation loss (0: off); restores the best weights.") var earlyStopping: Int?
    @Option(help: "What early stopping watches: val_loss or val_accuracy.") var monitor: String?
    @Option var seed: UInt64?
    @Option(help: "Threads for training and encoding.") var threads: Int?

    func resolve() throws -> TrainingConfig {
        var config = TrainingConfig()
        if let path = self.config {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read config file") }
            do { config = try JSONDecoder().decode(TrainingConfig.self, from: data) } catch let error as TrainingError {
                throw ValidationError("\(path): \(error.description)")
            } catch { throw ValidationError("\(path): \(ConfigErrorText.describe(error, json: data))") }
        }
        func sizes(_ text: String, _ flag: String) throws -> [Int] {
            if text.isEmpty || text == "none" { return [] }
            let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == text.split(separator: ",").count else { throw ValidationError("\(flag): expected comma-separated integers, not \"\(text)\"") }
            return values
        }
        func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ flag: String, _ target: inout T) throws where T.RawValue == String {
            guard let text else { return }
            guard let value = T(rawValue: text) else {
                throw ValidationError("\(flag) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\"")
            }
            target = value
        }
        try choice(cell, "--cell", &config.cell)
        if let units { config.units = try sizes(units, "--units") }
        if let bidirectional { config.bidirectional = bidirectional }
        if let embeddingDim { config.embeddingDim = embeddingDim }
        if let maxTokens { config.maxTokens = maxTokens }
        if let minCount { config.minCount = minCount }
        if let bigrams { config.bigrams = bigrams }
        if let ngrams { config.ngrams = ngrams }
        if let sequenceLength { config.sequenceLength = sequenceLength }
        if let padding { config.padding = padding }
        if let truncating { config.truncating = truncating }
        if let standardize { config.standardize = standardize }
        if let replaceHTMLBreaks { config.replaceHTMLBreaks = replaceHTMLBreaks }
        try choice(pooling, "--pooling", &config.pooling)
        if pooling != nil { config.givenKeys.insert("pooling") }
        if epochs != nil { config.givenKeys.insert("epochs") }
        if let denseUnits { config.denseUnits = try sizes(denseUnits, "--dense-units") }
        if let dropout { config.dropout = dropout }
        if let recurrentDropout { config.recurrentDropout = recurrentDropout }
        if let embeddingDropout { config.embeddingDropout = embeddingDropout }
        if let denseDropout { config.denseDropout = denseDropout }
        if let resetAfter { config.resetAfter = resetAfter }
        if let bag { config.bag = bag }
        if let pretrainedVectors { config.pretrainedVectors = pretrainedVectors }
        if let freezeEmbeddings { config.freezeEmbeddings = freezeEmbeddings }
        do { try config.adoptPretrainedVectorSize(embeddingDimGiven: embeddingDim != nil || config.givenKeys.contains("embedding_dim")) } catch let error as TrainingError { throw ValidationError(error.description) }
        try choice(optimizer, "--optimizer", &config.optimizer)
        if let learningRate { config.learningRate = learningRate }
        if let momentum { config.momentum = momentum }
        if let nesterov { config.nesterov = nesterov }
        if let clipnorm { config.clipnorm = clipnorm }
        try choice(schedule, "--schedule", &config.schedule)
        if let decayRate { config.decayRate = decayRate }
        if let warmupSteps { config.warmupSteps = warmupSteps }
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        try choice(classWeight, "--class-weight", &config.classWeight)
        if let bucketByLength { config.bucketByLength = bucketByLength }
        if let validationSplit { config.validationSplit = validationSplit }
        if let earlyStopping { config.earlyStopping = earlyStopping }
        if let monitor { config.monitor = monitor }
        if let seed { config.seed = seed }
        if let threads { config.threads = threads }
        do { try config.validate() } catch let error as TrainingError { throw ValidationError(error.description) }
        return config
    }
}

extension ProgressReporter.Level: ExpressibleByArgument {}

/// Set by the SIGINT handler; the training loop checks it between batches.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent text classifier and export it as a bundle.",
        discussion: """
            Reads labelled text, fits a vocabulary on the training data only, trains, evaluates on the \
            validation data and writes BUNDLE (a directory NAME.textrnn). A checkpoint is written after \
            every epoch to BUNDLE.checkpoint; --resume continues from it. Ctrl-C saves a checkpoint and exits.
            """)

    @Option(help: "Training data: CSV, TSV, JSON Lines, fastText lines or a folder per class; NAME.gz is decompressed; - reads CSV (or --data-format) from standard input.") var train: String
    @Option(help: "Validation data (default: a stratified --validation-split of the training data).") var validation: String?
    @Option(help: "Where to write the bundle (a directory, conventionally NAME.textrnn).") var output: String
    @Option(help: "Also write a self-contained HTML report (learning curves, confusion matrix) to this file (default: none).") var report: String?
    @Flag(help: "Continue from OUTPUT.checkpoint if it exists.") var resume = false
    @Option(help: "Progress on standard error: bar (live on a terminal, plain lines when redirected), epochs (one line per epoch) or quiet.")
    var progress: ProgressReporter.Level = .bar
    @Flag(help: "Only print the final summary (= --progress quiet).") var quiet = false
    @Flag(help: "Write int8 weights (as textrnn quantize), compared with the float model on the validation data.") var quantize = false
    @Option(help: "Search the recipe space on the validation data for this long (300s, 5m, 1h) and keep the best model (default: no search).") var autotune: String?
    @Option(name: .customLong("autotune-trials"), help: "Search exactly this many recipes instead (deterministic; default: no search).") var autotuneTrials: Int?
    @OptionGroup var hyperparameters: HyperparameterOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        if let autotune, parseDuration(autotune) == nil {
            throw ValidationError("--autotune: expected a duration such as 300s, 5m or 1h, not \"\(autotune)\"")
        }
        if let autotuneTrials, autotuneTrials < 1 { throw ValidationError("--autotune-trials must be at least 1") }
    }

    func run() throws {
        try checkOutputs()
        var config = try hyperparameters.resolve()
        let progress = ProgressReporter(level: quiet ? .quiet : self.progress)
        let options = try data.datasetOptions()
        let loadedTrain = try DatasetLoader.load(train, options: options)
        if loadedTrain.skippedRows > 0 { progress.message("\(train): skipped \(loadedTrain.skippedRows) bad rows (first: \(loadedTrain.skipped.first!))") }
        let loadedValidation = try validation.map { try DatasetLoader.load($0, options: options, labelMap: loadedTrain.labelMap) }
        let (trainSet, validationSet, recipe) = TrainingRun.prepare(
            config: &config, train: loadedTrain, validation: loadedValidation, log: progress.message)

        let started = Date()
        var searchTrials: [RecipeSearch.Trial]? = nil
        let session: TrainingSession
        let encodedValidation: EncodedDataset?
        if autotune != nil || autotuneTrials != nil {
            guard let validationSet else { throw ValidationError("--autotune needs validation data: --validation FILE or --validation-split above 0") }
            let budget = autotune.flatMap(parseDuration)  // checked by validate()
            signal(SIGINT) { _ in interruptRequested = 1 }
            let search = RecipeSearch(base: config, budget: budget, trials: autotuneTrials)
            let (best, trials) = try search.run(
                train: trainSet, validation: validationSet, log: progress.message, shouldStop: { interruptRequested != 0 })
            signal(SIGINT, SIG_DFL)
            if interruptRequested != 0 { progress.message("interrupted: keeping the best trial so far") }
            (session, searchTrials) = (best, trials)
            encodedValidation = try session.encode(validationSet)
        } else {
            session = try TrainingSession(config: config, train: trainSet, log: progress.message)
            let encodedTrain = try session.encode(trainSet)
            encodedValidation = try validationSet.map { try session.encode($0) }
            try trainOnce(session, train: encodedTrain, validation: encodedValidation, progress: progress)
        }
        if let bag = session.bag { progress.message(bag.summary) }
        let seconds = Date().timeIntervalSince(started)

        var metrics: ClassificationMetrics? = nil
        var multiLabelMetrics: MultiLabelMetrics? = nil
        var metricsJSON: JSONValue? = nil
        if let encodedValidation, let validationSet {
            let computed = try TrainingRun.validationMetrics(session, encoded: encodedValidation, dataset: validationSet)
            (metrics, multiLabelMetrics, metricsJSON) = (computed.single, computed.multiLabel, computed.json)
            print(computed.report)
        }
        let training = session.trainingMetadata(
            dataset: train, trainRows: trainSet.count, validationRows: validationSet?.count ?? 0, metrics: metricsJSON, recipe: recipe,
            autotune: searchTrials.map(RecipeSearch.json))
        try BundleWriter.write(session.bundleContents(training: training), to: output)
        if quantize {
            try BundleQuantizer.quantize(bundle: output, output: output, validation: validationSet, validationName: validation ?? "validation split")
        }
        try? FileManager.default.removeItem(atPath: output + ".checkpoint")
        print(String(format: "trained %d epochs in %.1f s (%.0f samples/s); wrote %@", session.history.epochs.count, seconds,
                     Double(trainSet.count * session.history.epochs.count) / max(seconds, 1e-9), output))
        if let report {
            let hyperparameterTable: [(String, String)] = session.hyperparameterSummary
                + recipe.choices.map { ("chosen: \($0.key)", "\($0.value) (\($0.reason))") }
            try HTMLReport(
                title: "TextRNN training report", subtitle: ["data: \(train)", "bundle: \(output)"], history: session.history,
                metrics: metrics, multiLabelMetrics: multiLabelMetrics, hyperparameters: hyperparameterTable
            ).write(to: report)
            print("wrote \(report)")
        }
    }

    /// Every path this run writes, checked before any work: a run never fails at its end for a
    /// path it could have refused at its start, and never replaces what is not a bundle.
    private func checkOutputs() throws {
        do {
            try OutputCheck.bundle(output)
            try OutputCheck.file(output + ".checkpoint")
            if let report { try OutputCheck.file(report) }
        } catch { throw failure(error.message) }
    }

    /// One training run of `session`, with checkpoints, resume and Ctrl-C, then the bag branch.
    private func trainOnce(_ session: TrainingSession, train: EncodedDataset, validation: EncodedDataset?, progress: ProgressReporter) throws {
        let checkpointPath = output + ".checkpoint"
        if resume && FileManager.default.fileExists(atPath: checkpointPath) {
            try session.restoreCheckpoint(from: checkpointPath)
            progress.message("resuming from \(checkpointPath) at epoch \(session.position.epoch + 1), batch \(session.position.batch + 1)")
        }
        signal(SIGINT) { _ in interruptRequested = 1 }
        let outcome = try session.fit(
            train: train, validation: validation, progress: progress,
            checkpoint: { try $0.saveCheckpoint(to: checkpointPath) }, shouldStop: { interruptRequested != 0 })
        signal(SIGINT, SIG_DFL)
        switch try TrainingRun.settle(session, after: outcome, train: train, validation: validation, log: progress.message) {
        case .interrupted:
            progress.message("interrupted: checkpoint saved to \(checkpointPath); continue with the same command and --resume")
            throw ExitCode(130)
        case .diverged(let reason):
            // Printed even with --quiet (robustness, issue 6): a failing run must say why.
            FileHandle.standardError.write(Data("stopped: \(reason)\n".utf8))
            throw ExitCode.failure
        case .earlyStopped, .finished:
            break
        }
    }
}
