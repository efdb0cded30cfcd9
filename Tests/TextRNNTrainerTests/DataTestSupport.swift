import Foundation
import Testing

/// The shared datasets: $TEXTRNN_DATA, or <repo root>/../shared/data with the repo root three
/// levels above this file. Tests that need them fail (never skip) when they are missing.
enum DataTestSupport {
    static var dataRoot: String {
        if let value = ProcessInfo.processInfo.environment["TEXTRNN_DATA"], !value.isEmpty { return value }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/data").path
    }

    /// The path of a file under the data root; records a failure if it does not exist.
    static func dataPath(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = dataRoot + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("shared dataset missing: \(path) (set TEXTRNN_DATA)", sourceLocation: sourceLocation)
            throw MissingData(path: path)
        }
        return path
    }

    struct MissingData: Error, CustomStringConvertible {
        let path: String
        var description: String { "missing shared dataset \(path)" }
    }

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "textrnn-data-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @discardableResult
    static func write(_ contents: String, to directory: String, _ name: String) throws -> String {
        let path = directory + "/" + name
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func writeBytes(_ bytes: [UInt8], to directory: String, _ name: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func cleanup(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    /// The description of the error `body` throws, or a recorded failure.
    static func errorText(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return String(describing: error)
        }
    }
}
