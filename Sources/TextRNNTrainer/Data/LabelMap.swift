/// Label name <-> class index.
///
/// The rule for a map fitted to training data (`LabelMap(fitting:)`): the distinct label names,
/// sorted by Unicode code point (byte order of their UTF-8, as Python's `sorted` and Keras
/// `text_dataset_from_directory` order class folders), except when every name is a decimal
/// integer ("0", "-1", "12"), in which case they are sorted numerically (as scikit-learn's
/// `LabelEncoder` orders integer labels), so "2" < "10". IMDB gives negative = 0, positive = 1.
public struct LabelMap: Sendable, Equatable {
    /// Class names, index = class id.
    public let names: [String]
    private let indices: [String: Int]

    /// A map in the given order (for example the label list stored in a model bundle).
    /// Duplicate names keep their first index.
    public init(names: [String]) {
        self.names = names
        var indices: [String: Int] = [:]
        for (index, name) in names.enumerated() where indices[name] == nil { indices[name] = index }
        self.indices = indices
    }

    /// A map of the distinct names in `labels`, ordered by the documented rule.
    public init(fitting labels: some Sequence<String>) {
        self.init(names: LabelMap.sortedNames(Set(labels)))
    }

    public var count: Int { names.count }

    public func index(of name: String) -> Int? { indices[name] }

    public static func == (lhs: LabelMap, rhs: LabelMap) -> Bool { lhs.names == rhs.names }

    /// The ordering rule, exposed for tests and documentation.
    public static func sortedNames(_ names: Set<String>) -> [String] {
        let all = Array(names)
        let numbers = all.map { Int($0) }
        if !all.isEmpty, numbers.allSatisfy({ $0 != nil }), all.allSatisfy(isPlainInteger) {
            return zip(all, numbers).sorted { lhs, rhs in
                lhs.1! != rhs.1! ? lhs.1! < rhs.1! : lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
            }.map(\.0)
        }
        return all.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func isPlainInteger(_ name: String) -> Bool {
        var bytes = Substring(name).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
