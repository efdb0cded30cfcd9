import Foundation

/// The character encoding of a data file.
public enum TextEncoding: String, Sendable, CaseIterable {
    /// UTF-8 (a leading byte-order mark is ignored); invalid sequences are errors.
    case utf8
    /// ISO 8859-1: every byte is the code point of the same value; never fails.
    case latin1
}

/// A row before its labels are mapped to indices.
struct RawRow {
    var text: String
    var labels: [String]
    var line: Int
    var file: String
}

/// Collects rows and either throws on the first bad one or counts it, per `skipBadRows`.
struct RowCollector {
    let skipBadRows: Bool
    var rows: [RawRow] = []
    var skippedRows = 0
    var skipped: [DataError] = []
    /// Some row gave its labels as a list (multi-label data).
    var sawLabelList = false

    init(skipBadRows: Bool) { self.skipBadRows = skipBadRows }

    mutating func reject(_ error: DataError) throws {
        guard skipBadRows else { throw error }
        skippedRows += 1
        if skipped.count < 1000 { skipped.append(error) }
    }

    /// Adds a row after the checks every format shares: non-empty text, non-empty labels.
    mutating func add(text: String, labels: [String], file: String, line: Int) throws {
        if DataReading.isBlank(text) { return try reject(DataError(file: file, line: line, reason: "empty text")) }
        if labels.contains(where: \.isEmpty) {
            return try reject(DataError(file: file, line: line, reason: "empty label"))
        }
        rows.append(RawRow(text: text, labels: labels, line: line, file: file))
    }
}

enum DataReading {
    /// True when `text` has no characters other than ASCII whitespace (the tokenizer's
    /// separators), that is, when it would give no tokens at all.
    static func isBlank(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
    }

    @inline(__always)
    static func isASCIISpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

    /// The path that names standard input.
    static let standardInput = "-"

    /// How errors name `path`.
    static func displayName(_ path: String) -> String { path == standardInput ? "<stdin>" : path }

    /// Compressed with gzip, by its name: decompressed as it is read.
    static func isGzip(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    /// The whole file ("-": standard input; NAME.gz: decompressed), or a DataError naming it.
    static func readFile(_ path: String) throws -> [UInt8] {
        if path == standardInput { return try readAll(STDIN_FILENO, name: displayName(path)) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, line: nil, reason: "no such file")
        }
        if isDirectory.boolValue {
            throw DataError(file: path, line: nil, reason: "is a directory, expected a file")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DataError(file: path, line: nil, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        return isGzip(path) ? try gunzip(descriptor, name: path) : try readAll(descriptor, name: path)
    }

    /// Everything `descriptor` holds until its end.
    static func readAll(_ descriptor: Int32, name: String) throws -> [UInt8] {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw DataError(file: name, line: nil, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        // Read the size fstat reports, then whatever else is there (files that grow, pipes).
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16))) }
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                throw DataError(file: name, line: nil, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// The decompressed contents of the gzip file open on `descriptor`, through gzip(1) (a
    /// Debian essential package, so no library to link).
    static func gunzip(_ descriptor: Int32, name: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc"]
        process.standardInput = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw DataError(file: name, line: nil, reason: "cannot run gzip to decompress it: \(error.localizedDescription)")
        }
        let bytes = try readAll(output.fileHandleForReading.fileDescriptor, name: name)
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: message, as: UTF8.self).split(separator: "\n").first.map { $0.replacingOccurrences(of: "gzip: stdin: ", with: "") }
            throw DataError(file: name, line: nil, reason: "cannot decompress: \(reason ?? "gzip failed")")
        }
        return bytes
    }

    /// Offset of the first byte after a UTF-8 byte-order mark, if any.
    static func bomLength(_ bytes: UnsafeBufferPointer<UInt8>, encoding: TextEncoding) -> Int {
        if encoding == .utf8, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return 3 }
        return 0
    }

    /// Decodes `bytes`; on invalid UTF-8 returns the offset of the first bad byte.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ encoding: TextEncoding) -> Result<String, InvalidByte> {
        switch encoding {
        case .utf8:
            if let string = String(validating: bytes, as: UTF8.self) { return .success(string) }
            return .failure(InvalidByte(offset: firstInvalidUTF8(bytes)))
        case .latin1:
            if !bytes.contains(where: { $0 >= 0x80 }) { return .success(String(decoding: bytes, as: UTF8.self)) }
            var scalars = String.UnicodeScalarView()
            scalars.reserveCapacity(bytes.count + bytes.count / 4)
            for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
            return .success(String(scalars))
        }
    }

    struct InvalidByte: Error { let offset: Int }

    /// Decodes, or builds the `file:line: invalid UTF-8` error, counting lines from `firstLine`
    /// at the start of `bytes`.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, _ encoding: TextEncoding, file: String, firstLine: Int, what: String = "text"
    ) -> Result<String, DataError> {
        switch decode(bytes, encoding) {
        case .success(let string): return .success(string)
        case .failure(let invalid):
            let line = firstLine + bytes[..<invalid.offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let hex = String(bytes[invalid.offset], radix: 16, uppercase: true)
            return .failure(DataError(
                file: file, line: line,
                reason: "invalid UTF-8 in \(what) (byte 0x\(hex)); use --encoding latin1 if the file is Latin-1"))
        }
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            var length = 0
            var minimum: UInt32 = 0
            var scalar: UInt32 = 0
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            index += length
        }
        return count
    }
}
