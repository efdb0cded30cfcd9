import CJSONC

/// Owns a json-c document parsed from bytes; hands out `JSONNode`s that borrow from it.
final class JSONDocument {
    let root: OpaquePointer

    /// Parses exactly `bytes` (no trailing garbage), nesting at most 64 levels deep.
    init(bytes: UnsafeRawBufferPointer, name: String) throws(TextRNNError) {
        guard bytes.count > 0 else { throw TextRNNError(.invalidBundle, "\(name): empty file") }
        guard bytes.count <= Int(Int32.max) else {
            throw TextRNNError(.limitExceeded, "\(name): larger than 2 GiB")
        }
        guard let tokener = json_tokener_new_ex(64) else {
            throw TextRNNError(.outOfMemory, "\(name): cannot allocate a JSON parser")
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT))
        let parsed = json_tokener_parse_ex(
            tokener, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        let status = json_tokener_get_error(tokener)
        guard let parsed, status == json_tokener_success else {
            if let parsed { json_object_put(parsed) }
            let reason = status == json_tokener_continue
                ? "unexpected end of input" : String(cString: json_tokener_error_desc(status))
            throw TextRNNError(.invalidBundle, "\(name): bad JSON at byte \(json_tokener_get_parse_end(tokener)): \(reason)")
        }
        var end = Int(json_tokener_get_parse_end(tokener))
        let trailing = bytes[end...]
        while end < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[end]) { end += 1 }
        guard end == bytes.count else {
            json_object_put(parsed)
            throw TextRNNError(.invalidBundle, "\(name): bad JSON: unexpected data after the document at byte \(bytes.count - trailing.count)")
        }
        root = parsed
    }

    deinit { json_object_put(root) }

    var rootNode: JSONNode { JSONNode(object: root, path: "") }
}

/// A borrowed view of one JSON value with its path ("layers[2].units") for error messages.
/// Valid only while its `JSONDocument` lives.
struct JSONNode {
    let object: OpaquePointer?
    /// An array element keeps its array's path and its index, and spells its own path out only
    /// for an error message: a 10,000-token vocabulary no longer builds 10,000 strings at every
    /// load (a quarter of the load time).
    private let base: String
    private let index: Int  // -1: not an array element

    init(object: OpaquePointer?, path: String) {
        self.object = object
        base = path
        index = -1
    }

    private init(object: OpaquePointer?, array: String, index: Int) {
        self.object = object
        base = array
        self.index = index
    }

    var path: String { index < 0 ? base : "\(base)[\(index)]" }

    private func fail(_ expected: String) -> TextRNNError {
        TextRNNError(.invalidBundle, "manifest.json: \(path.isEmpty ? "document" : path): expected \(expected)")
    }

    var isNull: Bool { object == nil || json_object_get_type(object) == json_type_null }

    func member(_ key: String) -> JSONNode {
        var child: OpaquePointer? = nil
        if let object, json_object_get_type(object) == json_type_object {
            _ = json_object_object_get_ex(object, key, &child)
        }
        return JSONNode(object: child, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func has(_ key: String) -> Bool { !member(key).isNull }

    func requireObject() throws(TextRNNError) {
        guard let object, json_object_get_type(object) == json_type_object else { throw fail("an object") }
    }

    func string() throws(TextRNNError) -> String {
        let bytes = try stringBytes()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes of a string (may hold any byte but NUL-terminated copies are not assumed).
    func stringBytes() throws(TextRNNError) -> UnsafeBufferPointer<UInt8> {
        guard let object, json_object_get_type(object) == json_type_string else { throw fail("a string") }
        let length = Int(json_object_get_string_len(object))
        let pointer = UnsafeRawPointer(json_object_get_string(object)!).assumingMemoryBound(to: UInt8.self)
        return UnsafeBufferPointer(start: pointer, count: length)
    }

    func bool() throws(TextRNNError) -> Bool {
        guard let object, json_object_get_type(object) == json_type_boolean else { throw fail("true or false") }
        return json_object_get_boolean(object) != 0
    }

    func bool(default value: Bool) throws(TextRNNError) -> Bool { isNull ? value : try bool() }

    /// An integer in `range` (JSON integers only: 3.0 is refused, so sizes are never rounded).
    func int(in range: ClosedRange<Int>) throws(TextRNNError) -> Int {
        guard let object, json_object_get_type(object) == json_type_int else {
            throw fail("an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        // json-c saturates out-of-range integers to Int64.min/max, which the range refuses.
        let value = json_object_get_int64(object)
        guard let int = Int(exactly: value), range.contains(int) else {
            throw fail("an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return int
    }

    func double() throws(TextRNNError) -> Double {
        guard let object else { throw fail("a number") }
        let type = json_object_get_type(object)
        guard type == json_type_double || type == json_type_int else { throw fail("a number") }
        return json_object_get_double(object)
    }

    func array() throws(TextRNNError) -> [JSONNode] {
        guard let object, json_object_get_type(object) == json_type_array else { throw fail("an array") }
        let count = json_object_array_length(object)
        var nodes: [JSONNode] = []
        nodes.reserveCapacity(count)
        let path = self.path
        for index in 0..<count {
            nodes.append(JSONNode(object: json_object_array_get_idx(object, index), array: path, index: index))
        }
        return nodes
    }

    /// One of the raw values of `E`, naming the allowed ones when it is not.
    func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(TextRNNError) -> E
    where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else {
            throw fail("one of \(E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), not \"\(text)\"")
        }
        return value
    }

    /// Converts the subtree to a `JSONValue` (used for free-form training metadata).
    func value() -> JSONValue {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_boolean: return .bool(json_object_get_boolean(object) != 0)
        case json_type_int: return .int(Int(json_object_get_int64(object)))
        case json_type_double: return .double(json_object_get_double(object))
        case json_type_string: return .string((try? string()) ?? "")
        case json_type_array: return .array(((try? array()) ?? []).map { $0.value() })
        case json_type_object:
            var members: [(String, JSONValue)] = []
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&iterator))
                members.append((key, JSONNode(object: json_object_iter_peek_value(&iterator), path: key).value()))
                json_object_iter_next(&iterator)
            }
            return .object(members)
        default: return .null
        }
    }
}
