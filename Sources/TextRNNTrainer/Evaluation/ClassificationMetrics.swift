import Foundation
import TextRNNRuntime

/// Precision, recall and F1 of one class or one average.
public struct PRF: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double

    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }

    /// From counts, with scikit-learn's `zero_division=0`: a ratio with a zero denominator is 0,
    /// and F1 = 2 tp / (2 tp + fp + fn) (0 when there is nothing true or predicted).
    init(truePositives tp: Int, predicted: Int, actual: Int) {
        precision = predicted == 0 ? 0 : Double(tp) / Double(predicted)
        recall = actual == 0 ? 0 : Double(tp) / Double(actual)
        f1 = predicted + actual == 0 ? 0 : 2 * Double(tp) / Double(predicted + actual)
    }

    /// Unweighted mean (macro) or support-weighted mean (weighted; 0 when the supports sum to 0).
    static func average(_ values: [PRF], weights: [Int]? = nil) -> PRF {
        guard !values.isEmpty else { return PRF(precision: 0, recall: 0, f1: 0) }
        let w = weights.map { $0.map(Double.init) } ?? Array(repeating: 1.0, count: values.count)
        let total = w.reduce(0, +)
        guard total > 0 else { return PRF(precision: 0, recall: 0, f1: 0) }
        func mean(_ key: KeyPath<PRF, Double>) -> Double { zip(values, w).reduce(0) { $0 + $1.0[keyPath: key] * $1.1 } / total }
        return PRF(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1))
    }
}

/// Single-label (binary or multiclass) evaluation, as scikit-learn's `classification_report`
/// and `confusion_matrix` with `labels` = every class of the label map (so a class absent from
/// both the truth and the predictions still appears, with zeros, and counts in the macro mean)
/// and `zero_division=0`.
public struct ClassificationMetrics: Sendable {
    public let labels: [String]
    /// `confusionMatrix[true][predicted]`: row = true class, column = predicted class.
    public let confusionMatrix: [[Int]]
    public let perClass: [PRF]
    /// True rows per class.
    public let support: [Int]
    public let accuracy: Double
    public let macro: PRF
    public let weighted: PRF

    public var macroF1: Double { macro.f1 }
    public var weightedF1: Double { weighted.f1 }
    public var total: Int { support.reduce(0, +) }

    /// `trueLabels[i]` and `predictedLabels[i]` are class indices into `labels`.
    public init(trueLabels: [Int], predictedLabels: [Int], labels: [String]) {
        precondition(trueLabels.count == predictedLabels.count, "as many predictions as true labels")
        let classes = labels.count
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (truth, prediction) in zip(trueLabels, predictedLabels) {
            precondition((0..<classes).contains(truth) && (0..<classes).contains(prediction), "class index out of range")
            matrix[truth][prediction] += 1
        }
        self.init(confusionMatrix: matrix, labels: labels)
    }

    /// From a confusion matrix (rows = true class).
    public init(confusionMatrix matrix: [[Int]], labels: [String]) {
        precondition(matrix.count == labels.count && matrix.allSatisfy { $0.count == labels.count }, "matrix is classes x classes")
        self.labels = labels
        self.confusionMatrix = matrix
        let classes = labels.count
        let support = matrix.map { $0.reduce(0, +) }
        let predicted = (0..<classes).map { column in matrix.reduce(0) { $0 + $1[column] } }
        perClass = (0..<classes).map { PRF(truePositives: matrix[$0][$0], predicted: predicted[$0], actual: support[$0]) }
        self.support = support
        let total = support.reduce(0, +)
        let correct = (0..<classes).reduce(0) { $0 + matrix[$1][$1] }
        accuracy = total == 0 ? 0 : Double(correct) / Double(total)
        macro = PRF.average(perClass)
        weighted = PRF.average(perClass, weights: support)
    }

    /// scikit-learn's `classification_report(..., digits:)` text, then the confusion matrix.
    public func report(digits: Int = 2) -> String {
        var rows = perClass.enumerated().map { ReportFormat.Row(name: labels[$0.offset], values: $0.element, support: support[$0.offset]) }
        rows.append(ReportFormat.Row(name: "", values: nil, support: 0))
        rows.append(ReportFormat.Row(name: "accuracy", values: PRF(precision: .nan, recall: .nan, f1: accuracy), support: total))
        rows.append(ReportFormat.Row(name: "macro avg", values: macro, support: total))
        rows.append(ReportFormat.Row(name: "weighted avg", values: weighted, support: total))
        return ReportFormat.table(rows, names: labels, digits: digits) + "\n" + confusionMatrixText()
    }

    /// The confusion matrix as aligned text, rows = true class, columns = predicted class.
    public func confusionMatrixText() -> String {
        ReportFormat.matrix(confusionMatrix, labels: labels)
    }

    /// Keys: accuracy, macro_precision, macro_recall, macro_f1, weighted_precision,
    /// weighted_recall, weighted_f1, per_class {label: {precision, recall, f1, support}},
    /// confusion_matrix (rows = true), labels, total.
    public var json: JSONValue {
        .object([
            ("accuracy", .double(accuracy)),
            ("macro_precision", .double(macro.precision)),
            ("macro_recall", .double(macro.recall)),
            ("macro_f1", .double(macro.f1)),
            ("weighted_precision", .double(weighted.precision)),
            ("weighted_recall", .double(weighted.recall)),
            ("weighted_f1", .double(weighted.f1)),
            ("per_class", ReportFormat.perClassJSON(labels, perClass, support)),
            ("confusion_matrix", .array(confusionMatrix.map { .array($0.map { .int($0) }) })),
            ("labels", .array(labels.map { .string($0) })),
            ("total", .int(total)),
        ])
    }

    public func jsonString(indent: Int? = 2) -> String { json.rendered(indent: indent) }
}

/// Multi-label evaluation (each row: a set of true classes and a set of predicted classes), as
/// scikit-learn on indicator matrices with `zero_division=0`: per-class precision/recall/F1/
/// support, micro/macro/weighted/samples averages, subset accuracy (exact set match) and Hamming
/// loss.
public struct MultiLabelMetrics: Sendable {
    public let labels: [String]
    public let perClass: [PRF]
    public let support: [Int]
    public let micro: PRF
    public let macro: PRF
    public let weighted: PRF
    /// Per-row scores averaged over rows (a row with nothing true and nothing predicted scores 0).
    public let samples: PRF
    public let subsetAccuracy: Double
    public let hammingLoss: Double
    public let rowCount: Int
    /// Per class: [[tn, fp], [fn, tp]], as scikit-learn's `multilabel_confusion_matrix`.
    public let confusionMatrices: [[[Int]]]

    public var microF1: Double { micro.f1 }
    public var macroF1: Double { macro.f1 }

    public init(trueSets: [[Int]], predictedSets: [[Int]], labels: [String]) {
        precondition(trueSets.count == predictedSets.count, "as many predictions as true label sets")
        let classes = labels.count
        var tp = [Int](repeating: 0, count: classes)
        var fp = tp, fn = tp
        var exact = 0
        var wrongBits = 0
        var sampleScores: [PRF] = []
        for (truthList, predictionList) in zip(trueSets, predictedSets) {
            let truth = Set(truthList), prediction = Set(predictionList)
            precondition(truth.union(prediction).allSatisfy { (0..<classes).contains($0) }, "class index out of range")
            for label in truth.intersection(prediction) { tp[label] += 1 }
            for label in prediction.subtracting(truth) { fp[label] += 1 }
            for label in truth.subtracting(prediction) { fn[label] += 1 }
            if truth == prediction { exact += 1 }
            wrongBits += truth.symmetricDifference(prediction).count
            sampleScores.append(PRF(truePositives: truth.intersection(prediction).count, predicted: prediction.count, actual: truth.count))
        }
        let rows = trueSets.count
        self.labels = labels
        support = (0..<classes).map { tp[$0] + fn[$0] }
        perClass = (0..<classes).map { PRF(truePositives: tp[$0], predicted: tp[$0] + fp[$0], actual: tp[$0] + fn[$0]) }
        let tpSum = tp.reduce(0, +)
        micro = PRF(truePositives: tpSum, predicted: tpSum + fp.reduce(0, +), actual: tpSum + fn.reduce(0, +))
        macro = PRF.average(perClass)
        weighted = PRF.average(perClass, weights: support)
        samples = PRF.average(sampleScores)
        subsetAccuracy = rows == 0 ? 0 : Double(exact) / Double(rows)
        hammingLoss = rows == 0 || classes == 0 ? 0 : Double(wrongBits) / Double(rows * classes)
        rowCount = rows
        confusionMatrices = (0..<classes).map { [[rows - tp[$0] - fp[$0] - fn[$0], fp[$0]], [fn[$0], tp[$0]]] }
    }

    /// scikit-learn's multi-label `classification_report` text (micro, macro, weighted and
    /// samples averages), then subset accuracy and Hamming loss.
    public func report(digits: Int = 2) -> String {
        let total = support.reduce(0, +)
        var rows = perClass.enumerated().map { ReportFormat.Row(name: labels[$0.offset], values: $0.element, support: support[$0.offset]) }
        rows.append(ReportFormat.Row(name: "", values: nil, support: 0))
        rows.append(ReportFormat.Row(name: "micro avg", values: micro, support: total))
        rows.append(ReportFormat.Row(name: "macro avg", values: macro, support: total))
        rows.append(ReportFormat.Row(name: "weighted avg", values: weighted, support: total))
        rows.append(ReportFormat.Row(name: "samples avg", values: samples, support: total))
        return ReportFormat.table(rows, names: labels, digits: digits) + "\n"
            + "subset accuracy: \(ReportFormat.fixed(subsetAccuracy, digits: 4))\n"
            + "hamming loss:    \(ReportFormat.fixed(hammingLoss, digits: 4))\n"
    }

    /// Keys: subset_accuracy, hamming_loss, micro_{precision,recall,f1}, macro_f1, weighted_f1,
    /// samples_f1, per_class, confusion_matrices (per class [[tn, fp], [fn, tp]]), labels, rows.
    public var json: JSONValue {
        .object([
            ("subset_accuracy", .double(subsetAccuracy)),
            ("hamming_loss", .double(hammingLoss)),
            ("micro_precision", .double(micro.precision)),
            ("micro_recall", .double(micro.recall)),
            ("micro_f1", .double(micro.f1)),
            ("macro_precision", .double(macro.precision)),
            ("macro_recall", .double(macro.recall)),
            ("macro_f1", .double(macro.f1)),
            ("weighted_f1", .double(weighted.f1)),
            ("samples_f1", .double(samples.f1)),
            ("per_class", ReportFormat.perClassJSON(labels, perClass, support)),
            ("confusion_matrices", .array(confusionMatrices.map { .array($0.map { .array($0.map { .int($0) }) }) })),
            ("labels", .array(labels.map { .string($0) })),
            ("rows", .int(rowCount)),
        ])
    }

    public func jsonString(indent: Int? = 2) -> String { json.rendered(indent: indent) }
}

/// Text layout shared by the reports.
enum ReportFormat {
    struct Row {
        var name: String
        var values: PRF?  // nil: blank line; NaN precision/recall: blank cells (the accuracy row)
        var support: Int
    }

    /// Python's `"{:>9.2f}"` for finite values (printf rounds the exact binary value, as Python).
    static func fixed(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// Right-aligns to `width` code points, as Python's `{:>w}` (never truncates).
    static func pad(_ text: String, _ width: Int) -> String {
        let length = text.unicodeScalars.count
        return length >= width ? text : String(repeating: " ", count: width - length) + text
    }

    static func table(_ rows: [Row], names: [String], digits: Int) -> String {
        let width = max(names.map { $0.unicodeScalars.count }.max() ?? 0, "weighted avg".count, digits)
        var text = pad("", width) + " " + ["precision", "recall", "f1-score", "support"].map { " " + pad($0, 9) }.joined() + "\n\n"
        for row in rows {
            guard let values = row.values else {
                text += "\n"
                continue
            }
            let cells = [values.precision, values.recall, values.f1].map { $0.isNaN ? pad("", 9) : pad(fixed($0, digits: digits), 9) }
            text += pad(row.name, width) + " " + cells.map { " " + $0 }.joined() + " " + pad(String(row.support), 9) + "\n"
        }
        return text
    }

    /// Columns are headed by the class names when they are short (10 characters at most),
    /// otherwise by class indices, with each row naming its index and class.
    static func matrix(_ matrix: [[Int]], labels: [String]) -> String {
        let longest = labels.map { $0.unicodeScalars.count }.max() ?? 0
        let countWidth = matrix.flatMap { $0 }.map { String($0).count }.max() ?? 1
        var text = "Confusion matrix (rows: true class, columns: predicted class)\n"
        if longest <= 10 {
            let nameWidth = max(longest, 4)
            let cellWidth = max(longest, countWidth)
            text += pad("", nameWidth) + labels.map { "  " + pad($0, cellWidth) }.joined() + "\n"
            for (index, row) in matrix.enumerated() {
                text += pad(labels[index], nameWidth) + row.map { "  " + pad(String($0), cellWidth) }.joined() + "\n"
            }
        } else {
            let indexWidth = String(max(0, labels.count - 1)).count
            let cellWidth = max(indexWidth, countWidth)
            let names = labels.enumerated().map { pad(String($0.offset), indexWidth) + " " + $0.element }
            let nameWidth = names.map { $0.unicodeScalars.count }.max() ?? 0
            func left(_ name: String) -> String { name + String(repeating: " ", count: nameWidth - name.unicodeScalars.count) }
            text += String(repeating: " ", count: nameWidth) + labels.indices.map { "  " + pad(String($0), cellWidth) }.joined() + "\n"
            for (index, row) in matrix.enumerated() {
                text += left(names[index]) + row.map { "  " + pad(String($0), cellWidth) }.joined() + "\n"
            }
        }
        return text
    }

    static func perClassJSON(_ labels: [String], _ values: [PRF], _ support: [Int]) -> JSONValue {
        .object(labels.indices.map { index in
            (labels[index], .object([
                ("precision", .double(values[index].precision)),
                ("recall", .double(values[index].recall)),
                ("f1", .double(values[index].f1)),
                ("support", .int(support[index])),
            ]))
        })
    }
}
