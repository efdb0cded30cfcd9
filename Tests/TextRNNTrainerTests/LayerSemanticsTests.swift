import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Keras semantics that the fixtures do not pin down on their own: masking equals truncation,
/// go_backwards ordering, dropout mask shapes, pooling variants, Dense softmax, parameter naming.
@Suite struct LayerSemanticsTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.nextUnitFloat() * 2 - 1 }
    }

    @Test(arguments: [RecurrentCell.simpleRNN, .lstm, .gru])
    func maskedTailEqualsTruncatedSequence(_ cell: RecurrentCell) throws {
        let D = 3, U = 4
        var spec = RecurrentSpec(cell: cell, units: U, returnSequences: true)
        let block = try RecurrentBlock(.recurrent(spec), inputDim: D, seed: 2)
        let x = Self.random(6 * D, seed: 1)
        var rng = SeededGenerator(seed: 0)
        let masked = try block.forward(inputs: x, mask: [1, 1, 1, 1, 0, 0], batch: 1, time: 6, rng: &rng)
        let short = try block.forward(inputs: Array(x[0..<(4 * D)]), mask: nil, batch: 1, time: 4, rng: &rng)
        #expect(Array(masked[0..<(4 * U)]) == short, "unmasked prefix is unaffected by the padding")
        // A plain layer repeats its last output at masked steps (Keras zero_output_for_mask=False).
        let lastOutput = Array(short[(3 * U)...])
        #expect(Array(masked[(4 * U)..<(5 * U)]) == lastOutput && Array(masked[(5 * U)...]) == lastOutput,
                "masked steps repeat the previous output with return_sequences")
        spec.returnSequences = false
        let last = try RecurrentBlock(.recurrent(spec), inputDim: D, seed: 2)
        let final = try last.forward(inputs: x, mask: [1, 1, 1, 1, 0, 0], batch: 1, time: 6, rng: &rng)
        #expect(final == Array(short[(3 * U)...]), "last output is the state after the last unmasked step")
    }

    @Test func goBackwardsReadsTheReversedSequenceAndReturnsItReversed() throws {
        let D = 2, U = 3, T = 4
        var fwd = RecurrentSpec(cell: .gru, units: U, returnSequences: true)
        let a = try RecurrentBlock(.recurrent(fwd), inputDim: D, seed: 4)
        fwd.goBackwards = true
        let b = try RecurrentBlock(.recurrent(fwd), inputDim: D, seed: 4)
        let x = Self.random(T * D, seed: 3)
        let reversed = (0..<T).reversed().flatMap { t in x[(t * D)..<((t + 1) * D)] }
        var rng = SeededGenerator(seed: 0)
        let onReversed = try a.forward(inputs: reversed, mask: nil, batch: 1, time: T, rng: &rng)
        let backwards = try b.forward(inputs: x, mask: nil, batch: 1, time: T, rng: &rng)
        #expect(onReversed == backwards)
    }

    @Test func inputDropoutIsOneMaskPerSampleFixedAcrossTime() throws {
        let (B, T, D) = (4, 6, 8)
        let block = try RecurrentBlock(.recurrent(RecurrentSpec(cell: .lstm, units: 3)), inputDim: D)
        block.layer.setDropout(0.5, recurrent: 0.5)
        var rng = SeededGenerator(seed: 9)
        _ = try block.forward(inputs: [Float](repeating: 1, count: B * T * D), mask: nil, batch: B, time: T, training: true, rng: &rng)
        let layer = block.layer.recurrentLayers[0]
        let xs = layer.activeLanes[0].xs.array  // [T, B, D] processing order (one lane: B < 16)
        var dropped = 0
        for b in 0..<B {
            for d in 0..<D {
                let first = xs[b * D + d]
                #expect(first == 0 || first == 2, "inverted dropout scales kept inputs by 1/(1 − rate)")
                for s in 1..<T { #expect(xs[(s * B + b) * D + d] == first) }
                if first == 0 { dropped += 1 }
            }
        }
        #expect(dropped > 0 && dropped < B * D)
        #expect(layer.recurrentMask.array.contains(0) && layer.recurrentMask.array.contains(2))
        // Inference ignores dropout entirely.
        let a = try block.forward(inputs: Self.random(B * T * D, seed: 1), mask: nil, batch: B, time: T, training: false, rng: &rng)
        let c = try block.forward(inputs: Self.random(B * T * D, seed: 1), mask: nil, batch: B, time: T, training: false, rng: &rng)
        #expect(a == c)
    }

    @Test func spatialDropoutDropsWholeEmbeddingChannels() throws {
        let net = try Network(layers: [.embedding(inputDim: 10, outputDim: 16, maskZero: true), .globalAveragePooling, .dense(units: 2, activation: .softmax)],
                              options: TrainingOptions(embeddingDropout: 0.5), seed: 1)
        var rng = SeededGenerator(seed: 2)
        _ = try net.forward(tokenIds: [1, 2, 3, 4, 5, 6, 7, 8], batch: 2, time: 4, training: true, rng: &rng)
        guard case .embedding(let e) = net.layers[0] else { Issue.record("no embedding"); return }
        let out = e.output.array
        for b in 0..<2 {
            for c in 0..<16 {
                let zeros = (0..<4).filter { out[(b * 4 + $0) * 16 + c] == 0 }.count
                #expect(zeros == 0 || zeros == 4, "channel \(c) of sample \(b) is dropped at every step or none")
            }
        }
    }

    @Test func poolingVariants() throws {
        // x [1, 3, 2]; step 2 masked. Values chosen so the masked step's zero matters.
        let x: [Float] = [-1, 3, -2, 1, 5, 9]
        let mask: [Float] = [1, 1, 0]
        func pool(_ layer: (UnsafePointer<Float>, UnsafePointer<Float>) -> UnsafeMutablePointer<Float>) -> [Float] {
            x.withUnsafeBufferPointer { xp in mask.withUnsafeBufferPointer { mp in Array(UnsafeBufferPointer(start: layer(xp.baseAddress!, mp.baseAddress!), count: 2)) } }
        }
        let maskedMax = GlobalMaxPoolingLayer(masked: true)
        #expect(pool { maskedMax.forward(input: $0, mask: $1, batch: 1, time: 3, dim: 2) } == [-1, 3])
        // Keras 3 ignores the mask: the (recurrent layer's) masked step is included as given.
        let kerasMax = GlobalMaxPoolingLayer(masked: false)
        #expect(pool { kerasMax.forward(input: $0, mask: $1, batch: 1, time: 3, dim: 2) } == [5, 9])
        let average = GlobalAveragePoolingLayer()
        #expect(pool { average.forward(input: $0, mask: $1, batch: 1, time: 3, dim: 2) } == [-1.5, 2])
        let dx = [Float](repeating: 1, count: 2).withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: average.backward(outputGradient: $0.baseAddress!), count: 6)) }
        #expect(dx == [0.5, 0.5, 0.5, 0.5, 0, 0])
    }

    @Test func tensorNamesOrderAndShapesFollowLayerSpec() throws {
        var back = RecurrentSpec(cell: .gru, units: 5, returnSequences: true)
        back.goBackwards = true
        let specs: [LayerSpec] = [
            .embedding(inputDim: 30, outputDim: 6, maskZero: true),
            .bidirectional(forward: RecurrentSpec(cell: .gru, units: 5, returnSequences: true), backward: back, mergeMode: .concat),
            .recurrent(RecurrentSpec(cell: .lstm, units: 4, returnSequences: true)),
            .globalMaxPooling(masked: true),
            .dense(units: 3, activation: .softmax),
        ]
        let net = try Network(layers: specs, seed: 7)
        #expect(net.store.tensorNames == [
            "0/embeddings", "1/forward/kernel", "1/forward/recurrent_kernel", "1/forward/bias",
            "1/backward/kernel", "1/backward/recurrent_kernel", "1/backward/bias",
            "2/kernel", "2/recurrent_kernel", "2/bias", "4/kernel", "4/bias",
        ])
        #expect(try net.store.view(named: "1/forward/bias").shape == [2, 15])
        #expect(try net.store.view(named: "2/kernel").shape == [10, 16])
        #expect(try net.store.view(named: "4/kernel").shape == [4, 3])
        // Initializers: LSTM forget bias 1, other biases 0, orthogonal recurrent kernel.
        #expect(try net.store.tensor(named: "2/bias") == [0, 0, 0, 0, 1, 1, 1, 1] + [Float](repeating: 0, count: 8))
        let r = try net.store.tensor(named: "2/recurrent_kernel")  // [4, 16]: orthonormal rows
        for i in 0..<4 {
            for j in 0..<4 {
                let dot = (0..<16).reduce(Float(0)) { $0 + r[i * 16 + $1] * r[j * 16 + $1] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-5)
            }
        }
        let e = try net.store.tensor(named: "0/embeddings")
        #expect(e.allSatisfy { abs($0) <= 0.05 } && Set(e).count > 100)
        // Round trip by name.
        try net.store.setTensor(named: "4/bias", to: [1, 2, 3])
        #expect(try net.store.tensor(named: "4/bias") == [1, 2, 3])
        #expect(throws: ParameterStoreError.self) { try net.store.setTensor(named: "4/bias", to: [1]) }
        #expect(throws: ParameterStoreError.self) { try net.store.tensor(named: "9/kernel") }
    }

    @Test func networkValidatesItsInput() throws {
        let net = try Network(layers: [.embedding(inputDim: 5, outputDim: 2, maskZero: true), .recurrent(RecurrentSpec(cell: .lstm, units: 2)), .dense(units: 3, activation: .softmax)])
        var rng = SeededGenerator(seed: 0)
        #expect(throws: EmbeddingError.self) { try net.forward(tokenIds: [1, 5], batch: 1, time: 2, training: false, rng: &rng) }
        let p = try net.forward(tokenIds: [1, 4, 0, 2], batch: 2, time: 2, training: false, rng: &rng)
        #expect(abs(p[0] + p[1] + p[2] - 1) < 1e-6 && abs(p[3] + p[4] + p[5] - 1) < 1e-6)
        #expect(throws: NetworkError.self) {
            try net.lossAndGradients(tokenIds: [1, 4], batch: 1, time: 2, targets: [1], loss: .binaryCrossEntropy, rng: &rng)
        }
        #expect(throws: NetworkError.self) {
            try Network(layers: [.embedding(inputDim: 5, outputDim: 2, maskZero: true), .recurrent(RecurrentSpec(cell: .lstm, units: 2, returnSequences: true)), .dense(units: 1, activation: .sigmoid)])
        }
    }
}
