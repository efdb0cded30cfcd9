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
    @Argument(help: "Labelled data (CSV, TSV, JSON Lines, fastText lines or a folder per class).") var data: String
    @Flag(help: "Print the metrics as JSON.") var json = false
    @Option(help: "Worker threads.") var threads: Int = 2
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let model: Model
        do { model = try Model(bundlePath: bundle) } catch { throw CLIError("\(error)") }
        let dataset = try DatasetLoader.load(data, options: try dataOptions.datasetOptions(), labelMap: LabelMap(names: model.labels))
        let probabilities = try model.probabilities(for: dataset.texts, threads: max(1, threads))
        let width = model.labelCount
        if model.manifest.output == .multiLabelSigmoid {
            let predicted = (0..<dataset.count).map { row in LabelOrder.chosen(probabilities[(row * width)..<((row + 1) * width)]) }
            let metrics = MultiLabelMetrics(trueSets: dataset.labelSets, predictedSets: predicted, labels: model.labels)
            print(json ? metrics.jsonString() : metrics.report(digits: 4))
        } else {
            let predicted = (0..<dataset.count).map { row in LabelOrder.top(probabilities[(row * width)..<((row + 1) * width)]) }
            let metrics = ClassificationMetrics(trueLabels: dataset.labels, predictedLabels: predicted, labels: model.labels)
            if json {
                print(metrics.jsonString())
            } else {
                print(metrics.report(digits: 4))
            }
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
