import Foundation

/// What went wrong reading a `--config` file, said in its own terms: which key, what was
/// expected and what was found, or where the JSON stops being JSON; never Swift's type names.
enum ConfigErrorText {
    static func describe(_ error: any Error, json: Data) -> String {
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
                return "not valid JSON: \(syntaxError(json))"
            }
            // "Cannot initialize Cell from invalid String value lstmx": the value, not the type.
            let value = context.debugDescription.range(of: "value ").map { " \"\(context.debugDescription[$0.upperBound...])\"" } ?? ""
            return "\(key(context)): invalid value\(value)"
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

    /// Foundation's complaint with its character offset turned into "line L, column C".
    private static func syntaxError(_ json: Data) -> String {
        do { _ = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]) } catch {
            var detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            if let range = detail.range(of: "around character "),
               let offset = Int(detail[range.upperBound...].prefix { $0.isNumber }) {
                let before = json.prefix(offset)
                let line = before.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
                let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
                detail = String(detail[..<range.lowerBound]).trimmingCharacters(in: .whitespaces).lowercased()
                    + " at line \(line), column \(column)"
            }
            return detail
        }
        return "unexpected structure"
    }
}
