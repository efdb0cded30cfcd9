import Foundation
import Testing
@testable import TextRNNTrainer

@Suite("Data loading: shared datasets")
struct DataSharedDatasetTests {
    @Test func imdbTrainLoads25000BalancedRows() throws {
        let path = try DataTestSupport.dataPath("imdb/train.csv")
        let start = Date()
        let data = try DatasetLoader.load(path)
        let seconds = Date().timeIntervalSince(start)
        print("imdb/train.csv loaded in \(String(format: "%.3f", seconds)) s")
        #expect(data.count == 25_000)
        #expect(data.labelNames == ["negative", "positive"])
        #expect(data.classCounts() == [12_500, 12_500])
        #expect(!data.isMultiLabel)
        #expect(data.lines[0] == 2)
        #expect(data.labels.first == 0 && data.labels.last == 1)
        #expect(data.texts.allSatisfy { !$0.isEmpty })
        #expect(data.texts[0].contains("<br />") || data.texts.contains { $0.contains("<br />") })
    }

    @Test func agNewsMiniHasFourClasses() throws {
        let train = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        #expect(train.count == 6_000)
        #expect(train.labelNames == ["Business", "Sci/Tech", "Sports", "World"])
        #expect(train.classCounts() == [1_500, 1_500, 1_500, 1_500])
        let test = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/test.csv"), labelMap: train.labelMap)
        #expect(test.count == 1_600)
        #expect(test.classCounts() == [400, 400, 400, 400])
    }

    @Test func twentyNewsFoldersDecodeLatin1() throws {
        let root = try DataTestSupport.dataPath("20news/folders/train")
        let data = try DatasetLoader.load(root, options: DatasetOptions(encoding: .latin1))
        #expect(data.count == 11_314)
        #expect(data.classCount == 20)
        #expect(data.labelNames.first == "alt.atheism")
        #expect(data.labelNames.last == "talk.religion.misc")
        #expect(data.files[0].hasPrefix(root))
        // Files come in sorted order within each class.
        let firstClass = data.files.prefix { $0.contains("/alt.atheism/") }
        #expect(Array(firstClass) == firstClass.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // Some documents hold Latin-1 bytes >= 0x80, decoded one byte -> one code point.
        #expect(data.texts.contains { $0.unicodeScalars.contains { $0.value >= 0xA0 && $0.value <= 0xFF } })
        // The same documents as the CSV export, in the same per-class order.
        let csv = try DatasetLoader.load(try DataTestSupport.dataPath("20news/train.csv"))
        #expect(csv.count == 11_314)
        #expect(csv.labelNames == data.labelNames)
        #expect(csv.classCounts() == data.classCounts())
    }

    @Test func twentyNewsFoldersAsUTF8ReportTheFileAndLine() throws {
        let root = try DataTestSupport.dataPath("20news/folders/train")
        let message = DataTestSupport.errorText { _ = try DatasetLoader.load(root) }
        #expect(message.hasPrefix(root + "/"))
        #expect(message.contains(": invalid UTF-8 in text (byte 0x"))
        #expect(message.range(of: #":[0-9]+: invalid UTF-8"#, options: .regularExpression) != nil)
        let skipping = try DatasetLoader.load(root, options: DatasetOptions(skipBadRows: true))
        #expect(skipping.skippedRows > 0)
        #expect(skipping.count + skipping.skippedRows == 11_314)
    }

    @Test func twentyNewsTestHasTheLongMessage() throws {
        let data = try DatasetLoader.load(try DataTestSupport.dataPath("20news/test.csv"))
        #expect(data.count == 7_532)
        #expect(data.texts.map(\.count).max() == 160_615)
    }
}

@Suite("Data loading: CSV and TSV")
struct DataDelimitedTests {
    @Test func quotedFieldsDoubledQuotesAndLineBreaks() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write(
            "label,text\r\n"
                + "pos,\"good, really good\"\r\n"
                + "neg,\"he said \"\"meh\"\"\"\n"
                + "\n"
                + "pos,\"two\nlines\"\n"
                + "neg,plain 5\" screen\n"
                + "pos,\"\"\"quoted\"\" start\"",
            to: dir, "edge.csv")
        let data = try DatasetLoader.load(path)
        #expect(data.texts == ["good, really good", "he said \"meh\"", "two\nlines", "plain 5\" screen", "\"quoted\" start"])
        #expect(data.labelNames == ["neg", "pos"])
        #expect(data.labels == [1, 0, 1, 0, 1])
        #expect(data.lines == [2, 3, 5, 7, 8])
    }

    @Test func tsvAndSeveralTextColumns() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write(
            "id\ttitle\tbody\ttopic\n1\tHello\tworld, again\ta\n2\t\"Tab\tin\"\tbody\tb\n", to: dir, "rows.tsv")
        let data = try DatasetLoader.load(path, options: DatasetOptions(textColumns: ["title", "body"], labelColumn: "topic"))
        #expect(data.texts == ["Hello world, again", "Tab\tin body"])
        #expect(data.labelNames == ["a", "b"])
        #expect(data.lines == [2, 3])
        // Format override: the same file read as TSV under another name.
        let renamed = try DataTestSupport.write(try String(contentsOfFile: path, encoding: .utf8), to: dir, "rows.data")
        let again = try DatasetLoader.load(renamed, options: DatasetOptions(format: .tsv, textColumns: ["body"], labelColumn: "topic"))
        #expect(again.texts == ["world, again", "body"])
    }

    @Test func multiLabelWithSeparator() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write("text,label\nfirst,b|a\nsecond,c\nthird,\n", to: dir, "multi.csv")
        let data = try DatasetLoader.load(path, options: DatasetOptions(labelSeparator: "|"))
        #expect(data.isMultiLabel)
        #expect(data.labelNames == ["a", "b", "c"])
        #expect(data.labelSets == [[0, 1], [2], []])
    }

    @Test func brokenQuotesAreReportedWithTheirLine() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let afterQuote = try DataTestSupport.write("label,text\npos,fine\nneg,\"bad\"quote\npos,ok\n", to: dir, "after.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(afterQuote) }
            == "\(afterQuote):3: unexpected character after the closing quote of field 2 (a quote inside a quoted field must be doubled)")
        let skipped = try DatasetLoader.load(afterQuote, options: DatasetOptions(skipBadRows: true))
        #expect(skipped.texts == ["fine", "ok"])
        #expect(skipped.skippedRows == 1)
        #expect(skipped.skipped.map(\.line) == [3])

        let unterminated = try DataTestSupport.write("label,text\npos,fine\nneg,\"never closed\npos,more\n", to: dir, "open.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(unterminated) }
            == "\(unterminated):3: unterminated quoted field: the quote opened here is never closed")
    }

    @Test func fieldCountEmptyTextAndEncodingErrors() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write("label,text\npos,a,b\nneg,   \npos,good\nneg,\"\"\n", to: dir, "bad.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) }
            == "\(path):2: expected 2 fields as in the header, found 3")
        let skipped = try DatasetLoader.load(path, options: DatasetOptions(skipBadRows: true))
        #expect(skipped.count == 1)
        #expect(skipped.skippedRows == 3)
        #expect(skipped.skipped.map(\.description) == [
            "\(path):2: expected 2 fields as in the header, found 3",
            "\(path):3: empty text",
            "\(path):5: empty text",
        ])

        let empty = try DataTestSupport.write("label,text\npos,\"\"\n", to: dir, "empty.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(empty) } == "\(empty):2: empty text")

        let latin = try DataTestSupport.writeBytes(Array("label,text\npos,\"caf".utf8) + [0xE9] + Array("\n\"\n".utf8), to: dir, "latin.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(latin) }
            == "\(latin):2: invalid UTF-8 in text (byte 0xE9); use --encoding latin1 if the file is Latin-1")
        let decoded = try DatasetLoader.load(latin, options: DatasetOptions(encoding: .latin1))
        #expect(decoded.texts == ["café\n"])
    }

    @Test func missingFileAndMissingColumn() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let missing = dir + "/nope.csv"
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(missing) } == "\(missing): no such file or directory")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(missing, options: DatasetOptions(format: .csv)) }
            == "\(missing): no such file")
        let path = try DataTestSupport.write("label,body\npos,x\n", to: dir, "cols.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) }
            == "\(path):1: no column \"text\" in the header (columns: \"label\", \"body\")")
        let unknownExtension = try DataTestSupport.write("x", to: dir, "data.bin")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(unknownExtension) }.hasPrefix("\(unknownExtension): cannot tell the format"))
    }

    @Test func byteOrderMarkCRLFAndDirectoryErrors() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.writeBytes([0xEF, 0xBB, 0xBF] + Array("label,text\r\nb,\"x\r\ny\"\r\na,z\r\n".utf8), to: dir, "bom.csv")
        let data = try DatasetLoader.load(path)
        #expect(data.texts == ["x\r\ny", "z"])
        #expect(data.labels == [1, 0])
        #expect(data.lines == [2, 4])
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(dir, options: DatasetOptions(format: .csv)) }
            == "\(dir): is a directory, expected a file")
        let empty = try DataTestSupport.write("", to: dir, "empty.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(empty) } == "\(empty): empty file: no header row")
    }

    @Test func unknownLabelInValidationFile() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let train = try DatasetLoader.load(try DataTestSupport.write("label,text\npositive,a\nnegative,b\n", to: dir, "train.csv"))
        #expect(train.labelNames == ["negative", "positive"])
        let validation = try DataTestSupport.write("label,text\npositive,c\nneutral,d\nnegative,e\n", to: dir, "val.csv")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(validation, labelMap: train.labelMap) }
            == "\(validation):3: unknown label \"neutral\"")
        let skipped = try DatasetLoader.load(validation, options: DatasetOptions(skipBadRows: true), labelMap: train.labelMap)
        #expect(skipped.labels == [1, 0])
        #expect(skipped.skippedRows == 1)
    }
}

@Suite("Data loading: JSON Lines, fastText, folders")
struct DataOtherFormatTests {
    @Test func jsonLinesWithStringNumberAndArrayLabels() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let single = try DataTestSupport.write(
            "{\"text\": \"caf\\u00e9 \\\"ok\\\"\", \"label\": 2}\n\n{\"label\": 10, \"text\": \"b\\ud83d\\ude00\", \"x\": [1, {\"y\": null}]}\r\n{\"text\":\"c\",\"label\":2}",
            to: dir, "single.jsonl")
        let data = try DatasetLoader.load(single)
        #expect(data.texts == ["café \"ok\"", "b😀", "c"])
        #expect(data.labelNames == ["2", "10"])  // integer labels sort numerically
        #expect(data.labels == [0, 1, 0])
        #expect(data.lines == [1, 3, 4])
        #expect(!data.isMultiLabel)

        let multi = try DataTestSupport.write(
            "{\"body\": \"one\", \"tags\": [\"x\", \"y\"]}\n{\"body\": \"two\", \"tags\": []}\n{\"body\": \"three\", \"tags\": \"y\"}\n",
            to: dir, "multi.ndjson")
        let tagged = try DatasetLoader.load(multi, options: DatasetOptions(textColumns: ["body"], labelColumn: "tags"))
        #expect(tagged.isMultiLabel)
        #expect(tagged.labelSets == [[0, 1], [], [1]])
    }

    @Test func jsonLinesLatin1() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.writeBytes(Array("{\"text\": \"caf".utf8) + [0xE9] + Array("\", \"label\": \"x\"}\n".utf8), to: dir, "l.jsonl")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) }
            == "\(path):1: invalid UTF-8 (byte 0xE9); use --encoding latin1 if the file is Latin-1")
        #expect(try DatasetLoader.load(path, options: DatasetOptions(encoding: .latin1)).texts == ["café"])
    }

    @Test func jsonLinesErrors() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write(
            "{\"text\": \"a\", \"label\": \"p\"}\n{\"text\": \"b\", \"label\": \"p\"\n{\"label\": \"p\"}\n{\"text\": 3, \"label\": \"p\"}\n{\"text\": \"\", \"label\": \"p\"}\n{\"text\": \"c\", \"label\": null}\n",
            to: dir, "bad.jsonl")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) } == "\(path):2: invalid JSON: expected ',' or '}' at column 27")
        let skipped = try DatasetLoader.load(path, options: DatasetOptions(skipBadRows: true))
        #expect(skipped.count == 1)
        #expect(skipped.skippedRows == 5)
        #expect(skipped.skipped.map(\.description) == [
            "\(path):2: invalid JSON: expected ',' or '}' at column 27",
            "\(path):3: no key \"text\"",
            "\(path):4: \"text\" is not a string",
            "\(path):5: empty text",
            "\(path):6: \"label\" must be a string, a number or an array of them",
        ])
    }

    @Test func fastTextSingleAndMultiLabel() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let path = try DataTestSupport.write(
            "__label__sports __label__news Match report: 3-1\n\n__label__news  Budget talks\r\nno label here\n__label__tech\n",
            to: dir, "rows.txt")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(path) }
            == "\(path):4: no label: a line must start with __label__<name>")
        let data = try DatasetLoader.load(path, options: DatasetOptions(skipBadRows: true))
        #expect(data.texts == ["Match report: 3-1", "Budget talks"])
        #expect(data.labelNames == ["news", "sports"])
        #expect(data.labelSets == [[0, 1], [0]])
        #expect(data.isMultiLabel)
        #expect(data.lines == [1, 3])
        #expect(data.skippedRows == 2)
        #expect(data.skipped.map(\.description) == ["\(path):4: no label: a line must start with __label__<name>", "\(path):5: empty text"])

        let single = try DataTestSupport.write("__label__a x\n__label__b y\n", to: dir, "single.ft")
        let plain = try DatasetLoader.load(single)
        #expect(!plain.isMultiLabel)
        #expect(plain.labels == [0, 1])
    }

    @Test func foldersInSortedOrder() throws {
        let dir = try DataTestSupport.temporaryDirectory()
        defer { DataTestSupport.cleanup(dir) }
        let fm = FileManager.default
        for (label, files) in [("pos", ["b.txt", "a.txt", ".hidden"]), ("neg", ["z", "10", "2"])] {
            try fm.createDirectory(atPath: "\(dir)/\(label)", withIntermediateDirectories: true)
            for file in files { try DataTestSupport.write("\(label) \(file)", to: "\(dir)/\(label)", file) }
        }
        try DataTestSupport.write("stray", to: dir, "README")
        let data = try DatasetLoader.load(dir)
        #expect(data.labelNames == ["neg", "pos"])
        #expect(data.texts == ["neg 10", "neg 2", "neg z", "pos a.txt", "pos b.txt"])
        #expect(data.labels == [0, 0, 0, 1, 1])
        #expect(data.files[0] == "\(dir)/neg/10")
        #expect(DataTestSupport.errorText { _ = try DatasetLoader.load(dir + "/missing", options: DatasetOptions(format: .folders)) }
            == "\(dir)/missing: no such directory")
    }
}

@Suite("Data loading: labels and validation split")
struct DataSplitTests {
    @Test func labelOrderRule() {
        #expect(LabelMap(fitting: ["positive", "negative", "positive"]).names == ["negative", "positive"])
        #expect(LabelMap(fitting: ["10", "2", "-1", "2"]).names == ["-1", "2", "10"])
        #expect(LabelMap(fitting: ["b", "B", "a", "10", "9"]).names == ["10", "9", "B", "a", "b"])
    }

    private func dataset(_ counts: [Int]) -> LabelledDataset {
        var sets: [[Int]] = []
        for (label, count) in counts.enumerated() { sets += Array(repeating: [label], count: count) }
        var generator = SeededGenerator(seed: 99)
        sets.shuffle(using: &generator)
        return LabelledDataset(
            texts: sets.indices.map { "row \($0)" }, labelSets: sets,
            labelMap: LabelMap(names: counts.indices.map { "c\($0)" }), files: Array(repeating: "f", count: sets.count),
            lines: Array(sets.indices))
    }

    @Test func stratifiedSplitKeepsProportionsAndIsDeterministic() {
        let data = dataset([600, 300, 100])
        let (train, validation) = data.stratifiedSplit(validationFraction: 0.2, seed: 42)
        #expect(validation.count == 200)
        #expect(train.count == 800)
        #expect(validation.classCounts() == [120, 60, 20])
        #expect(train.classCounts() == [480, 240, 80])
        #expect(Set(train.texts).isDisjoint(with: validation.texts))
        #expect(Set(train.texts + validation.texts).count == 1_000)
        // Both parts keep file order.
        #expect(validation.lines == validation.lines.sorted())
        let again = data.stratifiedSplit(validationFraction: 0.2, seed: 42)
        #expect(again.validation.texts == validation.texts)
        let other = data.stratifiedSplit(validationFraction: 0.2, seed: 43)
        #expect(other.validation.texts != validation.texts)
        #expect(other.validation.classCounts() == [120, 60, 20])
    }

    @Test func splitRoundsTheTotalAndSharesRemainders() {
        let data = dataset([5, 5, 3])
        let (train, validation) = data.stratifiedSplit(validationFraction: 0.25, seed: 7)
        // 0.25 * 13 = 3.25 -> 3 rows: floors 1, 1, 0; the remainder (0.75 for class 2) goes to class 2.
        #expect(validation.count == 3)
        #expect(validation.classCounts() == [1, 1, 1])
        #expect(train.count == 10)
    }

    @Test func imdbSplitIsStratified() throws {
        let data = try DatasetLoader.load(try DataTestSupport.dataPath("imdb/train.csv"))
        let (train, validation) = data.stratifiedSplit(validationFraction: 0.2, seed: 1337)
        #expect(validation.classCounts() == [2_500, 2_500])
        #expect(train.classCounts() == [10_000, 10_000])
    }
}
