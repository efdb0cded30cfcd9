import Foundation
import TextRNNTrainer

/// The JSON of textrnn_trainer_hyperparameters: every `--config` key with its default, read off
/// a default TrainingConfig through its Codable keys, so this is no second list. (Adapter: when
/// the trainer has a hyperparameter table, this file becomes a call to it.)
enum HyperparameterList {
    struct Entry: Encodable {
        let name: String
        let `default`: JSONScalar
    }

    static let json: String = {
        do {
            let encoded = try JSONEncoder().encode(TrainingConfig())
            var defaults = try JSONDecoder().decode([String: JSONScalar].self, from: encoded)
            // The encoder leaves unset optionals out; they are keys too, with a null default.
            for child in Mirror(reflecting: TrainingConfig()).children {
                let value = Mirror(reflecting: child.value)
                if let label = child.label, value.displayStyle == .optional, value.children.isEmpty {
                    defaults[snakeCase(label)] = .null
                }
            }
            let entries = defaults.keys.sorted().map { Entry(name: $0, default: defaults[$0]!) }
            return String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        } catch {
            preconditionFailure("TrainingConfig() does not encode: \(error)")
        }
    }()

    /// "pretrainedVectors" -> "pretrained_vectors" (the CodingKeys' convention).
    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}

/// A JSON value as a config default can be: scalars and arrays of them.
indirect enum JSONScalar: Codable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONScalar])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else { self = .array(try container.decode([JSONScalar].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        }
    }
}
