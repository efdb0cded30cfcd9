/// Every failure the runtime reports: a status (mirrored by `textrnn_status` in the C header)
/// and a message that names the file, field or argument at fault.
public struct TextRNNError: Error, Sendable, CustomStringConvertible {
    /// Values match `textrnn_status` in include/textrnn.h; never renumber them.
    public enum Status: Int32, Sendable {
        case ok = 0
        case invalidArgument = 1
        case io = 2
        case invalidBundle = 3
        case unsupported = 4
        case limitExceeded = 5
        case outOfMemory = 6
        case `internal` = 7
    }

    public let status: Status
    public let message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
