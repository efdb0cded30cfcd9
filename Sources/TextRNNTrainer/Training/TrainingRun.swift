import Foundation
import TextRNNRuntime

/// The steps of `textrnn train` between reading the rows and writing the bundle, shared by the
/// CLI (TrainCommand) and the trainer's C ABI (TextRNNTrainerCAPI), so that both train the same
/// model from the same rows and config.
public enum TrainingRun {
    /// Holds out `config.validationSplit` of `train` (stratified, seeded) when there is no
    /// validation set, logs the sizes and lets the data-aware recipe choose the keys the user did
    /// not set.
    public static func prepare(
        config: inout TrainingConfig, train: LabelledDataset, validation: LabelledDataset?, log: (String) -> Void
    ) -> (train: LabelledDataset, validation: LabelledDataset?, recipe: DataAwareRecipe) {
        var (train, validation) = (train, validation)
        if validation == nil && config.validationSplit > 0 {
            let split = train.stratifiedSplit(validationFraction: config.validationSplit, seed: config.seed)
            (train, validation) = (split.train, split.validation)
        }
        log("train: \(train.count) rows, \(train.classCount) labels; validation: \(validation?.count ?? 0) rows")
        let recipe = DataAwareRecipe(config: &config, texts: train.texts, tokenizer: Tokenizer(config: config.pipelineConfig))
        recipe.summary.forEach(log)
        return (train, validation, recipe)
    }

    /// The rows as the session's pipeline encodes them, stacked on the bag branch when the
    /// config asks (TrainingSession.stackOnBag: the bag's regression is then fitted first, and
    /// returned for `settle`).
    public static func encode(
        _ session: TrainingSession, train: LabelledDataset, validation: LabelledDataset?, log: (String) -> Void
    ) throws -> (train: EncodedDataset, validation: EncodedDataset?, regression: BagRegression?) {
        var encodedTrain = try session.encode(train)
        var encodedValidation = try validation.map { try session.encode($0) }
        let regression = session.stackOnBag(train: &encodedTrain, validation: &encodedValidation, log: log)
        return (encodedTrain, encodedValidation, regression)
    }

    /// After `TrainingSession.fit`: keeps the best epoch's weights and fits the bag branch
    /// (reusing `regression`, stackOnBag's, when the network was stacked on it). An interrupted
    /// or diverged run is returned untouched, for the caller to report.
    public static func settle(
        _ session: TrainingSession, after outcome: TrainingSession.StopReason, train: EncodedDataset,
        validation: EncodedDataset?, regression: BagRegression?, log: (String) -> Void
    ) throws -> TrainingSession.StopReason {
        switch outcome {
        case .interrupted, .diverged: return outcome
        case .earlyStopped(let epoch): log("early stopping: restored the weights of epoch \(epoch)")
        case .finished: session.restoreBest()
        }
        if session.config.bag { try session.fitBag(train: train, validation: validation, reusing: regression, log: log) }
        return outcome
    }

    /// The validation numbers of a trained session, as reports and as the manifest's metrics.
    public struct ValidationMetrics {
        public var single: ClassificationMetrics?
        public var multiLabel: MultiLabelMetrics?
        public var json: TextRNNRuntime.JSONValue
        public var report: String
        /// [rows, outputs] as the metrics saw them (the report's curves).
        public var probabilities: [Float]
    }

    public static func validationMetrics(
        _ session: TrainingSession, encoded: EncodedDataset, dataset: LabelledDataset
    ) throws -> ValidationMetrics {
        // With the bag, its result from before the regression was refit on these rows.
        let result = try session.bag?.validationResult ?? { let r = try session.evaluate(encoded); return (r.loss, r.probabilities) }()
        let predictions = Predictions(probabilities: result.probabilities, width: session.network.outputDim, output: session.plan.output)
        if session.multiLabel {
            let computed = MultiLabelMetrics(trueSets: dataset.labelSets, predictedSets: predictions.labelSets, labels: session.labelNames)
            let json: TextRNNRuntime.JSONValue = .object([
                ("split", .string("validation")), ("loss", .double(result.loss)), ("subset_accuracy", .double(computed.subsetAccuracy)),
                ("micro_f1", .double(computed.microF1)), ("macro_f1", .double(computed.macroF1)),
            ])
            return ValidationMetrics(single: nil, multiLabel: computed, json: json, report: computed.report(digits: 4), probabilities: result.probabilities)
        }
        let computed = ClassificationMetrics(trueLabels: dataset.labels, predictedLabels: predictions.labels, labels: session.labelNames)
        let json: TextRNNRuntime.JSONValue = .object([
            ("split", .string("validation")), ("loss", .double(result.loss)), ("accuracy", .double(computed.accuracy)),
            ("macro_f1", .double(computed.macroF1)), ("weighted_f1", .double(computed.weightedF1)),
        ])
        return ValidationMetrics(single: computed, multiLabel: nil, json: json, report: computed.report(digits: 4), probabilities: result.probabilities)
    }
}

