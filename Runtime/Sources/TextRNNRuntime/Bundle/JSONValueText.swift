/// JSON text written in Swift, for results and reports (metrics, history, command output);
/// manifests go through json-c (`serialized()`, JSONWriter.swift) for their stable bytes.
extension JSONValue {
    /// Compact (`indent` nil) or indented JSON text.
    public func rendered(indent: Int? = nil) -> String {
        var output = ""
        write(into: &output, indent: indent, level: 0)
        return output
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private func write(into output: inout String, indent: Int?, level: Int) {
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch self {
        case .double(let value):
            output += value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) + ".0" : "\(value)") : "null"
        case .int(let value): output += String(value)
        case .string(let value): output += JSONValue.quote(value)
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .array(let items):
            // Arrays of scalars stay on one line.
            let scalar = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += scalar || indent == nil ? (indent == nil ? "," : ", ") : "," }
                if !scalar { output += newline }
                item.write(into: &output, indent: indent, level: level + 1)
            }
            if !scalar && !items.isEmpty { output += closing }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                output += newline
                output += JSONValue.quote(member.0)
                output += indent == nil ? ":" : ": "
                member.1.write(into: &output, indent: indent, level: level + 1)
            }
            if !members.isEmpty { output += closing }
            output += "}"
        }
    }

    /// A JSON string literal (control characters and U+2028/U+2029 escaped).
    public static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let c where c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029:
                let hex = String(c.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
