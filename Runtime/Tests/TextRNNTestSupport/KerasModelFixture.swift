import Foundation
import TextRNNRuntime

// Test scaffolding (target TextRNNTestSupport, in no product): the test targets and the
// textrnn-fixture developer tool read Keras fixtures through this.

/// A model from ../shared/fixtures/keras/models/*.json: Keras's layer list, weights, a batch of
/// token ids and the probabilities, loss and gradients Keras computed for them.
public struct KerasModelFixture {
    public let name: String
    public let layers: [LayerSpec]
    public let output: Manifest.OutputKind
    public let padding: TextPipelineConfig.Side
    public let tokenIDs: [[Int32]]  // [batch][steps]
    /// [batch][outputs] as Keras gives them (one value per row for a sigmoid model).
    public let probabilities: [[Double]]
    public let labels: [[Double]]  // [batch][1]: class index (softmax) or 0/1 target (sigmoid)
    public let loss: Double
    /// name -> (shape, flat row-major values)
    public let weights: [String: (shape: [Int], values: [Float])]
    public let gradients: [String: [Double]]
    /// optimizer name -> (config, weights after two steps)
    public let afterTwoSteps: [String: (config: [String: Any], weights: [String: [Double]])]
    public let json: [String: Any]

    public init(contentsOf url: URL) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let json = object as? [String: Any] else { throw FixtureError("\(url.path): not a JSON object") }
        self.json = json
        name = json["name"] as? String ?? url.deletingPathExtension().lastPathComponent
        padding = (json["padding"] as? String) == "pre" ? .pre : .post
        tokenIDs = (json["token_ids"] as? [[Int]] ?? []).map { $0.map(Int32.init) }
        probabilities = (json["probabilities"] as? [Any] ?? []).map { row in
            (row as? [Double]) ?? [(row as? Double) ?? .nan]
        }
        labels = (json["labels"] as? [Any] ?? []).map { row in
            (row as? [Double]) ?? [(row as? NSNumber)?.doubleValue ?? .nan]
        }
        loss = json["loss"] as? Double ?? .nan
        var weights: [String: ([Int], [Float])] = [:]
        for (name, entry) in json["weights"] as? [String: Any] ?? [:] {
            guard let entry = entry as? [String: Any], let shape = entry["shape"] as? [Int] else { continue }
            weights[name] = (shape, flatten(entry["value"]).map(Float.init))
        }
        self.weights = weights
        gradients = (json["grad_weights"] as? [String: Any] ?? [:]).mapValues { flatten($0) }
        var steps: [String: ([String: Any], [String: [Double]])] = [:]
        for (optimizer, entry) in json["after_two_steps"] as? [String: Any] ?? [:] {
            guard let entry = entry as? [String: Any] else { continue }
            steps[optimizer] = (
                entry["config"] as? [String: Any] ?? [:],
                (entry["weights"] as? [String: Any] ?? [:]).mapValues { flatten($0) }
            )
        }
        afterTwoSteps = steps
        var layers: [LayerSpec] = []
        for layer in json["layers"] as? [[String: Any]] ?? [] {
            layers.append(try KerasModelFixture.layerSpec(layer))
        }
        self.layers = layers
        guard case .dense(let units, let activation)? = layers.last else { throw FixtureError("\(name): last layer is not Dense") }
        output = activation == .softmax ? .softmax : (units == 1 ? .binarySigmoid : .multiLabelSigmoid)
    }

    /// Keras layer config (as the fixtures write it) -> LayerSpec.
    public static func layerSpec(_ layer: [String: Any]) throws -> LayerSpec {
        let className = layer["class"] as? String ?? ""
        func activation(_ key: String, _ fallback: Activation) throws -> Activation {
            guard let name = layer[key] as? String else { return fallback }
            guard let value = Activation(rawValue: name) else { throw FixtureError("unknown activation \(name)") }
            return value
        }
        switch className {
        case "Embedding":
            return .embedding(
                inputDim: layer["input_dim"] as? Int ?? 0, outputDim: layer["output_dim"] as? Int ?? 0,
                maskZero: layer["mask_zero"] as? Bool ?? false)
        case "Dense":
            return .dense(units: layer["units"] as? Int ?? 0, activation: try activation("activation", .linear))
        case "SimpleRNN", "LSTM", "GRU":
            return .recurrent(try recurrentSpec(layer))
        case "Bidirectional":
            guard let inner = layer["inner"] as? [String: Any] else { throw FixtureError("Bidirectional without inner layer") }
            let forward = try recurrentSpec(inner)
            var backward = forward
            backward.goBackwards = true
            let mode = MergeMode(rawValue: layer["merge_mode"] as? String ?? "concat") ?? .concat
            return .bidirectional(forward: forward, backward: backward, mergeMode: mode)
        default:
            throw FixtureError("unsupported fixture layer \(className)")
        }
    }

    public static func recurrentSpec(_ layer: [String: Any]) throws -> RecurrentSpec {
        let className = layer["class"] as? String ?? ""
        guard let cell = RecurrentCell(rawValue: className) else { throw FixtureError("not a recurrent layer: \(className)") }
        var spec = RecurrentSpec(cell: cell, units: layer["units"] as? Int ?? 0)
        if let name = layer["activation"] as? String, let activation = Activation(rawValue: name) { spec.activation = activation }
        spec.returnSequences = layer["return_sequences"] as? Bool ?? false
        spec.goBackwards = layer["go_backwards"] as? Bool ?? false
        if cell == .gru { spec.resetAfter = layer["reset_after"] as? Bool ?? true }
        return spec
    }

    /// The label names a bundle of this fixture gets: "0", "1", ... per class.
    public var labelNames: [String] {
        guard case .dense(let units, _)? = layers.last else { return [] }
        return (0..<(output == .binarySigmoid ? 2 : units)).map(String.init)
    }

    /// A bundle holding this model. Fixtures have token ids but no text, so the vocabulary is
    /// synthetic: "", "[UNK]", "t2", "t3", ... one entry per embedding row.
    public func bundleContents() -> BundleContents {
        guard case .embedding(let rows, _, _)? = layers.first else { fatalError("fixture without Embedding") }
        let vocabulary = [[UInt8]()] + [Array("[UNK]".utf8)] + (2..<rows).map { Array("t\($0)".utf8) }
        var tensors: [BundleTensor] = []
        for (index, layer) in layers.enumerated() {
            let names: [String]
            switch layer {
            case .embedding: names = ["\(index)/embeddings"]
            case .recurrent(let spec): names = spec.weightShapes(inputDim: 0).map { "\(index)/\($0.role)" }
            case .bidirectional(let forward, _, _):
                let roles = forward.weightShapes(inputDim: 0).map(\.role)
                names = roles.map { "\(index)/forward/\($0)" } + roles.map { "\(index)/backward/\($0)" }
            case .dense: names = ["\(index)/kernel", "\(index)/bias"]
            case .globalMaxPooling, .globalAveragePooling: names = []
            }
            for name in names {
                guard let weight = weights[name] else { fatalError("\(self.name): fixture lacks weight \(name)") }
                tensors.append(BundleTensor(name: name, shape: weight.shape, values: weight.values))
            }
        }
        var text = TextPipelineConfig()
        text.sequenceLength = tokenIDs.first?.count
        text.padding = padding
        text.truncating = padding
        return BundleContents(
            text: text, vocabulary: vocabulary, labels: labelNames, output: output, layers: layers, tensors: tensors,
            training: .object([("source", .string("Keras fixture \(name)"))]))
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Nested JSON arrays of numbers -> flat row-major values.
public func flatten(_ value: Any?) -> [Double] {
    if let number = value as? Double { return [number] }
    if let number = value as? NSNumber { return [number.doubleValue] }
    if let array = value as? [Any] { return array.flatMap { flatten($0) } }
    return []
}
