import Foundation
import Testing
import TextRNNTestSupport

@testable import TextRNNRuntime

/// Each Keras layer fixture (one recurrent layer, possibly Bidirectional, on float inputs) run
/// through the runtime's RuntimeRecurrentLayer must reproduce Keras's outputs within 1e-5, at
/// every kernel level.
typealias RuntimeRecurrentLayer = TextRNNRuntime.RecurrentLayer

@Suite struct LayerFixtureTests {
    @Test(arguments: KerasFixtures.cases("layers"))
    func reproducesKerasOutputs(_ name: String) throws {
        let data = try Data(contentsOf: KerasFixtures.url("layers", name))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let config = try #require(json["config"] as? [String: Any])
        let inputs = try #require(json["inputs"] as? [[[Double]]])
        let masks = json["mask"] as? [[Int]]
        let weights = try #require(json["weights"] as? [String: [String: Any]])
        let expected = try #require(json["outputs"] as? [Any])
        let cellName = try #require(config["cell"] as? String)
        let cell: RecurrentCell = cellName == "lstm" ? .lstm : cellName == "simple_rnn" ? .simpleRNN : .gru
        var spec = RecurrentSpec(cell: cell, units: try #require(config["units"] as? Int))
        spec.returnSequences = config["return_sequences"] as? Bool ?? false
        spec.goBackwards = config["go_backwards"] as? Bool ?? false
        spec.resetAfter = cellName != "gru_reset_before"
        let mergeMode = (config["bidirectional_merge_mode"] as? String).flatMap(MergeMode.init(rawValue:))
        let inputDim = try #require(config["input_dim"] as? Int)

        // Keep the weight arrays alive for the whole test; the layers borrow pointers into them.
        // An array, not a dictionary keyed by name: a key read twice must not drop (leak) the
        // first buffer (found by `make sanitize`, LeakSanitizer).
        var storage: [UnsafeMutablePointer<Float>] = []
        defer { storage.forEach { $0.deallocate() } }
        func tensor(_ key: String) throws -> UnsafePointer<Float> {
            let values = flatten(try #require(weights[key]?["value"], "missing weight \(key)")).map(Float.init)
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
            pointer.initialize(from: values, count: values.count)
            storage.append(pointer)
            return UnsafePointer(pointer)
        }
        func layer(_ spec: RecurrentSpec, prefix: String, zeroOutputForMask: Bool = false) throws -> RuntimeRecurrentLayer {
            let width = spec.cell.gateCount * spec.units
            let bias = try tensor(prefix + "bias")
            let split = spec.cell == .gru && spec.resetAfter
            return RuntimeRecurrentLayer(spec: spec, weights: RecurrentWeights(
                kernel: Matrix(base: try tensor(prefix + "kernel"), rows: inputDim, columns: width),
                recurrentKernel: Matrix(base: try tensor(prefix + "recurrent_kernel"), rows: spec.units, columns: width),
                inputBias: bias, recurrentBias: split ? bias + width : nil), zeroOutputForMask: zeroOutputForMask)
        }

        try atEveryKernelLevel { level in
            for (row, sequence) in inputs.enumerated() {
                let steps = sequence.count
                let input = sequence.flatMap { $0.map(Float.init) }
                let mask: [UInt8]? = masks.map { $0[row].map { UInt8($0) } }
                let want = flatten(expected[row])
                var got: [Float]
                if let mergeMode {
                    var backwardSpec = spec
                    backwardSpec.goBackwards = true
                    // Inside Bidirectional, Keras zeroes the outputs at masked steps.
                    let forward = try layer(spec, prefix: "forward/", zeroOutputForMask: true)
                    let backward = try layer(backwardSpec, prefix: "backward/", zeroOutputForMask: true)
                    got = try runBidirectional(forward, backward, mergeMode, input, mask, steps)
                } else {
                    got = run(try layer(spec, prefix: ""), input, mask, steps)
                }
                #expect(got.count == want.count, "\(name) [\(level)] row \(row)")
                for (a, e) in zip(got, want) {
                    #expect(close(Double(a), e), "\(name) [\(level)] row \(row): \(got) vs Keras \(want)")
                }
            }
        }
    }

    private func run(_ layer: RuntimeRecurrentLayer, _ input: [Float], _ mask: [UInt8]?, _ steps: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: (layer.spec.returnSequences ? steps : 1) * layer.spec.units)
        var scratch = [Float](repeating: .nan, count: layer.scratchCount(steps: steps))
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    if let mask {
                        mask.withUnsafeBufferPointer { mask in
                            layer.forward(input: input.baseAddress!, mask: mask.baseAddress!, steps: steps, output: output.baseAddress!, scratch: scratch.baseAddress!)
                        }
                    } else {
                        layer.forward(input: input.baseAddress!, mask: nil, steps: steps, output: output.baseAddress!, scratch: scratch.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    private func runBidirectional(
        _ forward: RuntimeRecurrentLayer, _ backward: RuntimeRecurrentLayer, _ mode: MergeMode, _ input: [Float], _ mask: [UInt8]?, _ steps: Int
    ) throws -> [Float] {
        let forwardOutput = run(forward, input, mask, steps)
        let backwardOutput = run(backward, input, mask, steps)
        let isSequence = forward.spec.returnSequences
        let width = mode == .concat ? 2 * forward.spec.units : forward.spec.units
        var merged = [Float](repeating: .nan, count: (isSequence ? steps : 1) * width)
        forwardOutput.withUnsafeBufferPointer { f in
            backwardOutput.withUnsafeBufferPointer { b in
                merged.withUnsafeMutableBufferPointer { o in
                    SequenceLayers.merge(
                        forward: f.baseAddress!, backward: b.baseAddress!, forwardUnits: forward.spec.units,
                        backwardUnits: backward.spec.units, steps: steps, isSequence: isSequence, mode: mode,
                        output: o.baseAddress!)
                }
            }
        }
        return merged
    }
}
