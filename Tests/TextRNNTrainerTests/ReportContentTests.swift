import Foundation
import Testing
@testable import TextRNNTrainer

/// What the training report says (issue 14 item 9): validation-labelled headline, the kept epoch,
/// a bounded accuracy axis, data sizes, and ROC / precision-recall curves for binary tasks.
@Suite struct ReportContentTests {
    @Test func binaryCurvesMatchScikitLearn() throws {
        // sklearn.metrics.roc_auc_score(y, s) = 0.66, average_precision_score(y, s) = 0.7087301587301587
        // (scikit-learn 1.x, these ten rows; a tie at 0.8 crosses the threshold together).
        let labels = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
        let scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1]
        let curves = try #require(BinaryCurves(labels: labels, scores: scores))
        #expect(abs(curves.rocAUC - 0.66) < 1e-12)
        #expect(abs(curves.averagePrecision - 0.7087301587301587) < 1e-12)
        #expect(curves.roc.first! == (0, 0) && curves.roc.last! == (1, 1))
        #expect(curves.roc.count == 10, "9 distinct scores and the origin")
        #expect(BinaryCurves(labels: [1, 1], scores: [0.2, 0.9]) == nil, "undefined without both classes")
    }

    @Test func accuracyAxisStaysInsideZeroToOne() {
        // One epoch without validation: the value range is padded by ±0.5 and used to reach -0.2.
        let svg = HTMLReport.lineChart(
            title: "Accuracy", yLabel: "accuracy", epochs: [1], bounds: 0...1, series: [("train", "#000", [0.3]), ("validation", "#f00", [nil])])
        #expect(!svg.contains(">-0.") && !svg.contains(">1.2<"), "no tick below 0 or above 1")
        #expect(svg.contains(">0.0<") || svg.contains(">0<"))
    }

    @Test func headlineKeptEpochDataAndCurves() {
        var history = TrainingHistory()
        for epoch in 1...5 {
            history.append(EpochRecord(epoch: epoch, trainLoss: 1 / Double(epoch), trainAccuracy: 0.5, validationLoss: 0.5,
                                       validationAccuracy: 0.6, seconds: 1))
        }
        let metrics = ClassificationMetrics(trueLabels: [0, 1, 1, 0], predictedLabels: [0, 1, 0, 0], labels: ["neg", "pos"])
        var report = HTMLReport(title: "t", history: history, metrics: metrics, hyperparameters: [("dense_units", "none")])
        report.evaluatedOn = "validation split"
        report.keptEpoch = 3
        report.monitor = "val_loss"
        report.binaryCurves = BinaryCurves(labels: [0, 1, 1, 0], scores: [0.2, 0.8, 0.4, 0.3])
        let train = LabelledDataset(
            texts: ["a", "b", "c"], labelSets: [[0], [1], [1]], labelMap: LabelMap(names: ["neg", "pos"]), files: ["f", "f", "f"], lines: [2, 3, 4])
        report.data = DataSummary(train: train, validation: nil, validationSource: "no validation data")
        let html = report.render()
        #expect(html.contains("validation accuracy <b>0.7500</b>"))
        #expect(html.contains("rows of the validation split"))
        #expect(html.contains("weights kept from epoch <b>3</b> (best val_loss; early stopping restored it)"))
        #expect(html.contains("<td>neg</td><td class=\"num\">1</td><td class=\"num\">0</td>"))
        #expect(html.contains("ROC (AUC 1.0000)") && html.contains("Precision-recall (AP 1.0000)"))
        #expect(html.contains(">dense_units</td><td>none</td>"))
        #expect(html.components(separatedBy: "stroke=\"\(HTMLReport.curveColour)\"").count - 1 == 2)
        #expect(html.contains("training time <b>5.0 s</b>"), "without the whole time: the epochs'")
        // With the bag, most of a short-text training is its search: the headline is the whole run.
        report.trainingSeconds = 15.4
        #expect(report.render().contains("training time <b>15.4 s</b> (the network's epochs 5.0 s)"))
        #expect(!html.contains("Recipe search"), "no search, no trials")
    }

    /// `--autotune`: the report keeps the trials (issue 13, item 4), the kept one marked.
    @Test func aSearchsTrialsAreListedWithTheKeptOneMarked() {
        var first = RecipeSearch.Trial(number: 1, summary: "gru bi32 emb 64 max drop 0.3/0.2/0.3 lr 0.002 constant seq auto")
        (first.validationAccuracy, first.epochs, first.seconds, first.status) = (0.8783, 4, 13, "best")
        var second = RecipeSearch.Trial(number: 2, summary: "lstm 32 emb 64 max drop 0.5/0.3/0.5 lr 0.002 constant seq 512 <stacked>")
        (second.epochs, second.seconds, second.status) = (2, 2, "pruned")
        var report = HTMLReport(title: "t")
        report.evaluatedOn = "validation split"
        report.searchTrials = [first, second]
        let html = report.render()
        #expect(html.contains("<h2>Recipe search</h2>"))
        #expect(html.contains("2 trials on the validation split; the model is trial 1's"))
        #expect(html.contains("<tr class=\"avg\"><td class=\"num\">1</td><td class=\"key\">gru bi32 emb 64 max drop 0.3/0.2/0.3 lr 0.002 constant seq auto</td><td class=\"num\">0.8783</td><td class=\"num\">4</td><td class=\"num\">13</td><td>best</td></tr>"))
        #expect(html.contains("<tr><td class=\"num\">2</td><td class=\"key\">lstm 32 emb 64 max drop 0.5/0.3/0.5 lr 0.002 constant seq 512 &lt;stacked&gt;</td><td class=\"num\"></td><td class=\"num\">2</td><td class=\"num\">2</td><td>pruned</td></tr>"))
    }
}
