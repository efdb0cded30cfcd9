import ArgumentParser
@preconcurrency import Glibc
import TextRNNRuntime
import TextRNNTrainer

/// Prints "textrnn: MESSAGE" to stderr and returns the error that makes the command exit 1.
func failure(_ message: String) -> ExitCode {
    printError(message)
    return ExitCode.failure
}

func printError(_ message: String) {
    fputs("textrnn: \(message)\n", stderr)
}

/// Loads a bundle, reporting failures as "textrnn: reason" (the reason names the file).
func loadModel(_ path: String) throws -> Model {
    do {
        return try Model(bundlePath: path)
    } catch {
        throw failure(error.message)
    }
}

/// Writes `text` to stdout as is (bytes, not lines).
func writeOut(_ text: inout String) {
    text.withUTF8 { bytes in _ = fwrite(bytes.baseAddress, 1, bytes.count, stdout) }
}

enum JSONLine {
    /// A JSON string literal.
    static func string(_ value: String) -> String { JSONValue.quote(value) }

    /// A float32 as the shortest decimal that reads back to the same float32 (Swift's
    /// description), or null when not finite (JSON has no NaN or infinity).
    static func number(_ value: Float) -> String {
        value.isFinite ? value.description : "null"
    }
}

extension Int {
    /// 1234567 -> "1,234,567".
    var grouped: String {
        let digits = String(self.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (self < 0 ? "-" : "") + result
    }
}
