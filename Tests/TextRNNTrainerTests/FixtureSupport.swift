import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Keras reference fixtures: ../shared/fixtures/keras from the repository root (this file is
/// Tests/TextRNNTrainerTests/FixtureSupport.swift), or $TEXTRNN_FIXTURES. Missing fixtures are a
/// test failure, never a skip.
enum KerasFixtures {
    static var directory: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return kerasFixturesDirectory(repositoryRoot: root.path)
    }

    /// The case names of the `kind` folder's JSON files, to compare with index.json.
    static func files(_ kind: String) throws -> Set<String> {
        let folder = directory.appendingPathComponent(kind)
        return Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
    }

    /// The case names listed in index.json under `kind` ("models" or "layers").
    static func names(_ kind: String) throws -> [String] {
        let url = directory.appendingPathComponent("index.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing("Keras fixtures not found at \(directory.path) (set TEXTRNN_FIXTURES)")
        }
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        guard let names = index?[kind] as? [String], !names.isEmpty else { throw FixtureMissing("index.json lists no \(kind)") }
        return names
    }

    static func load(_ kind: String, _ name: String) throws -> [String: Any] {
        let url = directory.appendingPathComponent(kind).appendingPathComponent(name + ".json")
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw FixtureMissing("\(url.path) is not a JSON object")
        }
        return json
    }
}

struct FixtureMissing: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Nested JSON number arrays → flat row-major Doubles.
func fixtureNumbers(_ value: Any?) -> [Double] {
    if let n = value as? NSNumber { return [n.doubleValue] }
    if let a = value as? [Any] { return a.flatMap { fixtureNumbers($0) } }
    return []
}

/// |a − b| ≤ atol + rtol·|b| elementwise (b = Keras reference). Records one issue per mismatching
/// tensor, naming the worst element, so a failure says where and by how much.
@discardableResult
func expectMatchesKeras(
    _ actual: [Float], _ expected: [Double], atol: Double = 1e-6, rtol: Double = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return false
    }
    var worst = -1, worstExcess = 0.0
    for i in 0..<actual.count {
        let a = Double(actual[i]), b = expected[i]
        let excess = abs(a - b) - (atol + rtol * abs(b))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        Issue.record("\(what)[\(worst)] = \(actual[worst]), Keras \(expected[worst]) (excess \(worstExcess))", sourceLocation: sourceLocation)
        return false
    }
    return true
}

/// Keras fixture layer config → LayerSpec.
func fixtureLayerSpec(_ layer: [String: Any]) throws -> LayerSpec {
    let className = layer["class"] as? String ?? ""
    switch className {
    case "Embedding":
        return .embedding(inputDim: layer["input_dim"] as! Int, outputDim: layer["output_dim"] as! Int, maskZero: layer["mask_zero"] as? Bool ?? false)
    case "Dense":
        return .dense(units: layer["units"] as! Int, activation: Activation(rawValue: layer["activation"] as? String ?? "linear")!)
    case "SimpleRNN", "LSTM", "GRU":
        return .recurrent(fixtureRecurrentSpec(layer))
    case "Bidirectional":
        let forward = fixtureRecurrentSpec(layer["inner"] as! [String: Any])
        var backward = forward
        backward.goBackwards = true
        return .bidirectional(forward: forward, backward: backward, mergeMode: MergeMode(rawValue: layer["merge_mode"] as? String ?? "concat")!)
    default:
        throw FixtureMissing("unsupported layer class \(className)")
    }
}

func fixtureRecurrentSpec(_ layer: [String: Any]) -> RecurrentSpec {
    var spec = RecurrentSpec(cell: RecurrentCell(rawValue: layer["class"] as! String)!, units: layer["units"] as! Int)
    if let a = layer["activation"] as? String { spec.activation = Activation(rawValue: a)! }
    spec.returnSequences = layer["return_sequences"] as? Bool ?? false
    spec.goBackwards = layer["go_backwards"] as? Bool ?? false
    if spec.cell == .gru { spec.resetAfter = layer["reset_after"] as? Bool ?? true }
    return spec
}

/// Loads a fixture's `weights` {name: {shape, value}} into `store`, prefixing names with
/// `prefix` ("0/" for the single-layer fixtures). Fails if any tensor of the store is not set.
func loadFixtureWeights(_ weights: [String: Any], into store: ParameterStore, prefix: String = "") throws {
    var loaded = Set<String>()
    for (name, entry) in weights {
        let entry = entry as! [String: Any]
        let view = try store.view(named: prefix + name)
        #expect(view.shape == (entry["shape"] as! [Int]), "shape of \(name)")
        try store.setTensor(named: prefix + name, to: fixtureNumbers(entry["value"]).map(Float.init))
        loaded.insert(prefix + name)
    }
    #expect(loaded == Set(store.tensorNames), "fixture weights cover every tensor")
}
