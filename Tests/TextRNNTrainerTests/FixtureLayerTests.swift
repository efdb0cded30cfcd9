import Foundation
import Testing
import TextRNNTestSupport
import TextRNNRuntime
@testable import TextRNNTrainer

/// Single recurrent / Bidirectional layers on float inputs against Keras 3: outputs, and for
/// loss = Σ outputs·cotangent the input gradient and every weight gradient.
@Suite struct FixtureLayerTests {
    static let layerNames = (try? KerasFixtures.names("layers")) ?? ["<fixtures missing>"]

    /// index.json and the layers folder agree, so every fixture file is run (new ones too).
    @Test func fixtureIndexListsAllLayers() throws {
        let listed = Set(try KerasFixtures.names("layers"))
        #expect(!listed.isEmpty)
        #expect(listed == (try KerasFixtures.files("layers")))
    }

    static func spec(_ config: [String: Any]) -> LayerSpec {
        let cellName = config["cell"] as! String
        let cell: RecurrentCell = cellName == "lstm" ? .lstm : cellName == "simple_rnn" ? .simpleRNN : .gru
        var r = RecurrentSpec(cell: cell, units: config["units"] as! Int)
        r.returnSequences = config["return_sequences"] as! Bool
        r.goBackwards = config["go_backwards"] as! Bool
        r.resetAfter = cellName != "gru_reset_before"
        guard let merge = config["bidirectional_merge_mode"] as? String else { return .recurrent(r) }
        var backward = r
        backward.goBackwards = true
        return .bidirectional(forward: r, backward: backward, mergeMode: MergeMode(rawValue: merge)!)
    }

    @Test(arguments: layerNames)
    func outputsAndGradientsMatchKeras(_ name: String) throws {
        let json = try KerasFixtures.load("layers", name)
        let config = json["config"] as! [String: Any]
        let inputs = json["inputs"] as! [[[Double]]]
        let (batch, time, dim) = (inputs.count, inputs[0].count, inputs[0][0].count)
        #expect(dim == config["input_dim"] as! Int)
        let block = try RecurrentBlock(Self.spec(config), inputDim: dim)
        try loadFixtureWeights(json["weights"] as! [String: Any], into: block.store, prefix: "0/")
        let mask: [Float]? = json["mask"].flatMap { $0 is NSNull ? nil : flatten($0).map(Float.init) }
        var rng = SeededGenerator(seed: 3)
        let out = try block.forward(inputs: flatten(inputs).map(Float.init), mask: mask, batch: batch, time: time, rng: &rng)
        expectMatchesKeras(out, flatten(json["outputs"]), "\(name) outputs")
        let cotangent = flatten(json["cotangent"]).map(Float.init)
        block.store.zeroGradients()
        let dx = try block.backward(outputGradient: cotangent)
        expectMatchesKeras(dx, flatten(json["grad_inputs"]), "\(name) grad_inputs")
        for (tensor, value) in json["grad_weights"] as! [String: Any] {
            expectMatchesKeras(try block.store.gradient(named: "0/" + tensor), flatten(value), "\(name) grad \(tensor)")
        }
        #expect((json["grad_weights"] as! [String: Any]).count == block.store.tensors.count)
    }
}
