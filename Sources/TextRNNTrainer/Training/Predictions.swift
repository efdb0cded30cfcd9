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

    /// Hyperparameters as label/value pairs for reports.
    public var hyperparameterSummary: [(String, String)] {
        let c = config
        return [
            ("cell", c.cell.rawValue), ("units", c.units.map(String.init).joined(separator: ",")),
            ("bidirectional", "\(c.bidirectional)"), ("embedding_dim", "\(c.embeddingDim)"), ("pooling", c.pooling.rawValue),
            ("dense_units", c.denseUnits.map(String.init).joined(separator: ",")), ("vocabulary", "\(pipeline.vocabulary.count)"),
            ("sequence_length", "\(pipeline.config.sequenceLength ?? 0) (\(pipeline.config.padding.rawValue))"),
            ("bigrams", "\(c.bigrams)"), ("dropout", "\(c.dropout)"), ("recurrent_dropout", "\(c.recurrentDropout)"),
            ("embedding_dropout", "\(c.embeddingDropout)"), ("optimizer", c.optimizer.rawValue),
            ("learning_rate", "\(c.learningRate)"), ("schedule", c.schedule.rawValue), ("clipnorm", c.clipnorm.map { "\($0)" } ?? "none"),
            ("epochs", "\(c.epochs)"), ("batch_size", "\(c.batchSize)"), ("early_stopping", "\(c.earlyStopping)"),
            ("seed", "\(c.seed)"), ("threads", "\(c.threads)"),
            ("bag", bag.map { "\($0.features.spec.features) features, \($0.weighting.rawValue) weights, " + String(format: "C %g, mix %.1f", $0.c, $0.mix) } ?? "off"),
        ]
    }
}
