/// ROC and precision-recall curves of a binary classifier (positive class = label 1), with the
/// area under the ROC curve and the average precision as scikit-learn computes them
/// (`roc_auc_score`, `average_precision_score`: Σ (Rₙ − Rₙ₋₁)·Pₙ, no interpolation).
public struct BinaryCurves: Sendable {
    /// (false positive rate, true positive rate), from (0, 0) to (1, 1), one point per distinct score.
    public let roc: [(x: Double, y: Double)]
    /// (recall, precision), one point per distinct score, recall rising.
    public let precisionRecall: [(x: Double, y: Double)]
    public let rocAUC: Double
    public let averagePrecision: Double

    /// Nil unless both classes occur (neither curve is defined otherwise).
    public init?(labels: [Int], scores: [Double]) {
        precondition(labels.count == scores.count, "one score per label")
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var roc: [(x: Double, y: Double)] = [(0, 0)], precisionRecall: [(x: Double, y: Double)] = []
        var truePositives = 0, falsePositives = 0, area = 0.0, averagePrecision = 0.0, index = 0
        while index < order.count {
            // Rows with equal scores cross the threshold together.
            let threshold = scores[order[index]]
            while index < order.count && scores[order[index]] == threshold {
                if labels[order[index]] == 1 { truePositives += 1 } else { falsePositives += 1 }
                index += 1
            }
            let recall = Double(truePositives) / Double(positives), falseRate = Double(falsePositives) / Double(negatives)
            let precision = Double(truePositives) / Double(truePositives + falsePositives)
            area += (falseRate - roc.last!.x) * (recall + roc.last!.y) / 2
            averagePrecision += (recall - (precisionRecall.last?.x ?? 0)) * precision
            roc.append((falseRate, recall))
            precisionRecall.append((recall, precision))
        }
        self.roc = roc
        self.precisionRecall = precisionRecall
        rocAUC = area
        self.averagePrecision = averagePrecision
    }
}
