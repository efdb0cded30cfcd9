/// A problem with a data file, printed as `file:line: reason` (or `file: reason` when the fault
/// is not tied to one line, such as a missing file). `description` is exactly that text, so a
/// CLI can print it as is.
public struct DataError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file (or directory) at fault, as given by the caller or as found under a folder root.
    public let file: String
    /// The 1-based line, or nil when the error concerns the whole file.
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
