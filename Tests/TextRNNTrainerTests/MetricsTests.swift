import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Expected values come from scikit-learn 1.9.1:
/// `classification_report(yt, yp, labels=[0, 1, 2, 3], target_names=names, zero_division=0)`.
@Suite("Metrics")
struct MetricsTests {
    static let yTrue = [0, 0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 2]
    static let yPred = [0, 1, 0, 2, 1, 1, 0, 2, 1, 0, 1, 1]
    static let names = ["cat", "dog", "bird", "fish"]

    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    @Test func multiclassAgainstScikitLearn() {
        let m = ClassificationMetrics(trueLabels: Self.yTrue, predictedLabels: Self.yPred, labels: Self.names)
        #expect(m.confusionMatrix == [[3, 1, 1, 0], [1, 3, 0, 0], [0, 2, 1, 0], [0, 0, 0, 0]])
        #expect(close(m.accuracy, 0.5833333333333334))
        #expect(m.perClass.map(\.precision) == [0.75, 0.5, 0.5, 0])
        #expect(zip(m.perClass.map(\.recall), [0.6, 0.75, 1.0 / 3, 0]).allSatisfy(close))
        #expect(zip(m.perClass.map(\.f1), [0.6666666666666666, 0.6, 0.4, 0]).allSatisfy(close))
        #expect(m.support == [5, 4, 3, 0])
        #expect(close(m.macro.precision, 0.4375))
        #expect(close(m.macro.recall, 0.42083333333333334))
        #expect(close(m.macro.f1, 0.41666666666666663))
        #expect(close(m.weighted.precision, 0.6041666666666666))
        #expect(close(m.weighted.recall, 0.5833333333333334))
        #expect(close(m.weighted.f1, 0.5777777777777777))
    }

    @Test func reportTextMatchesScikitLearn() {
        let m = ClassificationMetrics(trueLabels: Self.yTrue, predictedLabels: Self.yPred, labels: Self.names)
        let sklearn = "              precision    recall  f1-score   support\n\n         cat       0.75      0.60      0.67         5\n         dog       0.50      0.75      0.60         4\n        bird       0.50      0.33      0.40         3\n        fish       0.00      0.00      0.00         0\n\n    accuracy                           0.58        12\n   macro avg       0.44      0.42      0.42        12\nweighted avg       0.60      0.58      0.58        12\n"
        let report = m.report()
        #expect(report.hasPrefix(sklearn + "\n"))
        #expect(report.hasSuffix("""
            Confusion matrix (rows: true class, columns: predicted class)
                   cat   dog  bird  fish
             cat     3     1     1     0
             dog     1     3     0     0
            bird     0     2     1     0
            fish     0     0     0     0

            """))
        let four = m.report(digits: 4)
        #expect(four.contains("    accuracy                         0.5833        12\n"))
        #expect(four.contains("weighted avg     0.6042    0.5833    0.5778        12\n"))
    }

    @Test func jsonForm() throws {
        let m = ClassificationMetrics(trueLabels: Self.yTrue, predictedLabels: Self.yPred, labels: Self.names)
        let text = m.jsonString()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["accuracy"] as? Double == m.accuracy)
        #expect(object["macro_f1"] as? Double == m.macroF1)
        #expect(object["weighted_f1"] as? Double == m.weightedF1)
        #expect(object["labels"] as? [String] == Self.names)
        #expect(object["confusion_matrix"] as? [[Int]] == m.confusionMatrix)
        let perClass = try #require(object["per_class"] as? [String: [String: Any]])
        #expect(perClass["cat"]?["precision"] as? Double == 0.75)
        #expect(perClass["dog"]?["recall"] as? Double == 0.75)
        #expect(perClass["bird"]?["f1"] as? Double == m.perClass[2].f1)
        #expect(perClass["fish"]?["support"] as? Int == 0)
        // Keys keep their order, and the compact form is one line.
        #expect(text.range(of: "\"accuracy\"")!.lowerBound < text.range(of: "\"macro_f1\"")!.lowerBound)
        #expect(!m.jsonString(indent: nil).contains("\n"))
        #expect(JSONValue.quote("a\"b\\c\n\u{1}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func zeroDivisionAndEmptyInput() {
        // Class 1 is never predicted (precision 0/0 -> 0), class 2 never true (recall 0/0 -> 0).
        let m = ClassificationMetrics(trueLabels: [0, 0, 1], predictedLabels: [0, 2, 0], labels: ["a", "b", "c"])
        #expect(m.perClass[1] == PRF(precision: 0, recall: 0, f1: 0))
        #expect(m.perClass[2] == PRF(precision: 0, recall: 0, f1: 0))
        #expect(m.perClass[0].precision == 0.5 && m.perClass[0].recall == 0.5)
        let empty = ClassificationMetrics(trueLabels: [], predictedLabels: [], labels: ["a", "b"])
        #expect(empty.accuracy == 0 && empty.macroF1 == 0 && empty.weightedF1 == 0)
    }

    @Test func binaryPerfectAndLongNames() {
        let m = ClassificationMetrics(trueLabels: [0, 1, 1], predictedLabels: [0, 1, 1], labels: ["comp.os.ms-windows.misc", "b"])
        #expect(m.accuracy == 1 && m.macroF1 == 1)
        // The name column widens to the longest label, as in scikit-learn.
        #expect(m.report().hasPrefix("                         precision    recall  f1-score   support\n\ncomp.os.ms-windows.misc       1.00      1.00      1.00         1\n"))
        // Long names: the matrix columns are headed by class indices.
        #expect(m.confusionMatrixText() == """
            Confusion matrix (rows: true class, columns: predicted class)
                                       0  1
            0 comp.os.ms-windows.misc  1  0
            1 b                        0  2

            """)
    }

    /// scikit-learn on indicator matrices of T = [[0,1],[1],[],[2],[0,2],[]],
    /// P = [[0],[1,2],[],[],[0,2],[1]], 4 classes.
    @Test func multiLabelAgainstScikitLearn() throws {
        let m = MultiLabelMetrics(
            trueSets: [[0, 1], [1], [], [2], [0, 2], []], predictedSets: [[0], [1, 2], [], [], [0, 2], [1]],
            labels: ["a", "b", "c", "d"])
        #expect(close(m.micro.f1, 2.0 / 3) && close(m.micro.precision, 2.0 / 3))
        #expect(m.macro == PRF(precision: 0.5, recall: 0.5, f1: 0.5))
        #expect(close(m.weighted.f1, 2.0 / 3))
        #expect(close(m.samples.precision, 0.4166666666666667))
        #expect(close(m.samples.f1, 0.38888888888888884))
        #expect(close(m.subsetAccuracy, 1.0 / 3))
        #expect(close(m.hammingLoss, 1.0 / 6))
        #expect(m.support == [2, 2, 2, 0])
        #expect(m.confusionMatrices[1] == [[3, 1], [1, 1]])
        let sklearn = "              precision    recall  f1-score   support\n\n           a       1.00      1.00      1.00         2\n           b       0.50      0.50      0.50         2\n           c       0.50      0.50      0.50         2\n           d       0.00      0.00      0.00         0\n\n   micro avg       0.67      0.67      0.67         6\n   macro avg       0.50      0.50      0.50         6\nweighted avg       0.67      0.67      0.67         6\n samples avg       0.42      0.42      0.39         6\n"
        #expect(m.report().hasPrefix(sklearn))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(m.jsonString().utf8)) as? [String: Any])
        #expect(object["micro_f1"] as? Double == m.microF1)
        #expect(object["subset_accuracy"] as? Double == m.subsetAccuracy)
        #expect((object["per_class"] as? [String: Any])?.count == 4)
    }
}
