import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Central-difference checks of every analytic gradient, independent of the Keras fixtures.
///
/// Tolerances. The model runs in Float32, so a loss of O(1) carries ~1e-6 relative rounding
/// noise through the recurrences. With step h the central difference has rounding error ~1e-6/h
/// and truncation error ~h²·|f'''|/6; h = 1e-2 balances them at ~1e-4. The parameters and
/// cotangents are O(1) so real gradients are O(0.01..1), and each element must satisfy
/// |fd − g| ≤ 2e-3 + 2e-2·|g|; in addition the whole gradient must agree to 1% in norm. A wrong
/// gate, a missing mask or a dropped term changes some gradient by tens of percent and fails.
/// (Verified by breaking the LSTM forget-gate gradient and the GRU reset gradient: both fail.)
///
/// ReLU and max pooling are piecewise: where θ ± h crosses a kink (a ReLU input changes sign, an
/// arg-max moves) the difference quotient is meaningless. `branches` reports the active pieces;
/// elements whose perturbation changes them are skipped, and at most 10% may be skipped.
@Suite struct GradientCheckTests {
    static let h: Float = 1e-2

    /// Compares analytic `g` with central differences of `loss` over the values at `x[0..<n]`.
    static func check(
        _ what: String, analytic g: [Float], values x: UnsafeMutablePointer<Float>, count n: Int, step: Float = h,
        atol: Double = 2e-3, rtol: Double = 2e-2, loss: () throws -> Double, branches: (() -> [Int32])? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) rethrows {
        #expect(g.count == n, "\(what): gradient size", sourceLocation: sourceLocation)
        var diff2 = 0.0, norm2 = 0.0, worst = (index: -1, excess: 0.0, fd: 0.0, an: 0.0), skipped = 0
        _ = try loss()
        let base = branches?()
        for i in 0..<n {
            let saved = x[i]
            x[i] = saved + step
            let up = try loss()
            let upBranches = branches?()
            x[i] = saved - step
            let down = try loss()
            let downBranches = branches?()
            x[i] = saved
            if upBranches != base || downBranches != base { skipped += 1; continue }
            let fd = (up - down) / (2 * Double(step)), an = Double(g[i])
            diff2 += (fd - an) * (fd - an)
            norm2 += an * an
            let excess = abs(fd - an) - (atol + rtol * abs(an))
            if excess > worst.excess { worst = (i, excess, fd, an) }
        }
        #expect(skipped * 10 <= n, "\(what): \(skipped) of \(n) elements straddle a kink", sourceLocation: sourceLocation)
        #expect(worst.index < 0, "\(what)[\(worst.index)]: finite difference \(worst.fd), analytic \(worst.an)", sourceLocation: sourceLocation)
        #expect(norm2 > 1e-6, "\(what): gradient is ~0, the check would prove nothing", sourceLocation: sourceLocation)
        #expect(diff2.squareRoot() <= 1e-2 * norm2.squareRoot() + 1e-4, "\(what): relative error \(diff2.squareRoot() / norm2.squareRoot())", sourceLocation: sourceLocation)
    }

    static func randomArray(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    /// A layer configuration under test, with a readable name.
    struct LayerCase: CustomTestStringConvertible, Sendable {
        let name: String
        let spec: LayerSpec
        var masked = true
        var dropout: Float = 0
        var recurrentDropout: Float = 0
        var testDescription: String { name }
    }

    static func rnn(_ cell: RecurrentCell, sequences: Bool = true, backwards: Bool = false, resetAfter: Bool = true, activation: Activation = .tanh) -> RecurrentSpec {
        RecurrentSpec(cell: cell, units: 3, activation: activation, returnSequences: sequences, goBackwards: backwards, resetAfter: resetAfter)
    }

    static let layerCases: [LayerCase] = {
        var cases: [LayerCase] = []
        for (label, cell, resetAfter) in [("SimpleRNN", RecurrentCell.simpleRNN, true), ("LSTM", .lstm, true), ("GRU", .gru, true), ("GRU reset_before", .gru, false)] {
            cases.append(LayerCase(name: "\(label) sequences masked", spec: .recurrent(rnn(cell, resetAfter: resetAfter))))
            cases.append(LayerCase(name: "\(label) last backwards masked", spec: .recurrent(rnn(cell, sequences: false, backwards: true, resetAfter: resetAfter))))
            cases.append(LayerCase(name: "\(label) last unmasked", spec: .recurrent(rnn(cell, sequences: false, resetAfter: resetAfter)), masked: false))
            cases.append(LayerCase(name: "\(label) dropout + recurrent dropout", spec: .recurrent(rnn(cell, resetAfter: resetAfter)), dropout: 0.3, recurrentDropout: 0.4))
        }
        cases.append(LayerCase(name: "SimpleRNN relu", spec: .recurrent(rnn(.simpleRNN, activation: .relu))))
        for mode in MergeMode.allCases {
            var backward = rnn(.lstm); backward.goBackwards = true
            cases.append(LayerCase(name: "Bidirectional LSTM \(mode) sequences", spec: .bidirectional(forward: rnn(.lstm), backward: backward, mergeMode: mode)))
        }
        var bf = rnn(.gru, sequences: false, resetAfter: false), bb = bf
        bb.goBackwards = true
        cases.append(LayerCase(name: "Bidirectional GRU reset_before concat last, dropout", spec: .bidirectional(forward: bf, backward: bb, mergeMode: .concat), dropout: 0.25, recurrentDropout: 0.25))
        bf = rnn(.simpleRNN, sequences: false); bb = bf; bb.goBackwards = true
        cases.append(LayerCase(name: "Bidirectional SimpleRNN mul last", spec: .bidirectional(forward: bf, backward: bb, mergeMode: .mul)))
        return cases
    }()

    @Test(arguments: layerCases)
    func recurrentLayerGradients(_ c: LayerCase) throws {
        let (B, T, D) = (3, 5, 4)
        let block = try RecurrentBlock(c.spec, inputDim: D, seed: 11)
        block.layer.setDropout(c.dropout, recurrent: c.recurrentDropout)
        var rng = SeededGenerator(seed: 5)
        // O(1) weights so gates leave their linear region and every path carries gradient.
        block.store.allParameters = Self.randomArray(block.store.count, &rng, scale: 0.8)
        // Inputs live in raw memory so the check can perturb them while `loss` reads them.
        let inputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: B * T * D)
        defer { inputs.deallocate() }
        _ = inputs.initialize(from: Self.randomArray(B * T * D, &rng))
        // Post-padding, pre-padding and a sample masked in the middle.
        let mask: [Float]? = c.masked ? [1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1] : nil
        let training = c.dropout > 0 || c.recurrentDropout > 0
        let outCount = B * (block.layer.returnSequences ? T : 1) * block.outputDim
        let cotangent = Self.randomArray(outCount, &rng)

        func loss() throws -> Double {
            var dropoutRNG = SeededGenerator(seed: 99)  // the same masks on every evaluation
            let out = try block.forward(inputs: Array(inputs), mask: mask, batch: B, time: T, training: training, rng: &dropoutRNG)
            return zip(out, cotangent).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = try loss()
        block.store.zeroGradients()
        let dx = try block.backward(outputGradient: cotangent)
        let grads = block.store.allGradients
        // Which ReLU units are on, when the layer uses ReLU (the states hold its outputs).
        let reluOn: (() -> [Int32])? = block.layer.recurrentLayers.contains { $0.spec.activation == .relu }
            ? { block.layer.recurrentLayers.flatMap { $0.activeLanes.flatMap { $0.states.array.map { $0 > 0 ? 1 : 0 } } } } : nil
        // A smaller step with ReLU so fewer elements straddle a kink (rounding noise stays ~3e-4).
        let step: Float = reluOn == nil ? Self.h : 3e-3
        try Self.check("\(c.name) weights", analytic: grads, values: block.store.parameters, count: block.store.count, step: step, loss: loss, branches: reluOn)
        try Self.check("\(c.name) inputs", analytic: dx, values: inputs.baseAddress!, count: inputs.count, step: step, loss: loss, branches: reluOn)
    }

    struct NetworkCase: CustomTestStringConvertible, Sendable {
        let name: String
        let layers: [LayerSpec]
        let loss: LossKind
        var options = TrainingOptions()
        var sampleWeights: [Float]? = nil
        var labelSmoothing: Float = 0
        /// Logits [4, outputs] the network's are added to (stacked on the bag).
        var baseLogits: [Float]? = nil
        var testDescription: String { name }
    }

    static let networkCases: [NetworkCase] = {
        let embed = LayerSpec.embedding(inputDim: 12, outputDim: 4, maskZero: true)
        let seq = LayerSpec.recurrent(rnn(.lstm))
        let gruSeq = LayerSpec.recurrent(rnn(.gru, resetAfter: false))
        var bwd = rnn(.gru); bwd.goBackwards = true
        let bi = LayerSpec.bidirectional(forward: rnn(.gru), backward: bwd, mergeMode: .concat)
        return [
            NetworkCase(name: "LSTM → masked max pool → relu → softmax (SCE)",
                        layers: [embed, seq, .globalMaxPooling(masked: true), .dense(units: 5, activation: .relu), .dense(units: 3, activation: .softmax)],
                        loss: .sparseCategoricalCrossEntropy),
            NetworkCase(name: "GRU → Keras max pool (mask ignored) → sigmoid (BCE)",
                        layers: [embed, gruSeq, .globalMaxPooling(masked: false), .dense(units: 1, activation: .sigmoid)],
                        loss: .binaryCrossEntropy),
            NetworkCase(name: "BiGRU → average pool → tanh → 3 sigmoids (multi-label)",
                        layers: [embed, bi, .globalAveragePooling, .dense(units: 4, activation: .tanh), .dense(units: 3, activation: .sigmoid)],
                        loss: .multiLabelBinaryCrossEntropy),
            NetworkCase(name: "stacked LSTM → linear → softmax, all dropouts, class weights",
                        layers: [embed, seq, .recurrent(rnn(.lstm, sequences: false)), .dense(units: 4, activation: .linear), .dense(units: 3, activation: .softmax)],
                        loss: .sparseCategoricalCrossEntropy,
                        options: TrainingOptions(embeddingDropout: 0.3, recurrentDropout: [1: RecurrentDropout(dropout: 0.2, recurrentDropout: 0.3), 2: RecurrentDropout(dropout: 0.2)],
                                                 denseDropout: [3: 0.3, 4: 0.25]),
                        sampleWeights: [0.5, 2, 1, 1.5]),
            NetworkCase(name: "LSTM → average pool → softmax, label smoothing 0.2 (SCE)",
                        layers: [embed, seq, .globalAveragePooling, .dense(units: 3, activation: .softmax)],
                        loss: .sparseCategoricalCrossEntropy, labelSmoothing: 0.2),
            NetworkCase(name: "GRU → average pool → sigmoid, label smoothing 0.3 (BCE)",
                        layers: [embed, gruSeq, .globalAveragePooling, .dense(units: 1, activation: .sigmoid)],
                        loss: .binaryCrossEntropy, labelSmoothing: 0.3),
            NetworkCase(name: "BiGRU → average pool → 3 sigmoids, label smoothing 0.1 (multi-label)",
                        layers: [embed, bi, .globalAveragePooling, .dense(units: 3, activation: .sigmoid)],
                        loss: .multiLabelBinaryCrossEntropy, labelSmoothing: 0.1),
            NetworkCase(name: "BiGRU → average pool → softmax on base logits (stacked on the bag)",
                        layers: [embed, bi, .globalAveragePooling, .dense(units: 3, activation: .softmax)],
                        loss: .sparseCategoricalCrossEntropy, baseLogits: [1.5, -0.5, 0.2, -1, 2, 0.3, 0.7, 0.1, -2, 0, 0, 0.4]),
            NetworkCase(name: "GRU → average pool → sigmoid on base logits (stacked on the bag)",
                        layers: [embed, gruSeq, .globalAveragePooling, .dense(units: 1, activation: .sigmoid)],
                        loss: .binaryCrossEntropy, baseLogits: [2, -1.5, 0.5, -0.3]),
        ]
    }()

    @Test(arguments: networkCases)
    func networkGradients(_ c: NetworkCase) throws {
        let net = try Network(layers: c.layers, options: c.options, seed: 3)
        var rng = SeededGenerator(seed: 8)
        for view in net.store.tensors where !view.name.hasSuffix("embeddings") {
            try net.store.setTensor(named: view.name, to: Self.randomArray(view.count, &rng, scale: 0.8))
        }
        try net.store.setTensor(named: "0/embeddings", to: Self.randomArray(48, &rng))
        let (B, T) = (4, 6)
        let ids: [Int32] = [3, 5, 7, 1, 2, 9,  0, 0, 4, 11, 3, 3,  6, 8, 10, 0, 0, 0,  0, 0, 0, 0, 0, 2]
        let targets: [Float] = switch c.loss {
        case .sparseCategoricalCrossEntropy: [0, 2, 1, 2]
        case .binaryCrossEntropy: [1, 0, 0, 1]
        case .multiLabelBinaryCrossEntropy: [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0]
        }
        let training = c.options != TrainingOptions()
        func evaluate() throws -> Double {
            var dropoutRNG = SeededGenerator(seed: 42)
            return Double(try net.lossAndGradients(tokenIds: ids, batch: B, time: T, targets: targets, loss: c.loss,
                                                   sampleWeights: c.sampleWeights, labelSmoothing: c.labelSmoothing,
                                                   baseLogits: c.baseLogits, training: training, rng: &dropoutRNG).loss)
        }
        let value = try evaluate()
        if let base = c.baseLogits {
            // The loss is the one of z = base + the network's logits, computed here by hand.
            let width = net.outputDim
            let z = (0..<(B * width)).map { Double(base[$0] + net.logits[$0]) }
            let expected = (0..<B).map { row -> Double in
                let zr = z[(row * width)..<((row + 1) * width)], y = Int(targets[row])
                if width == 1 { return log(1 + exp(-zr.first!)) + (y == 1 ? 0 : zr.first!) }
                return log(zr.map(exp).reduce(0, +)) - zr[row * width + y]
            }.reduce(0, +) / Double(B)
            #expect(abs(value - expected) < 1e-5, "loss \(value), by hand \(expected)")
        }
        let grads = net.store.allGradients
        // Kinks: arg-max of max pooling, and the on/off pattern of ReLU Dense layers.
        let branches: () -> [Int32] = {
            net.layers.flatMap { layer -> [Int32] in
                switch layer {
                case .maxPooling(let m): m.argmax
                case .dense(let d) where d.activation == .relu: d.output.array.map { $0 > 0 ? 1 : 0 }
                default: []
                }
            }
        }
        try Self.check(c.name, analytic: grads, values: net.store.parameters, count: net.store.count, loss: evaluate, branches: branches)
        // Padding rows never reach the loss; rows of tokens not in the batch get nothing.
        #expect(net.embeddingTouchedRows == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    }
}
