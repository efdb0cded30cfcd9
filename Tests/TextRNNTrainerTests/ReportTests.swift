import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TextRNNTrainer
import TextRNNRuntime

@Suite("HTML report")
struct ReportTests {
    static func sampleHistory(validation: Bool = true) -> TrainingHistory {
        var history = TrainingHistory()
        let losses = [0.69, 0.52, 0.41, 0.35, 0.31, 0.29]
        for (index, loss) in losses.enumerated() {
            history.append(EpochRecord(
                epoch: index + 1, trainLoss: loss, trainAccuracy: 1 - loss * 0.7,
                validationLoss: validation ? loss + 0.01 * Double(index) : nil,
                validationAccuracy: validation ? 0.98 - loss * 0.75 : nil, seconds: 12.5))
        }
        return history
    }

    static func sampleReport() -> HTMLReport {
        let metrics = ClassificationMetrics(
            trueLabels: MetricsTests.yTrue, predictedLabels: MetricsTests.yPred, labels: ["cat", "dog", "bird & <fish>", "x"])
        return HTMLReport(
            title: "IMDB <LSTM>", subtitle: ["data: imdb/train.csv"], history: sampleHistory(), metrics: metrics,
            hyperparameters: [("epochs", "6"), ("learning_rate", "0.001"), ("optimizer", "adam \"beta\"")])
    }

    @Test func containsTheSectionsAndEscapes() {
        let html = Self.sampleReport().render()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 3)  // loss, accuracy, confusion matrix
        #expect(html.contains("<title>IMDB &lt;LSTM&gt;</title>"))
        #expect(html.contains("bird &amp; &lt;fish&gt;"))
        #expect(!html.contains("<fish>"))
        #expect(html.contains("adam &quot;beta&quot;"))
        #expect(html.contains(">learning_rate</td><td>0.001</td>"))
        #expect(html.contains(">weighted avg</td>"))
        #expect(html.contains(">epoch</text>") && html.contains(">loss</text>") && html.contains(">accuracy</text>"))
        // Self-contained: no scripts, no external resources.
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == 3)  // only SVG xmlns
        #expect(!html.contains("https://"))
        #expect(!html.contains("nan") && !html.contains("inf"))
    }

    @Test func heatMapCountsAndRowNormalizedColours() {
        let svg = HTMLReport.heatMap([[8, 2], [0, 0]], labels: ["a", "b"])
        #expect(svg.contains(">8</text>") && svg.contains(">2</text>"))
        #expect(svg.contains("fill=\"\(HTMLReport.blue(0.8))\""))
        #expect(svg.contains("fill=\"\(HTMLReport.blue(0.2))\""))
        #expect(HTMLReport.blue(0) == "#f7fbff" && HTMLReport.blue(1) == "#08306b")
        // A row without rows is white, not NaN.
        #expect(svg.components(separatedBy: "fill=\"#f7fbff\"").count - 1 == 2)
    }

    @Test func historyWithoutValidationAndOneEpoch() {
        var history = TrainingHistory()
        history.append(EpochRecord(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, seconds: 1))
        let svg = HTMLReport.lineChart(
            title: "Loss", yLabel: "loss", epochs: [1], series: [("train", "#000", [0.5]), ("validation", "#f00", [nil])])
        #expect(svg.contains("<circle"))
        #expect(!svg.contains("data-name=\"validation\""))
        #expect(!svg.contains("nan"))
        let html = HTMLReport(title: "t", history: history).render()
        #expect(html.contains("<svg "))
        let ticks = HTMLReport.niceTicks(low: 0.29, high: 0.69)
        #expect(ticks.first! <= 0.29 && ticks.last! >= 0.69 && ticks.count >= 4 && ticks.count <= 11)
    }

    @Test func historyJSONUsesKerasKeys() throws {
        let json = Self.sampleHistory(validation: false).json.rendered()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let epochs = try #require(object["epochs"] as? [[String: Any]])
        #expect(epochs.count == 6)
        #expect(epochs[0]["loss"] as? Double == 0.69)
        #expect(epochs[0]["val_loss"] is NSNull)
        #expect(Self.sampleHistory().bestEpoch?.epoch == 6)
    }

    @Test func wellFormedXMLAndAtomicWrite() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = dir + "/report.html"
        try DataTestSupport.write("old", to: dir, "report.html")
        try Self.sampleReport().write(to: path)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html == Self.sampleReport().render())
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.html"])
        // The page is well-formed XML once the doctype is dropped (XHTML-compatible markup).
        let xml = html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
        let document = try XMLDocument(xmlString: xml, options: [])
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        #expect(svgs.count == 3)
        #expect(throws: TextRNNError.self) { try Self.sampleReport().write(to: dir + "/missing/dir/report.html") }
        // For looking at the page: TEXTRNN_REPORT_SAMPLE=/path/sample.html also writes it there.
        if let sample = ProcessInfo.processInfo.environment["TEXTRNN_REPORT_SAMPLE"], !sample.isEmpty {
            try Self.sampleReport().write(to: sample)
            // And a 20-class one, with 20news-like names and a long history without validation.
            let names = ["alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
                "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
                "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space",
                "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast", "talk.politics.misc", "talk.religion.misc"]
            var generator = SeededGenerator(seed: 5)
            let truth = (0..<7_532).map { $0 % 20 }
            let predicted = truth.map { Int(generator.next() % 10) < 7 ? $0 : Int(generator.next() % 20) }
            var history = TrainingHistory()
            for epoch in 1...25 {
                history.append(EpochRecord(epoch: epoch, trainLoss: 3.0 / Double(epoch), trainAccuracy: 1 - 0.9 / Double(epoch), seconds: 30))
            }
            try HTMLReport(
                title: "20 Newsgroups", history: history,
                metrics: ClassificationMetrics(trueLabels: truth, predictedLabels: predicted, labels: names),
                hyperparameters: ["units": "64", "epochs": "25"]
            ).write(to: sample + "-20.html")
        }
    }
}
