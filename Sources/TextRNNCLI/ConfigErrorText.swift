import Foundation

/// What went wrong reading a `--config` file, said in its own terms: which key, what was
/// expected and what was found, or where the JSON stops being JSON; never Swift's type names.
enum ConfigErrorText {
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "invalid config: \(error.localizedDescription)" }
        switch decoding {
        case .typeMismatch(let type, let context):
            return "\(key(context)): expected \(kind(type)), found \(found(context))"
        case .valueNotFound(let type, let context):
            return "\(key(context)): expected \(kind(type)), found null"
        case .keyNotFound(let missing, let context):
            return "\(key(context, appending: missing)): missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON: \(position(context))"
            }
            return "\(key(context)): invalid value (\(context.debugDescription.replacingOccurrences(of: "Cannot initialize ", with: "not a valid ")))"
        @unknown default:
            return "invalid config"
        }
    }

    /// `key "units"`, `key "units"[1]`.
    private static func key(_ context: DecodingError.Context, appending extra: (any CodingKey)? = nil) -> String {
        var text = ""
        for component in context.codingPath + (extra.map { [$0] } ?? []) {
            if let index = component.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + "\"\(component.stringValue)\"" }
        }
        return text.isEmpty ? "the top level" : "key \(text)"
    }

    /// The JSON kind a Swift type is read from.
    private static func kind(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        switch name {
        case "Int", "UInt64", "Int64", "UInt", "Int32": return "an integer"
        case "Float", "Double": return "a number"
        case "Bool": return "true or false"
        case "String": return "a string"
        default: return "a value of another kind"
        }
    }

    /// "a string" from "Expected to decode Int but found a string instead."
    private static func found(_ context: DecodingError.Context) -> String {
        let text = context.debugDescription
        guard let start = text.range(of: "found ")?.upperBound else { return "another kind of value" }
        let rest = text[start...]
        let end = rest.range(of: " instead")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// Where the parser stopped: Foundation's "around line L, column C" when it says so.
    private static func position(_ context: DecodingError.Context) -> String {
        let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            ?? context.underlyingError.map { "\($0)" } ?? context.debugDescription
        return detail
    }
}
