/// CSV and TSV (RFC 4180): a header row names the columns; a field that starts with `"` is
/// quoted and may hold delimiters, line breaks and doubled quotes (`""` = `"`); records end with
/// LF or CRLF; blank lines are ignored.
///
/// Leniency: a `"` inside an unquoted field is taken literally (as Python's csv module does), so
/// `5" screen` survives in TSV files. Errors: a quoted field that is never closed, a character
/// other than a delimiter or line end after a closing quote, a row whose field count differs
/// from the header's, invalid UTF-8.
enum DelimitedReader {
    private struct Field {
        var start: Int
        var end: Int
        var line: Int
        var quoted: Bool  // contains doubled quotes to undo
    }

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    static func read(
        _ bytes: [UInt8], file: String, delimiter: UInt8, options: DatasetOptions, into collector: inout RowCollector
    ) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            try read(buffer, file: file, delimiter: delimiter, options: options, into: &collector)
        }
    }

    private static func read(
        _ buffer: UnsafeBufferPointer<UInt8>, file: String, delimiter: UInt8, options: DatasetOptions,
        into collector: inout RowCollector
    ) throws {
        let count = buffer.count
        var position = DataReading.bomLength(buffer, encoding: options.encoding)
        var line = 1
        var fields: [Field] = []
        var columnCount = -1  // until the header is read
        var textColumns: [Int] = []
        var labelColumn = 0
        var scratch: [UInt8] = []

        while position < count {
            let recordLine = line
            fields.removeAll(keepingCapacity: true)
            var failure: DataError? = nil
            // Blank line.
            if buffer[position] == lf { position += 1; line += 1; continue }
            if buffer[position] == cr, position + 1 < count, buffer[position + 1] == lf {
                position += 2; line += 1; continue
            }
            record: while true {
                if position < count && buffer[position] == quote {
                    let openLine = line
                    position += 1
                    let start = position
                    var doubled = false
                    var closed = false
                    while position < count {
                        let byte = buffer[position]
                        if byte == quote {
                            if position + 1 < count && buffer[position + 1] == quote {
                                doubled = true
                                position += 2
                                continue
                            }
                            closed = true
                            break
                        }
                        if byte == lf { line += 1 }
                        position += 1
                    }
                    guard closed else {
                        failure = DataError(
                            file: file, line: openLine,
                            reason: "unterminated quoted field: the quote opened here is never closed")
                        position = count
                        break record
                    }
                    fields.append(Field(start: start, end: position, line: openLine, quoted: doubled))
                    position += 1  // the closing quote
                    if position >= count { break record }
                    let byte = buffer[position]
                    if byte == delimiter { position += 1; continue record }
                    if byte == lf { position += 1; line += 1; break record }
                    if byte == cr, position + 1 < count, buffer[position + 1] == lf {
                        position += 2; line += 1; break record
                    }
                    // A quote that spans lines and then meets text was most likely never meant
                    // to close there: the fault is where it opened.
                    failure = line == openLine
                        ? DataError(
                            file: file, line: line,
                            reason: "unexpected character after the closing quote of field \(fields.count) "
                                + "(a quote inside a quoted field must be doubled)")
                        : DataError(
                            file: file, line: openLine,
                            reason: "unterminated quoted field: the quote opened here runs to line \(line), where a quote "
                                + "is followed by other text (a quote inside a quoted field must be doubled)")
                    // Resynchronize at the next line end.
                    while position < count && buffer[position] != lf { position += 1 }
                    if position < count { position += 1; line += 1 }
                    break record
                } else {
                    let start = position
                    while position < count {
                        let byte = buffer[position]
                        if byte == delimiter || byte == lf { break }
                        position += 1
                    }
                    if position >= count || buffer[position] == lf {
                        var end = position
                        if end > start && buffer[end - 1] == cr { end -= 1 }
                        fields.append(Field(start: start, end: end, line: line, quoted: false))
                        if position < count { position += 1; line += 1 }
                        break record
                    }
                    fields.append(Field(start: start, end: position, line: line, quoted: false))
                    position += 1  // the delimiter
                }
            }

            if columnCount < 0 {
                // The header: its problems are fatal even when skipping bad rows.
                if let failure { throw failure }
                var names: [String] = []
                if options.header {
                    for field in fields {
                        switch decode(field, buffer, options.encoding, file: file, scratch: &scratch, what: "header") {
                        case .success(let name): names.append(name)
                        case .failure(let error): throw error
                        }
                    }
                } else {
                    names = fields.indices.map { String($0 + 1) }  // columns by number, from 1
                }
                func column(_ name: String) throws -> Int {
                    guard let index = names.firstIndex(of: name) else {
                        let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
                        let source = options.header ? "in the header" : "(no header: columns are numbered)"
                        throw DataError(file: file, line: recordLine, reason: "no column \"\(name)\" \(source) (columns: \(list))")
                    }
                    return index
                }
                guard !options.textColumns.isEmpty else {
                    throw DataError(file: file, line: recordLine, reason: "no text column chosen")
                }
                textColumns = try options.textColumns.map(column)
                labelColumn = try column(options.labelColumn)
                columnCount = names.count
                if options.header { continue }
            }

            if let failure {
                try collector.reject(failure)
                continue
            }
            guard fields.count == columnCount else {
                try collector.reject(DataError(
                    file: file, line: recordLine,
                    reason: "expected \(columnCount) fields as in the header, found \(fields.count)"))
                continue
            }
            var text = ""
            var bad: DataError? = nil
            for (number, column) in textColumns.enumerated() {
                switch decode(fields[column], buffer, options.encoding, file: file, scratch: &scratch) {
                case .success(let part):
                    if number == 0 { text = part } else { text += " "; text += part }
                case .failure(let error): bad = error
                }
                if bad != nil { break }
            }
            if let bad {
                try collector.reject(bad)
                continue
            }
            let label: String
            switch decode(fields[labelColumn], buffer, options.encoding, file: file, scratch: &scratch, what: "label") {
            case .success(let value): label = value
            case .failure(let error):
                try collector.reject(error)
                continue
            }
            let labels: [String]
            if let separator = options.labelSeparator, !separator.isEmpty {
                collector.sawLabelList = true
                labels = label.isEmpty ? [] : label.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
            } else {
                labels = [label]
            }
            try collector.add(text: text, labels: labels, file: file, line: recordLine)
        }
        if columnCount < 0 {
            throw DataError(file: file, line: nil, reason: "empty file: no header row")
        }
    }

    private static func decode(
        _ field: Field, _ buffer: UnsafeBufferPointer<UInt8>, _ encoding: TextEncoding, file: String,
        scratch: inout [UInt8], what: String = "text"
    ) -> Result<String, DataError> {
        let slice = UnsafeBufferPointer(rebasing: buffer[field.start..<field.end])
        guard field.quoted else {
            return DataReading.decode(slice, encoding, file: file, firstLine: field.line, what: what)
        }
        scratch.removeAll(keepingCapacity: true)
        var index = 0
        while index < slice.count {
            let byte = slice[index]
            scratch.append(byte)
            index += byte == quote ? 2 : 1
        }
        return scratch.withUnsafeBufferPointer {
            DataReading.decode($0, encoding, file: file, firstLine: field.line, what: what)
        }
    }
}
