import ArgumentParser
import TextRNNTrainer

/// How to read labelled data files; shared by `train` and `evaluate`.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-format"), help: "Data format: csv, tsv, jsonl, fasttext or folders (default: from the extension, .gz dropped; a directory is folders; standard input is csv).")
    var dataFormat: String?

    /// Before docs/cli.md: --format, which predict and explain use for their output.
    @Option(name: .customLong("format"), help: .hidden)
    var legacyFormat: String?

    @Option(name: .customLong("text-column"), help: "Column (CSV/TSV) or key (JSON Lines) of the text; repeat to join several (default: text).")
    var textColumns: [String] = []

    @Option(name: .customLong("label-column"), help: "Column (CSV/TSV) or key (JSON Lines) of the label (default: label).")
    var labelColumn: String?

    @Option(name: .customLong("label-separator"), help: "CSV/TSV: split the label field on this string (multi-label; default: one label per row).")
    var labelSeparator: String?

    @Option(help: "Text encoding of the files: utf8 or latin1.")
    var encoding: String = "utf8"

    @Flag(name: .customLong("no-header"), help: "CSV/TSV: the first row is data, not column names; columns are then named 1, 2, ... (default: --label-column 1 --text-column 2).")
    var noHeader = false

    @Flag(name: .customLong("skip-bad-rows"), help: "Skip malformed rows (counted and reported) instead of stopping at the first.")
    var skipBadRows = false

    func datasetOptions() throws -> DatasetOptions {
        var options = DatasetOptions(labelColumn: labelColumn ?? (noHeader ? "1" : "label"), labelSeparator: labelSeparator, skipBadRows: skipBadRows)
        options.header = !noHeader
        if !textColumns.isEmpty { options.textColumns = textColumns } else if noHeader { options.textColumns = ["2"] }
        if let format = dataFormat ?? legacyFormat {
            guard let value = DatasetFormat(rawValue: format) else {
                throw ValidationError("--data-format must be one of \(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", "))")
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
