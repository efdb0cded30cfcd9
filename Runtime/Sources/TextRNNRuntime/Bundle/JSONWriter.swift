import CJSONC

extension JSONValue {
    /// Pretty-printed JSON text (two-space indent, key order kept, no escaped slashes).
    /// Non-finite doubles, which JSON cannot hold, are written as null.
    public func serialized() -> String {
        let object = makeObject()
        defer { json_object_put(object) }
        let flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB * 0 | JSON_C_TO_STRING_NOSLASHESCAPE
        return String(cString: json_object_to_json_string_ext(object, Int32(flags))) + "\n"
    }

    private func makeObject() -> OpaquePointer? {
        switch self {
        case .null: return nil
        case .bool(let value): return json_object_new_boolean(value ? 1 : 0)
        case .int(let value): return json_object_new_int64(Int64(value))
        case .double(let value):
            guard value.isFinite else { return nil }
            // Swift prints the shortest text that reads back to the same double.
            return json_object_new_double_s(value, "\(value)")
        case .string(let value):
            var value = value
            return value.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { json_object_new_string_len($0.baseAddress, Int32(bytes.count)) }
            }
        case .array(let elements):
            let array = json_object_new_array_ext(Int32(elements.count))
            for element in elements { json_object_array_add(array, element.makeObject()) }
            return array
        case .object(let members):
            let object = json_object_new_object()
            for (key, value) in members { json_object_object_add(object, key, value.makeObject()) }
            return object
        }
    }
}
