import ArgumentParser
import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// The flags of `textrnn train` that set hyperparameters: one per row of the trainer's table
/// (`Hyperparameter.all`), `--NAME VALUE` or `--NAME=VALUE`, over `--config FILE`'s keys. Unset
/// flags keep the config file's value or the default; the data-aware recipe chooses only the
/// hyperparameters neither sets.
struct HyperparameterOptions: ParsableArguments {
    @Option(help: "JSON file with hyperparameters (the names below with underscores: {\"cell\": \"lstm\"}); flags override it.")
    var config: String?
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Hyperparameter flags (listed below).", valueName: "--name value"))
    var flags: [String] = []

    func resolve() throws -> TrainingConfig {
        do {
            var config = try self.config.map(TrainingConfig.init(configFile:)) ?? TrainingConfig()
            var words = flags[...]
            while let word = words.popFirst() {
                guard word.hasPrefix("--") else { throw TrainingError("unexpected argument \"\(word)\"") }
                var name = String(word.dropFirst(2)), value: String
                if let equals = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                } else {
                    guard let next = words.popFirst() else { throw TrainingError("\(word) needs a value") }
                    value = next
                }
                let key = name.replacingOccurrences(of: "-", with: "_")
                guard Hyperparameter.named(key) != nil else { throw TrainingError("unknown option --\(name) (see textrnn train --help)") }
                try config.set(key, to: value)
            }
            try config.resolve()
            return config
        } catch let error as TrainingError {
            throw ValidationError(error.description)
        }
    }

    /// The help section listing every hyperparameter flag with its values, default and range,
    /// wrapped here (ArgumentParser would wrap it without the indentation).
    static var helpSection: String {
        func wrap(_ text: String) -> String { wordWrapped(text, indent: "        ").joined(separator: "\n") }
        return "\nHYPERPARAMETERS (--config FILE: the same names with underscores as JSON keys):\n"
            + Hyperparameter.all.map { row in
                var values = row.choices.map { $0.joined(separator: "|") } ?? row.type
                var help = row.help
                // A choice list too long for the flag's line goes into the text, which wraps.
                if let choices = row.choices, "  \(row.flag) <\(values)>".count > 79 {
                    values = "choice"
                    help += " One of: \(choices.joined(separator: ", "))."
                }
                let valid = row.range == nil ? "" : " Valid: \(row.expected)."
                return "  \(row.flag) <\(values)>\n" + wrap("\(help) Default: \(row.defaultText).\(valid)")
            }.joined(separator: "\n")
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

            """ + HyperparameterOptions.helpSection)

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
            // Resuming, the checkpoint's weights replace the initial ones: skip making vectors.
            let resuming = resume && FileManager.default.fileExists(atPath: checkpointPath)
            session = try TrainingSession(config: config, train: trainSet, initialVectors: !resuming, log: progress.message)
            let (encodedTrain, stackedValidation, regression) = try TrainingRun.encode(
                session, train: trainSet, validation: validationSet, log: progress.message)
            encodedValidation = stackedValidation
            try trainOnce(session, train: encodedTrain, validation: encodedValidation, regression: regression, progress: progress)
        }
        session.bag?.summary.forEach(progress.message)
        let seconds = Date().timeIntervalSince(started)

        var metrics: ClassificationMetrics? = nil
        var multiLabelMetrics: MultiLabelMetrics? = nil
        var metricsJSON: JSONValue? = nil
        var validationProbabilities: [Float]? = nil
        if let encodedValidation, let validationSet {
            let computed = try TrainingRun.validationMetrics(session, encoded: encodedValidation, dataset: validationSet)
            (metrics, multiLabelMetrics, metricsJSON) = (computed.single, computed.multiLabel, computed.json)
            validationProbabilities = computed.probabilities
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
        // Samples/s of the network's epochs alone: the bag's search and fit are not per-sample work.
        let epochSeconds = session.history.totalSeconds
        print(String(format: "trained %d epochs in %.1f s (the epochs %.1f s, %.0f samples/s); wrote %@", session.history.epochs.count, seconds,
                     epochSeconds, Double(trainSet.count * session.history.epochs.count) / max(epochSeconds, 1e-9), output))
        if let report {
            let source = validation ?? (validationSet == nil ? "no validation data"
                : String(format: "validation split (a stratified %g%% of the training data)", config.validationSplit * 100))
            try HTMLReport.training(
                session: session, recipe: recipe, dataset: train, bundle: output,
                data: DataSummary(train: trainSet, validation: validationSet, validationSource: source), metrics: metrics,
                multiLabelMetrics: multiLabelMetrics, validationLabels: validationSet?.labels, probabilities: validationProbabilities,
                seconds: seconds, trials: searchTrials
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

    private var checkpointPath: String { output + ".checkpoint" }

    /// One training run of `session`, with checkpoints, resume and Ctrl-C, then the bag branch.
    private func trainOnce(
        _ session: TrainingSession, train: EncodedDataset, validation: EncodedDataset?, regression: BagRegression?, progress: ProgressReporter
    ) throws {
        if resume && FileManager.default.fileExists(atPath: checkpointPath) {
            try session.restoreCheckpoint(from: checkpointPath)
            progress.message("resuming from \(checkpointPath) at epoch \(session.position.epoch + 1), batch \(session.position.batch + 1)")
        }
        signal(SIGINT) { _ in interruptRequested = 1 }
        let outcome = try session.fit(
            train: train, validation: validation, progress: progress,
            checkpoint: { try $0.saveCheckpoint(to: checkpointPath) }, shouldStop: { interruptRequested != 0 })
        signal(SIGINT, SIG_DFL)
        switch try TrainingRun.settle(session, after: outcome, train: train, validation: validation, regression: regression, log: progress.message) {
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
