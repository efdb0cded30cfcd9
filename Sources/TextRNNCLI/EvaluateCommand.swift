import ArgumentParser
import Dispatch
import Foundation
import TextRNNRuntime
import TextRNNTrainer

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a bundle on labelled data: accuracy, per-class precision/recall/F1, confusion matrix.",
        discussion: "Predictions come from the runtime, exactly as textrnn predict and libtextrnn.so compute them.")

    @Argument(help: "The bundle directory.") var bundle: String
    @Argument(help: "Labelled data (CSV, TSV, JSON Lines, fastText lines or a folder per class; .gz, or - for standard input).") var data: String
    @Flag(help: "Print the metrics as JSON.") var json = false
    @OptionGroup var threshold: ThresholdOption
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let model = try loadModel(bundle)
        let dataset = try DatasetLoader.load(data, options: try dataOptions.datasetOptions(), labelMap: LabelMap(names: model.labels))
        if dataset.skippedRows > 0 {
            printError("\(data): skipped \(dataset.skippedRows) bad rows (first: \(dataset.skipped.first!))")
        }
        let probabilities = try model.probabilities(for: dataset.texts, threads: threads.workers)
        let width = model.labelCount
        var result: JSONValue
        if model.manifest.output == .multiLabelSigmoid {
            let predicted = (0..<dataset.count).map { row in LabelOrder.chosen(probabilities[(row * width)..<((row + 1) * width)], threshold: threshold.threshold) }
            let metrics = MultiLabelMetrics(trueSets: dataset.labelSets, predictedSets: predicted, labels: model.labels)
            guard json else { return print(metrics.report(digits: 4)) }
            result = metrics.json
        } else {
            let predicted = (0..<dataset.count).map { row in LabelOrder.top(probabilities[(row * width)..<((row + 1) * width)]) }
            let metrics = ClassificationMetrics(trueLabels: dataset.labels, predictedLabels: predicted, labels: model.labels)
            guard json else { return print(metrics.report(digits: 4)) }
            result = metrics.json
        }
        if case .object(let members) = result { result = .object(members + [("skipped_rows", .int(dataset.skippedRows))]) }
        print(result.rendered(indent: 2))
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
