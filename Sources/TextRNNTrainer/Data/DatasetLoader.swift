import Foundation

/// The layout of a data file.
public enum DatasetFormat: String, Sendable, CaseIterable {
    case csv
    case tsv
    /// JSON Lines (`.jsonl`, `.ndjson`).
    case jsonLines = "jsonl"
    /// fastText lines (`.txt`, `.ft`).
    case fastText = "fasttext"
    /// One folder per class (a directory).
    case folders

    /// The format implied by `path`: a directory is `folders`; otherwise the extension decides
    /// (.csv, .tsv, .jsonl/.ndjson, .txt/.ft, each optionally followed by .gz); standard input
    /// ("-") is CSV. A missing path is a "no such file" error.
    public static func detect(path: String) throws -> DatasetFormat {
        if path == DataReading.standardInput { return .csv }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, line: nil, reason: "no such file or directory")
        }
        if isDirectory.boolValue { return .folders }
        var name = path
        if DataReading.isGzip(name) { name.removeLast(3) }
        switch (name as NSString).pathExtension.lowercased() {
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "jsonl", "ndjson": return .jsonLines
        case "txt", "ft": return .fastText
        case let other:
            throw DataError(
                file: path, line: nil,
                reason: "cannot tell the format from the extension \"\(other)\": choose csv, tsv, jsonl, fasttext or folders")
        }
    }
}

/// How to read a data file.
public struct DatasetOptions: Sendable {
    /// nil: detect from the path (`DatasetFormat.detect`).
    public var format: DatasetFormat?
    /// CSV/TSV header names, or JSON Lines keys, of the text; several are joined with a space.
    public var textColumns: [String]
    /// CSV/TSV header name, or JSON Lines key, of the label.
    public var labelColumn: String
    /// CSV/TSV only: split the label field on this string to get several labels (multi-label);
    /// nil = one label per row. An empty field then means no label.
    public var labelSeparator: String?
    /// fastText only: the prefix that marks a label word.
    public var labelPrefix: String
    public var encoding: TextEncoding
    /// Drop malformed rows (counted in `skippedRows`, reasons in `skipped`) instead of throwing
    /// on the first one. File-level problems (missing file, bad header) still throw.
    public var skipBadRows: Bool
    /// CSV/TSV: the first row names the columns; false: every row is data and columns are
    /// named by number ("1", "2", ...).
    public var header: Bool = true

    public init(
        format: DatasetFormat? = nil, textColumns: [String] = ["text"], labelColumn: String = "label",
        labelSeparator: String? = nil, labelPrefix: String = "__label__", encoding: TextEncoding = .utf8,
        skipBadRows: Bool = false
    ) {
        self.format = format
        self.textColumns = textColumns
        self.labelColumn = labelColumn
        self.labelSeparator = labelSeparator
        self.labelPrefix = labelPrefix
        self.encoding = encoding
        self.skipBadRows = skipBadRows
    }
}

/// Reads labelled text in any supported format. Errors are `DataError`s (`file:line: reason`).
///
/// Typical trainer use:
/// ```
/// let train = try DatasetLoader.load(trainPath, options: options)             // fits the label map
/// let test = try DatasetLoader.load(testPath, options: options, labelMap: train.labelMap)
/// ```
public enum DatasetLoader {
    /// Loads `path`. Without `labelMap` the labels are indexed by `LabelMap(fitting:)` (sorted);
    /// with one (from the training data or a bundle) a label outside it is an error
    /// `file:line: unknown label "X"` (or a skipped row with `skipBadRows`).
    public static func load(_ path: String, options: DatasetOptions = DatasetOptions(), labelMap: LabelMap? = nil) throws -> LabelledDataset {
        let format = try options.format ?? DatasetFormat.detect(path: path)
        var collector = RowCollector(skipBadRows: options.skipBadRows)
        switch format {
        case .csv, .tsv:
            let bytes = try DataReading.readFile(path)
            let delimiter = format == .csv ? UInt8(ascii: ",") : UInt8(ascii: "\t")
            try DelimitedReader.read(bytes, file: DataReading.displayName(path), delimiter: delimiter, options: options, into: &collector)
        case .jsonLines:
            try JSONLinesReader.read(DataReading.readFile(path), file: DataReading.displayName(path), options: options, into: &collector)
        case .fastText:
            try FastTextReader.read(DataReading.readFile(path), file: DataReading.displayName(path), options: options, into: &collector)
        case .folders:
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DataError(file: path, line: nil, reason: "no such directory")
            }
            guard isDirectory.boolValue else {
                throw DataError(file: path, line: nil, reason: "not a directory (the folders format needs root/<label>/<files>)")
            }
            try FolderReader.read(root: path, options: options, into: &collector)
        }
        if collector.rows.isEmpty {
            let skipped = collector.skippedRows > 0 ? " (\(collector.skippedRows) bad rows skipped, first: \(collector.skipped[0]))" : ""
            throw DataError(file: DataReading.displayName(path), line: nil, reason: "no data rows\(skipped)")
        }
        return try finish(collector, labelMap: labelMap)
    }

    /// Maps label names to indices and assembles the dataset.
    static func finish(_ collector: RowCollector, labelMap given: LabelMap?) throws -> LabelledDataset {
        var collector = collector
        let map = given ?? LabelMap(fitting: collector.rows.lazy.flatMap(\.labels))
        var texts: [String] = []
        var labelSets: [[Int]] = []
        var files: [String] = []
        var lines: [Int] = []
        texts.reserveCapacity(collector.rows.count)
        labelSets.reserveCapacity(collector.rows.count)
        rows: for row in collector.rows {
            var set: [Int] = []
            for name in row.labels {
                guard let index = map.index(of: name) else {
                    try collector.reject(DataError(file: row.file, line: row.line, reason: "unknown label \"\(name)\""))
                    continue rows
                }
                set.append(index)
            }
            if set.count > 1 { set = Array(Set(set)).sorted() }
            texts.append(row.text)
            labelSets.append(set)
            files.append(row.file)
            lines.append(row.line)
        }
        let multi = collector.sawLabelList || labelSets.contains { $0.count != 1 }
        return LabelledDataset(
            texts: texts, labelSets: labelSets, labelMap: map, files: files, lines: lines, isMultiLabel: multi,
            skippedRows: collector.skippedRows, skipped: collector.skipped)
    }
}
