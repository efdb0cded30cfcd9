import Foundation
import TextRNNRuntime

/// The rows and label distribution of a run's training and validation data, for the report.
public struct DataSummary: Sendable {
    public var trainRows: Int
    public var validationRows: Int
    /// Where the validation rows came from: a file, or "a stratified 10% split of the training data".
    public var validationSource: String
    public var labels: [String]
    public var trainCounts: [Int]
    public var validationCounts: [Int]

    public init(train: LabelledDataset, validation: LabelledDataset?, validationSource: String) {
        func counts(_ data: LabelledDataset?) -> [Int] {
            var counts = [Int](repeating: 0, count: train.labelNames.count)
            for set in data?.labelSets ?? [] { for label in set where label < counts.count { counts[label] += 1 } }
            return counts
        }
        trainRows = train.count
        validationRows = validation?.count ?? 0
        self.validationSource = validationSource
        labels = train.labelNames
        trainCounts = counts(train)
        validationCounts = counts(validation)
    }
}

extension HTMLReport {
    /// The report of a `textrnn train` run: its data, every hyperparameter (the table's report
    /// rows and the recipe's choices), the learning curves with the epoch whose weights were
    /// kept, the validation metrics and, for a binary task, ROC and precision-recall curves.
    /// `seconds`: the whole training's wall clock, the bag's search and fit included; `trials`:
    /// `--autotune`'s (nil without a search).
    public static func training(
        session: TrainingSession, recipe: DataAwareRecipe, dataset: String, bundle: String, data: DataSummary,
        metrics: ClassificationMetrics?, multiLabelMetrics: MultiLabelMetrics?, validationLabels: [Int]?, probabilities: [Float]?,
        seconds: Double, trials: [RecipeSearch.Trial]?
    ) -> HTMLReport {
        let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        var report = HTMLReport(
            title: "TextRNN training report",
            subtitle: ["data: \(dataset)", "bundle: \(bundle)", "textrnn \(TextRNNVersion.string), \(date)"],
            history: session.history, metrics: metrics, multiLabelMetrics: multiLabelMetrics,
            hyperparameters: session.hyperparameterSummary + recipe.choices.map { ("chosen: \($0.key)", "\($0.value) (\($0.reason))") })
        report.data = data
        report.evaluatedOn = data.validationSource
        report.keptEpoch = session.keptEpoch
        report.trainingSeconds = seconds
        report.searchTrials = trials
        report.monitor = session.config.earlyStopping > 0 ? session.config.monitor.rawValue : nil
        if session.plan.output == .binarySigmoid, let validationLabels, let probabilities {
            report.binaryCurves = BinaryCurves(labels: validationLabels, scores: probabilities.map(Double.init))
        }
        return report
    }
}
