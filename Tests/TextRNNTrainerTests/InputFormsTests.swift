import Foundation
import Testing

@testable import TextRNNTrainer

/// Issue 14, items 10 and 11: compressed files, headerless CSV, and errors that name their file
/// and the line at fault.
@Suite("Data loading: .gz, no header, error placement")
struct InputFormsTests {
    @Test func gzipFilesAreReadByTheFormatUnderTheirName() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write("label,text\npos,good film\nneg,bad film\n", to: dir, "train.csv")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", path]
        try gzip.run()
        gzip.waitUntilExit()
        let data = try DatasetLoader.load(path + ".gz")
        #expect(data.texts == ["good film", "bad film"])
        #expect(data.labelNames == ["neg", "pos"])

        let broken = try DataTestSupport.write("not gzip at all", to: dir, "broken.csv.gz")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(broken) }.hasPrefix("\(broken): cannot decompress: "))
    }

    @Test func headerlessCSVNamesColumnsByNumber() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write("3,Wall St. rallies,Stocks rose\n4,New chip,Faster\n", to: dir, "ag.csv")
        var options = DatasetOptions(textColumns: ["2", "3"], labelColumn: "1")
        options.header = false
        let data = try DatasetLoader.load(path, options: options)
        #expect(data.texts == ["Wall St. rallies Stocks rose", "New chip Faster"], "the first row is data")
        #expect(data.labelNames == ["3", "4"])
        options.labelColumn = "label"
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path, options: options) }
            == "\(path):1: no column \"label\" (no header: columns are numbered) (columns: \"1\", \"2\", \"3\")")
    }

    @Test func aFileWithNoRowsIsNamed() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let headerOnly = try DataTestSupport.write("label,text\n", to: dir, "empty.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(headerOnly) } == "\(headerOnly): no data rows")
        let allBad = try DataTestSupport.write("label,text\npos,\n", to: dir, "bad.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(allBad, options: DatasetOptions(skipBadRows: true)) }
            == "\(allBad): no data rows (1 bad rows skipped, first: \(allBad):2: empty text)")
    }

    @Test func aQuoteThatRunsOnIsReportedWhereItOpened() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write("label,text\npos,\"good film\nneg,bad\" one\npos,fine\n", to: dir, "runs.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) }
            == "\(path):2: unterminated quoted field: the quote opened here runs to line 3, where a quote is followed by other text (a quote inside a quoted field must be doubled)")
    }

    @Test func anEmptyClassFolderIsAnError() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        for name in ["neg", "pos"] { try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true) }
        try DataTestSupport.write("bad film", to: dir + "/neg", "1.txt")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(dir) } == "\(dir)/pos: class folder \"pos\" holds no files")
        let skipped = try DatasetLoader.load(dir, options: DatasetOptions(skipBadRows: true))
        #expect(skipped.skippedRows == 1 && skipped.texts == ["bad film"])
    }

    @Test func resumingWithOtherSettingsNamesThem() throws {
        var old = TrainingConfig()
        var new = old
        new.learningRate = 0.01
        new.units = [64]
        old.epochs = 3
        new.epochs = 3
        let changes = Checkpoint.settingChanges(from: old, to: new)
        #expect(changes.count == 2 && changes[0].hasPrefix("learning_rate: checkpoint 0.002") && changes[0].contains(", now 0.0"), "\(changes)")
        #expect(changes.last == "units: checkpoint [32], now [64]")
    }
}

@Suite("Progress bar")
struct ProgressBarTests {
    @Test func theBarFitsEveryWidthAndStartsWithEpoch() {
        for columns in [20, 40, 60, 80, 100, 200] {
            let line = ProgressReporter.barLine(
                epoch: 10, of: 10, batch: 1234, of: 5678, eta: 4000, loss: 0.69314, accuracy: 0.5,
                samplesPerSecond: 123456, columns: columns)
            #expect(line.count <= columns - 1, "\(columns): \(line.count) characters: \(line)")
            #expect(line.hasPrefix("Epoch 10/10 ["), "\(line)")
        }
        let wide = ProgressReporter.barLine(
            epoch: 1, of: 2, batch: 5, of: 10, eta: 5, loss: 0.5, accuracy: 0.75, samplesPerSecond: 100, columns: 200)
        #expect(wide == "Epoch 1/2 [===============...............] 5/10  ETA 0:05  loss 0.5000  acc 0.7500  100/s")
        let narrow = ProgressReporter.barLine(
            epoch: 1, of: 2, batch: 5, of: 10, eta: 5, loss: 0.5, accuracy: 0.75, samplesPerSecond: 100, columns: 56)
        #expect(narrow == "Epoch 1/2 [=======........] 5/10  ETA 0:05  loss 0.5000", "figures go before the bar shrinks below 10")
    }
}
