import Foundation
import TextRNNRuntime

/// A self-contained HTML page about a training run: learning curves (SVG), the classification
/// report as a table, a confusion-matrix heat map (SVG), an `--autotune` search's trials and the
/// hyperparameters. No scripts, no external resources: it opens offline and can be attached to
/// a CI run.
public struct HTMLReport: Sendable {
    public var title: String
    /// Free-form lines under the title (dataset, date, model path...).
    public var subtitle: [String]
    public var history: TrainingHistory?
    public var metrics: ClassificationMetrics?
    public var multiLabelMetrics: MultiLabelMetrics?
    /// Shown in this order.
    public var hyperparameters: [(String, String)]
    /// Rows and label distribution of the training and validation data.
    public var data: DataSummary?
    /// What the metrics were computed on; the headline numbers say so.
    public var evaluatedOn = "validation data"
    /// The epoch whose weights the model kept, and what early stopping watched (nil: off).
    public var keptEpoch: Int?
    public var monitor: String?
    /// The whole training's wall-clock seconds (the bag's search and fit included); nil: the
    /// headline shows the network's epochs' sum alone.
    public var trainingSeconds: Double?
    /// For a binary task: ROC and precision-recall curves on the evaluated rows.
    public var binaryCurves: BinaryCurves?
    /// `--autotune`'s trials, in order (nil: no search); the kept one is marked.
    public var searchTrials: [RecipeSearch.Trial]?

    public init(
        title: String, subtitle: [String] = [], history: TrainingHistory? = nil, metrics: ClassificationMetrics? = nil,
        multiLabelMetrics: MultiLabelMetrics? = nil, hyperparameters: [(String, String)] = []
    ) {
        self.title = title
        self.subtitle = subtitle
        self.history = history
        self.metrics = metrics
        self.multiLabelMetrics = multiLabelMetrics
        self.hyperparameters = hyperparameters
    }

    /// Same, with the hyperparameters of a dictionary sorted by key.
    public init(
        title: String, subtitle: [String] = [], history: TrainingHistory? = nil, metrics: ClassificationMetrics? = nil,
        multiLabelMetrics: MultiLabelMetrics? = nil, hyperparameters: [String: String]
    ) {
        self.init(
            title: title, subtitle: subtitle, history: history, metrics: metrics, multiLabelMetrics: multiLabelMetrics,
            hyperparameters: hyperparameters.sorted { $0.key < $1.key })
    }

    /// The page.
    public func render() -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(escape(title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px; color: #1f2328; padding: 0 16px; }
            h1 { font-size: 24px; margin-bottom: 4px; }
            h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
            p.sub { margin: 2px 0; color: #57606a; }
            .summary span { display: inline-block; margin: 8px 24px 0 0; font-size: 15px; }
            .summary b { font-size: 20px; }
            .charts { display: flex; flex-wrap: wrap; gap: 16px; }
            svg text { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
            table { border-collapse: collapse; font-size: 14px; }
            th, td { padding: 4px 12px; border-bottom: 1px solid #eaeef2; }
            th { text-align: left; background: #f6f8fa; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            tr.avg td { font-weight: 600; background: #fafbfc; }
            td.key { font-family: ui-monospace, Menlo, Consolas, monospace; }
            .scroll { overflow-x: auto; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>

            """
        for line in subtitle { html += "<p class=\"sub\">\(escape(line))</p>\n" }
        html += summary()
        if let data { html += dataTable(data) }
        if let searchTrials, !searchTrials.isEmpty { html += trialTable(searchTrials) }
        if let history, !history.epochs.isEmpty {
            html += "<h2>Learning curves</h2>\n<div class=\"charts\">\n"
            html += HTMLReport.lineChart(
                title: "Loss", yLabel: "loss", epochs: history.epochs.map(\.epoch),
                series: [
                    ("train", "#1f77b4", history.epochs.map(\.trainLoss)),
                    ("validation", "#ff7f0e", history.epochs.map(\.validationLoss)),
                ])
            html += HTMLReport.lineChart(
                title: "Accuracy", yLabel: "accuracy", epochs: history.epochs.map(\.epoch), bounds: 0...1,
                series: [
                    ("train", "#1f77b4", history.epochs.map(\.trainAccuracy)),
                    ("validation", "#ff7f0e", history.epochs.map(\.validationAccuracy)),
                ])
            html += "</div>\n"
            html += epochTable(history)
        }
        if let metrics {
            html += "<h2>Classification report</h2>\n" + reportTable(metrics)
            html += "<h2>Confusion matrix</h2>\n<p class=\"sub\">Rows: true class; columns: predicted class; "
                + "colour: share of the row (recall); numbers: counts.</p>\n<div class=\"scroll\">\n"
                + HTMLReport.heatMap(metrics.confusionMatrix, labels: metrics.labels) + "</div>\n"
        }
        if let binaryCurves, let positive = metrics?.labels.last {
            html += "<h2>ROC and precision-recall curves</h2>\n<p class=\"sub\">On the \(escape(evaluatedOn)); positive class: "
                + "\(escape(positive)).</p>\n<div class=\"charts\">\n"
            html += HTMLReport.curveChart(
                title: "ROC (AUC \(format(binaryCurves.rocAUC, 4)))", xLabel: "false positive rate", yLabel: "true positive rate",
                points: binaryCurves.roc, diagonal: true)
            html += HTMLReport.curveChart(
                title: "Precision-recall (AP \(format(binaryCurves.averagePrecision, 4)))", xLabel: "recall", yLabel: "precision",
                points: binaryCurves.precisionRecall, diagonal: false)
            html += "</div>\n"
        }
        if let multiLabelMetrics { html += "<h2>Classification report (multi-label)</h2>\n" + multiLabelTable(multiLabelMetrics) }
        if !hyperparameters.isEmpty {
            html += "<h2>Hyperparameters</h2>\n<table>\n<tr><th>name</th><th>value</th></tr>\n"
            for (key, value) in hyperparameters {
                html += "<tr><td class=\"key\">\(escape(key))</td><td>\(escape(value))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// Writes the page atomically (AtomicFile), so a reader never sees half a report.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(render().utf8), to: path)
    }

    // MARK: - Sections

    private func summary() -> String {
        var items: [String] = []
        if let metrics {
            items.append("validation accuracy <b>\(format(metrics.accuracy, 4))</b>")
            items.append("macro F1 <b>\(format(metrics.macroF1, 4))</b>")
            items.append("weighted F1 <b>\(format(metrics.weightedF1, 4))</b>")
            items.append("evaluated on <b>\(metrics.total)</b> rows of the \(escape(evaluatedOn))")
        }
        if let multi = multiLabelMetrics {
            items.append("subset accuracy <b>\(format(multi.subsetAccuracy, 4))</b>")
            items.append("micro F1 <b>\(format(multi.microF1, 4))</b>")
            items.append("macro F1 <b>\(format(multi.macroF1, 4))</b>")
        }
        if let history, !history.epochs.isEmpty {
            items.append("epochs <b>\(history.epochs.count)</b>")
            if let trainingSeconds {
                items.append("training time <b>\(format(trainingSeconds, 1)) s</b> (the network's epochs \(format(history.totalSeconds, 1)) s)")
            } else {
                items.append("training time <b>\(format(history.totalSeconds, 1)) s</b>")
            }
            if let keptEpoch {
                let how = monitor.map { keptEpoch < history.epochs.count ? " (best \($0); early stopping restored it)" : " (best \($0))" } ?? " (the last)"
                items.append("weights kept from epoch <b>\(keptEpoch)</b>\(escape(how))")
            }
        }
        guard !items.isEmpty else { return "" }
        return "<div class=\"summary\">" + items.map { "<span>\($0)</span>" }.joined() + "</div>\n"
    }

    private func epochTable(_ history: TrainingHistory) -> String {
        var html = "<details><summary>Per-epoch values</summary>\n<table>\n<tr><th class=\"num\">epoch</th>"
            + "<th class=\"num\">loss</th><th class=\"num\">accuracy</th><th class=\"num\">val loss</th>"
            + "<th class=\"num\">val accuracy</th><th class=\"num\">seconds</th></tr>\n"
        for record in history.epochs {
            let kept = record.epoch == keptEpoch
            let cells = [
                String(record.epoch), format(record.trainLoss, 4), format(record.trainAccuracy, 4),
                record.validationLoss.map { format($0, 4) } ?? "", record.validationAccuracy.map { format($0, 4) } ?? "",
                format(record.seconds, 1),
            ]
            html += "<tr\(kept ? " class=\"avg\" title=\"weights kept\"" : "")>" + cells.map { "<td class=\"num\">\($0)</td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n</details>\n"
    }

    private func trialTable(_ trials: [RecipeSearch.Trial]) -> String {
        let kept = trials.first(where: \.isKept).map { "; the model is trial \($0.number)'s" } ?? ""
        var html = "<h2>Recipe search</h2>\n<p class=\"sub\">\(trials.count) trials on the \(escape(evaluatedOn))\(kept) "
            + "(trial 1 is the no-flag recipe; a trial replaces the best only by a paired margin on the validation rows).</p>\n"
            + "<table>\n<tr><th class=\"num\">trial</th><th>recipe</th><th class=\"num\">val accuracy</th>"
            + "<th class=\"num\">epochs</th><th class=\"num\">seconds</th><th>status</th></tr>\n"
        for trial in trials {
            let cells = [
                "<td class=\"num\">\(trial.number)</td>", "<td class=\"key\">\(escape(trial.summary))</td>",
                "<td class=\"num\">\(trial.validationAccuracy.map { format($0, 4) } ?? "")</td>",
                "<td class=\"num\">\(trial.epochs)</td>", "<td class=\"num\">\(format(trial.seconds, 0))</td>",
                "<td>\(escape(trial.status))</td>",
            ]
            html += "<tr\(trial.isKept ? " class=\"avg\"" : "")>" + cells.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    private func dataTable(_ data: DataSummary) -> String {
        var html = "<h2>Data</h2>\n<p class=\"sub\">\(data.trainRows) training rows; \(data.validationRows) validation rows "
            + "(\(escape(data.validationSource))).</p>\n<table>\n<tr><th>label</th><th class=\"num\">train</th><th class=\"num\">validation</th></tr>\n"
        for (index, label) in data.labels.enumerated() {
            html += "<tr><td>\(escape(label))</td><td class=\"num\">\(data.trainCounts[index])</td>"
                + "<td class=\"num\">\(data.validationCounts[index])</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func reportHeader() -> String {
        "<table>\n<tr><th>class</th><th class=\"num\">precision</th><th class=\"num\">recall</th>"
            + "<th class=\"num\">f1-score</th><th class=\"num\">support</th></tr>\n"
    }

    private func reportRow(_ name: String, _ values: PRF?, _ support: Int, average: Bool = false, f1Only: Double? = nil) -> String {
        let cells: [String]
        if let values {
            cells = [format(values.precision, 4), format(values.recall, 4), format(values.f1, 4), String(support)]
        } else {
            cells = ["", "", format(f1Only ?? 0, 4), String(support)]
        }
        return "<tr\(average ? " class=\"avg\"" : "")><td>\(escape(name))</td>"
            + cells.map { "<td class=\"num\">\($0)</td>" }.joined() + "</tr>\n"
    }

    private func reportTable(_ metrics: ClassificationMetrics) -> String {
        var html = reportHeader()
        for (index, label) in metrics.labels.enumerated() {
            html += reportRow(label, metrics.perClass[index], metrics.support[index])
        }
        html += reportRow("accuracy", nil, metrics.total, average: true, f1Only: metrics.accuracy)
        html += reportRow("macro avg", metrics.macro, metrics.total, average: true)
        html += reportRow("weighted avg", metrics.weighted, metrics.total, average: true)
        return html + "</table>\n"
    }

    private func multiLabelTable(_ metrics: MultiLabelMetrics) -> String {
        var html = reportHeader()
        let total = metrics.support.reduce(0, +)
        for (index, label) in metrics.labels.enumerated() {
            html += reportRow(label, metrics.perClass[index], metrics.support[index])
        }
        html += reportRow("micro avg", metrics.micro, total, average: true)
        html += reportRow("macro avg", metrics.macro, total, average: true)
        html += reportRow("weighted avg", metrics.weighted, total, average: true)
        html += reportRow("samples avg", metrics.samples, total, average: true)
        html += "</table>\n<p>subset accuracy \(format(metrics.subsetAccuracy, 4)), Hamming loss \(format(metrics.hammingLoss, 4))</p>\n"
        return html
    }

    // MARK: - SVG

    /// A line chart of per-epoch values; nil values (no validation) are left out, and a series
    /// without any value is not drawn.
    /// `bounds`: values the quantity can take (accuracy: 0...1); the axis stays inside them.
    static func lineChart(
        title: String, yLabel: String, epochs: [Int], bounds: ClosedRange<Double>? = nil, series: [(String, String, [Double?])]
    ) -> String {
        let width = 520.0, height = 320.0
        let left = 64.0, right = 20.0, top = 52.0, bottom = 52.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let drawn = series.filter { $0.2.contains { $0 != nil && $0!.isFinite } }
        let values = drawn.flatMap { $0.2.compactMap { $0 } }.filter(\.isFinite)
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        if let bounds { (low, high) = (max(low, bounds.lowerBound), min(high, bounds.upperBound)) }
        var ticks = niceTicks(low: low, high: high)
        if let bounds { ticks = ticks.filter { bounds.contains($0) } }
        low = min(low, ticks.first ?? low)
        high = max(high, ticks.last ?? high)
        let firstEpoch = Double(epochs.first ?? 1), lastEpoch = Double(epochs.last ?? 1)
        func x(_ epoch: Int) -> Double {
            lastEpoch == firstEpoch ? left + plotWidth / 2 : left + (Double(epoch) - firstEpoch) / (lastEpoch - firstEpoch) * plotWidth
        }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * plotHeight }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"\(escape(title)) per epoch\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">\(escape(title))</text>\n"
        // Horizontal grid and y ticks.
        for tick in ticks {
            let ty = y(tick)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(ty))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(ty))\" stroke=\"#e5e7eb\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(ty + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">\(tickLabel(tick, ticks))</text>\n"
        }
        // x ticks: at most ~10 labels.
        let stride = max(1, Int((Double(epochs.count) / 10).rounded(.up)))
        for (index, epoch) in epochs.enumerated() where index % stride == 0 || index == epochs.count - 1 {
            let tx = x(epoch)
            svg += "<line x1=\"\(f(tx))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(tx))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#444\"/>\n"
            svg += "<text x=\"\(f(tx))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">\(epoch)</text>\n"
        }
        // Axes and their labels.
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" stroke=\"#444\"/>\n"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(top + plotHeight))\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n"
        svg += "<text x=\"16\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"12\" "
            + "transform=\"rotate(-90 16 \(f(top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
        // Series.
        for (name, color, points) in drawn {
            let coordinates = zip(epochs, points).compactMap { epoch, value in
                value.flatMap { $0.isFinite ? (x(epoch), y($0)) : nil }
            }
            svg += "<g class=\"series\" data-name=\"\(escape(name))\">\n"
            if coordinates.count > 1 {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
                    + coordinates.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>\n"
            }
            for point in coordinates {
                svg += "<circle cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            svg += "</g>\n"
        }
        // Legend: one row between the title and the plot.
        var legendX = left
        for entry in drawn {
            let ly = 38.0
            svg += "<line x1=\"\(f(legendX))\" y1=\"\(f(ly))\" x2=\"\(f(legendX + 22))\" y2=\"\(f(ly))\" stroke=\"\(entry.1)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(f(legendX + 28))\" y=\"\(f(ly + 4))\" font-size=\"12\">\(escape(entry.0))</text>\n"
            legendX += 28 + Double(entry.0.count) * 7 + 20
        }
        if drawn.isEmpty {
            svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#888\">no data</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A curve in the unit square (ROC, precision-recall), with the chance diagonal for ROC.
    static func curveChart(title: String, xLabel: String, yLabel: String, points: [(x: Double, y: Double)], diagonal: Bool) -> String {
        let size = 300.0, left = 64.0, top = 40.0, width = left + size + 24, height = top + size + 52
        func x(_ value: Double) -> Double { left + value * size }
        func y(_ value: Double) -> Double { top + (1 - value) * size }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"\(escape(title))\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(f(left + size / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">\(escape(title))</text>\n"
        for tick in stride(from: 0.0, through: 1.0001, by: 0.2) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(left + size))\" y2=\"\(f(y(tick)))\" stroke=\"#e5e7eb\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">\(format(tick, 1))</text>\n"
            svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(top + size + 18))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">\(format(tick, 1))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(size))\" height=\"\(f(size))\" fill=\"none\" stroke=\"#444\"/>\n"
        if diagonal {
            svg += "<line x1=\"\(f(x(0)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(1)))\" y2=\"\(f(y(1)))\" stroke=\"#aaaaaa\" stroke-dasharray=\"4 4\"/>\n"
        }
        svg += "<text x=\"\(f(left + size / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"16\" y=\"\(f(top + size / 2))\" text-anchor=\"middle\" font-size=\"12\" "
            + "transform=\"rotate(-90 16 \(f(top + size / 2)))\">\(escape(yLabel))</text>\n"
        svg += "<polyline class=\"curve\" fill=\"none\" stroke=\"\(curveColour)\" stroke-width=\"3\" points=\""
            + points.map { "\(f(x($0.x))),\(f(y($0.y)))" }.joined(separator: " ") + "\"/>\n"
        return svg + "</svg>\n"
    }

    /// The ROC and precision-recall curves' colour (used nowhere else on the page).
    static let curveColour = "#9467bd"

    /// The confusion matrix as a heat map: counts in the cells, colour = count / row total.
    static func heatMap(_ matrix: [[Int]], labels: [String]) -> String {
        let n = labels.count
        let cell = n <= 4 ? 72.0 : n <= 10 ? 48.0 : 34.0
        let longest = Double(labels.map { $0.count }.max() ?? 1)
        let charWidth = 6.6  // at font-size 11
        let left = 28 + longest * charWidth + 10, top = 30 + longest * charWidth * 0.75 + 10
        let width = left + Double(n) * cell + max(20, longest * charWidth * 0.71 - cell / 2 + 10), height = top + Double(n) * cell + 20
        let maxCount = matrix.flatMap { $0 }.max() ?? 0
        let digits = Double(String(maxCount).count)
        let fontSize = min(14, max(8, (cell - 6) / max(3, digits) * 1.6))

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"confusion matrix\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(f(left + Double(n) * cell / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\">predicted</text>\n"
        svg += "<text x=\"14\" y=\"\(f(top + Double(n) * cell / 2))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\" "
            + "transform=\"rotate(-90 14 \(f(top + Double(n) * cell / 2)))\">true</text>\n"
        for (index, label) in labels.enumerated() {
            // Column labels, rotated; row labels, right-aligned.
            let cx = left + (Double(index) + 0.5) * cell
            svg += "<text x=\"\(f(cx))\" y=\"\(f(top - 6))\" font-size=\"11\" text-anchor=\"start\" "
                + "transform=\"rotate(-45 \(f(cx)) \(f(top - 6)))\">\(escape(label))</text>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(top + (Double(index) + 0.5) * cell + 4))\" font-size=\"11\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        for (row, counts) in matrix.enumerated() {
            let rowTotal = counts.reduce(0, +)
            for (column, count) in counts.enumerated() {
                let share = rowTotal == 0 ? 0 : Double(count) / Double(rowTotal)
                let x = left + Double(column) * cell, y = top + Double(row) * cell
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(blue(share))\" stroke=\"#ffffff\">"
                    + "<title>true \(escape(labels[row])), predicted \(escape(labels[column])): \(count) (\(format(share * 100, 1))% of the row)</title></rect>\n"
                svg += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + fontSize * 0.35))\" text-anchor=\"middle\" font-size=\"\(f(fontSize))\" "
                    + "fill=\"\(share > 0.5 ? "#ffffff" : "#1f2328")\">\(count)</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// White (0) to dark blue (1): matplotlib's "Blues" colour map (its 9 stops, interpolated).
    static func blue(_ share: Double) -> String {
        let stops: [(Double, Double, Double)] = [
            (247, 251, 255), (222, 235, 247), (198, 219, 239), (158, 202, 225), (107, 174, 214),
            (66, 146, 198), (33, 113, 181), (8, 81, 156), (8, 48, 107),
        ]
        let position = max(0, min(1, share.isFinite ? share : 0)) * Double(stops.count - 1)
        let index = min(stops.count - 2, Int(position))
        let t = position - Double(index)
        let from = stops[index], to = stops[index + 1]
        func channel(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
        let rgb = [channel(from.0, to.0), channel(from.1, to.1), channel(from.2, to.2)]
        return "#" + rgb.map { value in
            let hex = String(value, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// About five round ticks covering [low, high].
    static func niceTicks(low: Double, high: Double) -> [Double] {
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(low / step) * step
        var ticks: [Double] = []
        var value = first
        while value <= high + step * 0.999 && ticks.count < 20 {
            ticks.append(value)
            if value >= high { break }
            value += step
        }
        return ticks
    }

    private static func tickLabel(_ value: Double, _ ticks: [Double]) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = max(0, min(6, Int(-floor(log10(step)) + (step / pow(10, floor(log10(step))) == 2.5 ? 1 : 0))))
        return String(format: "%.\(decimals)f", abs(value) < step * 1e-9 ? 0 : value)
    }
}

private func f(_ value: Double) -> String { String(format: "%.1f", value) }

private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// Escapes text for HTML content and attribute values.
private func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
