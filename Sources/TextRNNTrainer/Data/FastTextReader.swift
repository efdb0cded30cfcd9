/// fastText lines: `__label__A __label__B some text ...`. The leading words that start with the
/// label prefix are the labels (several = multi-label); the text is the rest of the line.
/// Blank lines are ignored; a line without a leading label is an error.
enum FastTextReader {
    static func read(_ bytes: [UInt8], file: String, options: DatasetOptions, into collector: inout RowCollector) throws {
        let prefix = Array(options.labelPrefix.utf8)
        guard !prefix.isEmpty else { throw DataError(file: file, line: nil, reason: "the label prefix is empty") }
        var labelCounts: [Int] = []
        try bytes.withUnsafeBufferPointer { buffer in
            var position = DataReading.bomLength(buffer, encoding: options.encoding)
            var line = 0
            while position < buffer.count {
                line += 1
                var end = position
                while end < buffer.count && buffer[end] != 0x0A { end += 1 }
                let lineStart = position
                position = end + 1
                if end > lineStart && buffer[end - 1] == 0x0D { end -= 1 }
                var index = lineStart
                func skipSpace() { while index < end && DataReading.isASCIISpace(buffer[index]) { index += 1 } }
                skipSpace()
                if index == end { continue }
                var labels: [String] = []
                var badLabel: DataError? = nil
                while index < end {
                    var wordEnd = index
                    while wordEnd < end && !DataReading.isASCIISpace(buffer[wordEnd]) { wordEnd += 1 }
                    let word = UnsafeBufferPointer(rebasing: buffer[index..<wordEnd])
                    guard word.count >= prefix.count, word.prefix(prefix.count).elementsEqual(prefix) else { break }
                    let name = UnsafeBufferPointer(rebasing: word[prefix.count...])
                    switch DataReading.decode(name, options.encoding, file: file, firstLine: line, what: "label") {
                    case .success(let label): labels.append(label)
                    case .failure(let error): badLabel = error
                    }
                    index = wordEnd
                    skipSpace()
                }
                if let badLabel {
                    try collector.reject(badLabel)
                    continue
                }
                guard !labels.isEmpty else {
                    try collector.reject(DataError(
                        file: file, line: line, reason: "no label: a line must start with \(options.labelPrefix)<name>"))
                    continue
                }
                switch DataReading.decode(UnsafeBufferPointer(rebasing: buffer[index..<end]), options.encoding, file: file, firstLine: line) {
                case .success(let text):
                    let before = collector.rows.count
                    try collector.add(text: text, labels: labels, file: file, line: line)
                    if collector.rows.count > before { labelCounts.append(labels.count) }
                case .failure(let error):
                    try collector.reject(error)
                }
            }
        }
        if labelCounts.contains(where: { $0 != 1 }) { collector.sawLabelList = true }
    }
}
