import ArgumentParser
import TextRNNTrainer

/// How to read labelled data files; shared by `train` and `evaluate`.
struct DataOptions: ParsableArguments {
    @Option(help: "Data format: csv, tsv, jsonl, fasttext or folders (default: from the extension; a directory is folders).")
    var format: String?

    @Option(name: .customLong("text-column"), help: "Column (CSV/TSV) or key (JSON Lines) of the text; repeat to join several.")
    var textColumns: [String] = []

    @Option(name: .customLong("label-column"), help: "Column (CSV/TSV) or key (JSON Lines) of the label.")
    var labelColumn: String = "label"

    @Option(name: .customLong("label-separator"), help: "CSV/TSV: split the label field on this string (multi-label).")
    var labelSeparator: String?

    @Option(help: "Text encoding of the files: utf8 or latin1.")
    var encoding: String = "utf8"

    @Flag(name: .customLong("skip-bad-rows"), help: "Skip malformed rows (counted and reported) instead of stopping at the first.")
    var skipBadRows = false

    func datasetOptions() throws -> DatasetOptions {
        var options = DatasetOptions(labelColumn: labelColumn, labelSeparator: labelSeparator, skipBadRows: skipBadRows)
        if !textColumns.isEmpty { options.textColumns = textColumns }
        if let format {
            guard let value = DatasetFormat(rawValue: format) else {
                throw ValidationError("--format must be one of \(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.format = value
        }
        guard let encoding = TextEncoding(rawValue: encoding) else {
            throw ValidationError("--encoding must be one of \(TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.encoding = encoding
        return options
    }
}
