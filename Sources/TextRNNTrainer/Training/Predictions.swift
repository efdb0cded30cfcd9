import Foundation
import TextRNNRuntime

/// Labels from probabilities [rows, width] as the network emits them (one value per row for a
/// binary sigmoid model).
public struct Predictions: Sendable {
    public let labels: [Int]
    public let labelSets: [[Int]]

    public init(probabilities: [Float], width: Int, output: Manifest.OutputKind) {
        let rows = width == 0 ? 0 : probabilities.count / width
        var labels: [Int] = []
        var sets: [[Int]] = []
        labels.reserveCapacity(rows)
        for row in 0..<rows {
            let p = probabilities[(row * width)..<((row + 1) * width)]
            labels.append(LabelOrder.top(networkOutput: p, output))
            sets.append(output == .multiLabelSigmoid ? LabelOrder.chosen(p) : [labels.last!])
        }
        self.labels = labels
        labelSets = sets
    }
}

extension TrainingSession {
    public func saveCheckpoint(to path: String) throws { try Checkpoint.save(self, to: path) }
    public func restoreCheckpoint(from path: String) throws { try Checkpoint.restore(self, from: path) }

    /// Every hyperparameter the table records in the report, then what training derived from
    /// them (vocabulary, sequence length, the bag branch's fit), as label/value pairs.
    public var hyperparameterSummary: [(String, String)] {
        Hyperparameter.all.filter { $0.recorded.contains(.report) }.map { ($0.name, $0.text(config)) } + [
            ("fitted vocabulary", "\(pipeline.vocabulary.count)"),
            ("fitted sequence_length", "\(pipeline.config.sequenceLength ?? 0)"),
            ("fitted bag", bag.map { bag in
                "\(bag.features.spec.features) features, \(bag.weighting.rawValue) weights, " + String(format: "C %g, ", bag.c)
                    + (bag.searchRows.map { "both chosen on \($0) random training texts, " } ?? "") + bag.scaleSummary
            } ?? "off"),
        ]
    }

    /// The epoch whose weights the model holds: the best monitored one when early stopping
    /// tracked one, else the last.
    public var keptEpoch: Int? { best?.epoch ?? history.epochs.last?.epoch }
}
