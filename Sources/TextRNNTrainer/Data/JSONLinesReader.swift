/// JSON Lines: one JSON object per line; blank lines are ignored. The text is the string at the
/// key `textColumns` names (several keys are joined with a space); the label at `labelColumn` is
/// a string, a number (its literal text, so `1` is the label "1"), or an array of those
/// (multi-label; an empty array is a row with no label).
enum JSONLinesReader {
    static func read(_ bytes: [UInt8], file: String, options: DatasetOptions, into collector: inout RowCollector) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            var position = DataReading.bomLength(buffer, encoding: options.encoding)
            var line = 0
            var latin1: [UInt8] = []
            while position < buffer.count {
                line += 1
                var end = position
                while end < buffer.count && buffer[end] != 0x0A { end += 1 }
                var slice = UnsafeBufferPointer(rebasing: buffer[position..<end])
                position = end + 1
                if slice.allSatisfy(DataReading.isASCIISpace) { continue }
                if options.encoding == .latin1 {
                    // JSON text must be Unicode: re-encode the Latin-1 line as UTF-8 first.
                    latin1.removeAll(keepingCapacity: true)
                    for byte in slice {
                        if byte < 0x80 { latin1.append(byte) } else { latin1.append(0xC0 | byte >> 6); latin1.append(0x80 | byte & 0x3F) }
                    }
                    let row = latin1.withUnsafeBufferPointer { JSONLineValue.parseObject($0) }
                    try handle(row, file: file, line: line, options: options, into: &collector)
                } else {
                    let bad = DataReading.firstInvalidUTF8(slice)
                    if bad < slice.count {
                        let hex = String(slice[bad], radix: 16, uppercase: true)
                        try collector.reject(DataError(
                            file: file, line: line,
                            reason: "invalid UTF-8 (byte 0x\(hex)); use --encoding latin1 if the file is Latin-1"))
                        continue
                    }
                    slice = UnsafeBufferPointer(rebasing: slice[...])
                    try handle(JSONLineValue.parseObject(slice), file: file, line: line, options: options, into: &collector)
                }
            }
        }
    }

    private static func handle(
        _ parsed: Result<[String: JSONLineValue], JSONLineValue.ParseError>, file: String, line: Int, options: DatasetOptions,
        into collector: inout RowCollector
    ) throws {
        let object: [String: JSONLineValue]
        switch parsed {
        case .success(let value): object = value
        case .failure(let error):
            return try collector.reject(DataError(file: file, line: line, reason: "invalid JSON: \(error.message) at column \(error.offset + 1)"))
        }
        var parts: [String] = []
        for key in options.textColumns {
            guard let value = object[key] else {
                return try collector.reject(DataError(file: file, line: line, reason: "no key \"\(key)\""))
            }
            guard case .string(let text) = value else {
                return try collector.reject(DataError(file: file, line: line, reason: "\"\(key)\" is not a string"))
            }
            parts.append(text)
        }
        guard let labelValue = object[options.labelColumn] else {
            return try collector.reject(DataError(file: file, line: line, reason: "no key \"\(options.labelColumn)\""))
        }
        var labels: [String] = []
        switch labelValue {
        case .string(let name), .number(let name): labels = [name]
        case .array(let items):
            collector.sawLabelList = true
            for item in items {
                switch item {
                case .string(let name), .number(let name): labels.append(name)
                default:
                    return try collector.reject(DataError(
                        file: file, line: line, reason: "\"\(options.labelColumn)\" array holds something other than strings and numbers"))
                }
            }
        default:
            return try collector.reject(DataError(
                file: file, line: line, reason: "\"\(options.labelColumn)\" must be a string, a number or an array of them"))
        }
        try collector.add(text: parts.joined(separator: " "), labels: labels, file: file, line: line)
    }
}

/// A minimal JSON value for the JSON Lines reader. Numbers keep their literal text.
enum JSONLineValue: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONLineValue])
    case object([String: JSONLineValue])

    struct ParseError: Error {
        var message: String
        var offset: Int
    }

    /// Parses one complete JSON object (surrounding whitespace allowed) from valid UTF-8.
    static func parseObject(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String: JSONLineValue], ParseError> {
        var parser = Parser(bytes: bytes)
        do {
            parser.skipSpace()
            guard parser.peek() == UInt8(ascii: "{") else { throw ParseError(message: "expected an object", offset: parser.index) }
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.index == bytes.count else {
                throw ParseError(message: "unexpected data after the object", offset: parser.index)
            }
            guard case .object(let object) = value else { throw ParseError(message: "expected an object", offset: 0) }
            return .success(object)
        } catch let error as ParseError {
            return .failure(error)
        } catch {
            return .failure(ParseError(message: "\(error)", offset: parser.index))
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var buffer: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func fail(_ message: String) -> ParseError { ParseError(message: message, offset: index) }

        mutating func value(depth: Int) throws -> JSONLineValue {
            guard depth < 512 else { throw fail("nesting too deep") }
            skipSpace()
            guard let byte = peek() else { throw fail("unexpected end of line") }
            switch byte {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: JSONLineValue] = [:]
                skipSpace()
                if peek() == UInt8(ascii: "}") { index += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let key = try string()
                    skipSpace()
                    guard peek() == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    index += 1
                    let item = try value(depth: depth + 1)
                    if object[key] == nil { object[key] = item }
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    if peek() == UInt8(ascii: "}") { index += 1; return .object(object) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [JSONLineValue] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") { index += 1; return .array(array) }
                while true {
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    if peek() == UInt8(ascii: "]") { index += 1; return .array(array) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try number())
            default:
                throw fail("unexpected character '\(Unicode.Scalar(byte))'")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let length = word.utf8CodeUnitCount
            guard index + length <= bytes.count,
                UnsafeBufferPointer(rebasing: bytes[index..<index + length]).elementsEqual(
                    UnsafeBufferPointer(start: word.utf8Start, count: length))
            else { throw fail("invalid literal") }
            index += length
        }

        mutating func number() throws -> String {
            let start = index
            func digits() -> Int {
                let first = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                return index - first
            }
            if peek() == UInt8(ascii: "-") { index += 1 }
            if peek() == UInt8(ascii: "0") { index += 1 } else if digits() == 0 { throw fail("invalid number") }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw fail("invalid number") }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw fail("invalid number") }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: throw fail("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func string() throws -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: no escapes.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let result = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return result
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw fail("control character in string") }
                index += 1
            }
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: buffer, as: UTF8.self)
                }
                if byte < 0x20 { throw fail("control character in string") }
                if byte != UInt8(ascii: "\\") {
                    buffer.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard let escape = peek() else { break }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code), index + 6 <= bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let save = index
                        index += 2
                        let low = try hex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"  // lone surrogate -> U+FFFD
                    buffer.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    index -= 1
                    throw fail("invalid escape")
                }
            }
            throw fail("unterminated string")
        }
    }
}
