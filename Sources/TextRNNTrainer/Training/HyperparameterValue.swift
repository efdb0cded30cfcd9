import Foundation
import TextRNNRuntime

/// A type a hyperparameter can have: how a flag's text and a JSON value become one, and how it
/// is written to the manifest, the report and `inspect`.
public protocol HyperparameterValue: Codable, Equatable {
    /// The type as help and the machine-readable table name it: "int", "float", "bool", ...
    static var typeName: String { get }
    /// The allowed values of an enumeration (nil: any value of the type).
    static var choices: [String]? { get }
    /// Parses a flag's text; nil if it is not a value of this type.
    init?(argument: String)
    var json: JSONValue { get }
    /// As people read it (help defaults, the report, `inspect`).
    var text: String { get }
}

extension HyperparameterValue {
    public static var choices: [String]? { nil }
}

/// String-valued choices (cell, pooling, padding, ...): a flag or JSON key takes the raw value.
public protocol HyperparameterChoice: HyperparameterValue, RawRepresentable, CaseIterable where RawValue == String {}

extension HyperparameterChoice {
    public static var typeName: String { "choice" }
    public static var choices: [String]? { allCases.map(\.rawValue) }
    public init?(argument: String) { self.init(rawValue: argument) }
    public var json: JSONValue { .string(rawValue) }
    public var text: String { rawValue }
}

extension Int: HyperparameterValue {
    public static var typeName: String { "int" }
    public init?(argument: String) { self.init(argument, radix: 10) }
    public var json: JSONValue { .int(self) }
    public var text: String { String(self) }
}

extension UInt64: HyperparameterValue {
    public static var typeName: String { "uint64" }
    public init?(argument: String) { self.init(argument, radix: 10) }
    // The manifest's JSON integers are signed 64-bit: seeds above Int64.max wrap, as before.
    public var json: JSONValue { .int(Int(truncatingIfNeeded: self)) }
    public var text: String { String(self) }
}

extension Float: HyperparameterValue {
    public static var typeName: String { "float" }
    public init?(argument: String) {
        guard let value = Float(argument), value.isFinite else { return nil }
        self = value
    }
    /// The shortest decimal that reads back as this Float (0.002, not 0.0020000000949949026).
    public var json: JSONValue { .double(Double(description) ?? Double(self)) }
    public var text: String { description }
}

extension Double: HyperparameterValue {
    public static var typeName: String { "double" }
    public init?(argument: String) {
        guard let value = Double(argument), value.isFinite else { return nil }
        self = value
    }
    public var json: JSONValue { .double(self) }
    public var text: String { description }
}

extension Bool: HyperparameterValue {
    public static var typeName: String { "bool" }
    public init?(argument: String) {
        switch argument {
        case "true": self = true
        case "false": self = false
        default: return nil
        }
    }
    public var json: JSONValue { .bool(self) }
    public var text: String { description }
}

extension String: HyperparameterValue {
    public static var typeName: String { "path" }
    public init?(argument: String) { self = argument }
    public var json: JSONValue { .string(self) }
    public var text: String { self }
}

/// Layer sizes: "64,32" on the command line, [64, 32] in JSON; "none" or "" for no layers.
extension Array: HyperparameterValue where Element == Int {
    public static var typeName: String { "int list" }
    public init?(argument: String) {
        if argument.isEmpty || argument == "none" { self = []; return }
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == parts.count else { return nil }
        self = values
    }
    public var json: JSONValue { .array(map { .int($0) }) }
    public var text: String { isEmpty ? "none" : map(String.init).joined(separator: ",") }
}

/// An optional setting: "none" on the command line, null in JSON.
extension Optional: HyperparameterValue where Wrapped: HyperparameterValue {
    public static var typeName: String { Wrapped.typeName + " or none" }
    public init?(argument: String) {
        if argument == "none" { self = .none; return }
        guard let value = Wrapped(argument: argument) else { return nil }
        self = .some(value)
    }
    public var json: JSONValue { map(\.json) ?? .null }
    public var text: String { map(\.text) ?? "none" }
}

// @retroactive: the runtime is another package (Runtime/), but ours; it stays free of Codable.
extension TextPipelineConfig.Standardize: @retroactive Decodable, @retroactive Encodable, HyperparameterChoice {}
extension TextPipelineConfig.Side: @retroactive Decodable, @retroactive Encodable, HyperparameterChoice {}
