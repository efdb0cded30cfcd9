import Foundation
import TextRNNRuntime

/// One row of the hyperparameter table (`Hyperparameter.all`): its snake_case name (the config
/// file key, the manifest key; the flag is the same with dashes), type, default, help and valid
/// range, with typed access to its `TrainingConfig` property. Everything that lists
/// hyperparameters (flags, `--config`, the checkpoint, the manifest, the report, `inspect`, the
/// recipe search, the Python API via `Hyperparameter.tableJSON`) reads them from here.
public struct Hyperparameter {
    /// Where a hyperparameter's value is written down after training.
    public struct Record: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The manifest's `training.hyperparameters` (and so `inspect`), enough to re-train.
        public static let manifest = Record(rawValue: 1)
        /// The HTML report's table.
        public static let report = Record(rawValue: 2)
        public static let everywhere: Record = [.manifest, .report]
    }

    public let name: String
    public let type: String
    /// Allowed values of a choice (nil otherwise).
    public let choices: [String]?
    public let help: String
    /// The valid values, for help and errors ("in 1...4096"); nil: any value of the type.
    public let range: String?
    /// How the default is described when the data-aware recipe may choose it (nil: the value).
    public let defaultRule: String?
    public let recorded: Record
    public let keyPath: PartialKeyPath<TrainingConfig>

    let value: (TrainingConfig) -> (json: JSONValue, text: String)
    let isValid: (TrainingConfig) -> Bool
    let assign: (inout TrainingConfig, String) -> Bool
    let decode: (KeyedDecodingContainer<ConfigKey>, inout TrainingConfig) throws -> Void
    let encode: (TrainingConfig, inout KeyedEncodingContainer<ConfigKey>) throws -> Void

    init<T: HyperparameterValue>(
        _ name: String, _ path: WritableKeyPath<TrainingConfig, T>, _ help: String,
        range: String? = nil, valid: @escaping (T) -> Bool = { _ in true }, defaultRule: String? = nil,
        recorded: Record = .everywhere
    ) {
        self.name = name
        type = T.typeName
        choices = T.choices
        self.help = help
        self.range = range
        self.defaultRule = defaultRule
        self.recorded = recorded
        keyPath = path
        value = { ($0[keyPath: path].json, $0[keyPath: path].text) }
        isValid = { valid($0[keyPath: path]) }
        assign = { config, text in
            guard let parsed = T(argument: text) else { return false }
            config[keyPath: path] = parsed
            return true
        }
        decode = { container, config in config[keyPath: path] = try container.decode(T.self, forKey: ConfigKey(name)) }
        encode = { config, container in try container.encode(config[keyPath: path], forKey: ConfigKey(name)) }
    }

    /// `--embedding-dim` for `embedding_dim`.
    public var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    /// What a value must be, for errors and help: "one of lstm, gru, simple-rnn", "int in 1...4096".
    public var expected: String {
        if let choices { return "one of " + choices.joined(separator: ", ") }
        return range.map { "\(type) \($0)" } ?? type
    }

    public var defaultValue: JSONValue { value(TrainingConfig()).json }
    public var defaultText: String { defaultRule ?? value(TrainingConfig()).text }

    public func json(_ config: TrainingConfig) -> JSONValue { value(config).json }
    public func text(_ config: TrainingConfig) -> String { value(config).text }

    /// A manifest's `training.hyperparameters` record as (flag, value) pairs, values written as
    /// the flags take them (`inspect`); the table's rows first, in its order, then keys it does
    /// not know (an older or newer trainer's) as recorded.
    public static func summary(of record: JSONValue) -> [(String, String)] {
        guard case .object(let members) = record else { return [] }
        func text(_ value: JSONValue) -> String {
            switch value {
            case .null: "none"
            case .bool(let flag): "\(flag)"
            case .int(let number): "\(number)"
            case .double(let number): "\(number)"
            case .string(let string): string
            case .array(let items): items.isEmpty ? "none" : items.map(text).joined(separator: ",")
            case .object: value.serialized()
            }
        }
        let known = all.compactMap { row in members.first { $0.0 == row.name }.map { (row.flag, text($0.1)) } }
        let names = Set(all.map(\.name))
        return known + members.filter { !names.contains($0.0) }.map { ($0.0, text($0.1)) }
    }

    /// The row named `name`, or nil.
    public static func named(_ name: String) -> Hyperparameter? { all.first { $0.name == name } }

    /// The row of a `TrainingConfig` property (the recipe search and the data-aware recipe name
    /// what they choose by property).
    public static func of(_ path: PartialKeyPath<TrainingConfig>) -> Hyperparameter {
        guard let row = all.first(where: { $0.keyPath == path }) else { preconditionFailure("\(path) is not in Hyperparameter.all") }
        return row
    }

    /// The table as JSON, for the Python API and `textrnn hyperparameters`: one object per row
    /// with name, flag, type, default, help, choices, range and where it is recorded.
    public static var tableJSON: JSONValue {
        .array(all.map { row in
            var members: [(String, JSONValue)] = [
                ("name", .string(row.name)), ("flag", .string(row.flag)), ("type", .string(row.type)),
                ("default", row.defaultValue), ("help", .string(row.help)),
            ]
            if let choices = row.choices { members.append(("choices", .array(choices.map { .string($0) }))) }
            if let range = row.range { members.append(("range", .string(range))) }
            if let rule = row.defaultRule { members.append(("default_rule", .string(rule))) }
            var recorded: [JSONValue] = []
            if row.recorded.contains(.manifest) { recorded.append(.string("manifest")) }
            if row.recorded.contains(.report) { recorded.append(.string("report")) }
            members.append(("recorded", .array(recorded)))
            return .object(members)
        })
    }
}

/// A config-file key (any string, so unknown keys can be named in errors).
struct ConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Hyperparameter {
    /// docs/hyperparameters.md: every flag and config key with its type, default, valid values
    /// and help, and how the no-flag recipe chooses its data-aware defaults (a test keeps the
    /// file equal to this).
    public static var markdown: String {
        var text = """
            # Hyperparameters of `textrnn train`

            Generated from the trainer's table (`Hyperparameter.all`) by `textrnn hyperparameters --markdown`;
            `textrnn hyperparameters` prints the same as JSON. Every row is a flag (`--embedding-dim 64`
            or `--embedding-dim=64`) and a key of the `--config` JSON file (`{"embedding_dim": 64}`);
            flags override the file. The manifest's `training.hyperparameters` records every row
            marked so, enough to train the bundle again; the HTML report lists the same.

            **The no-flag recipe** is the defaults below. From the training texts it chooses, for
            the hyperparameters you did not set: `sequence_length` (the 95th percentile of the
            token counts, at most \(TrainingSession.longestAutomaticLength)), `pooling` (\(DataAwareRecipe.poolingRule)),
            `bag_char_ngrams` (\(DataAwareRecipe.characterNgramsRule)) and `epochs`
            (\(DataAwareRecipe.epochsRule)); training prints each choice as a `recipe:` line and
            the manifest and report keep it. The bag branch's features, weighting, C and mix are
            chosen on the validation data (with over \(2 * TrainingSession.bagSearchRows) training texts, the
            weighting and C by fits on a random \(TrainingSession.bagSearchRows) of them).

            | flag / config key | type | default | valid | recorded | what it does |
            |---|---|---|---|---|---|

            """
        for row in all {
            let type = row.choices.map { $0.map { "`\($0)`" }.joined(separator: ", ") } ?? row.type
            let recorded = row.recorded.isEmpty ? "no" : "yes"
            text += "| `\(row.flag)` / `\(row.name)` | \(type) | \(row.defaultText) | \(row.range ?? "") | \(recorded) | \(row.help) |\n"
        }
        return text
    }
}
