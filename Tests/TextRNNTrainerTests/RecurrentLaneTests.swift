import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// A unidirectional layer split into two lanes (two threads) must compute what the single-lane
/// layer computes: same outputs, weight gradients and input gradients, for every cell, with
/// masks of every length (including empty rows), return_sequences, go_backwards and dropout.
@Suite struct RecurrentLaneTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: RecurrentCell
        let resetAfter: Bool
        let returnSequences: Bool
        let goBackwards: Bool
        let dropout: Float
        var testDescription: String {
            "\(cell)\(cell == .gru ? (resetAfter ? " reset_after" : " reset_before") : "")"
                + (returnSequences ? " seq" : "") + (goBackwards ? " backwards" : "") + (dropout > 0 ? " dropout" : "")
        }
    }

    static let cases: [Case] = [
        Case(cell: .simpleRNN, resetAfter: true, returnSequences: false, goBackwards: false, dropout: 0),
        Case(cell: .simpleRNN, resetAfter: true, returnSequences: true, goBackwards: true, dropout: 0.3),
        Case(cell: .lstm, resetAfter: true, returnSequences: false, goBackwards: false, dropout: 0.3),
        Case(cell: .lstm, resetAfter: true, returnSequences: true, goBackwards: false, dropout: 0),
        Case(cell: .gru, resetAfter: true, returnSequences: false, goBackwards: true, dropout: 0),
        Case(cell: .gru, resetAfter: true, returnSequences: true, goBackwards: false, dropout: 0.3),
        Case(cell: .gru, resetAfter: false, returnSequences: false, goBackwards: false, dropout: 0.3),
        Case(cell: .gru, resetAfter: false, returnSequences: true, goBackwards: true, dropout: 0),
    ]

    @Test(arguments: cases)
    func twoLanesMatchOneLane(_ c: Case) throws {
        let B = 37, T = 9, D = 5
        var spec = RecurrentSpec(cell: c.cell, units: 6)
        spec.resetAfter = c.resetAfter
        spec.returnSequences = c.returnSequences
        spec.goBackwards = c.goBackwards
        var rng = SeededGenerator(seed: 11)
        let inputs = (0..<(B * T * D)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        // Post-padded lengths 0...T, so lanes see rows that stop at every step.
        var mask = [Float](repeating: 0, count: B * T)
        for b in 0..<B { for t in 0..<(b % (T + 1)) { mask[b * T + t] = 1 } }
        let outputCount = B * (c.returnSequences ? T : 1) * 6
        let cotangent = (0..<outputCount).map { _ in rng.nextUnitFloat() * 2 - 1 }

        func run(lanes: Int) throws -> (output: [Float], weights: [Float], inputs: [Float], laneCount: Int) {
            let block = try RecurrentBlock(.recurrent(spec), inputDim: D, seed: 5)
            block.layer.setDropout(c.dropout, recurrent: c.dropout)
            let layer = block.layer.recurrentLayers[0]
            layer.maximumLanes = lanes
            var dropoutRNG = SeededGenerator(seed: 99)
            let y = try block.forward(inputs: inputs, mask: mask, batch: B, time: T, training: c.dropout > 0, rng: &dropoutRNG)
            let dx = try block.backward(outputGradient: cotangent)
            let g = Array(UnsafeBufferPointer(start: block.store.gradients, count: block.store.count))
            return (y, g, dx, layer.laneCount)
        }
        let one = try run(lanes: 1), two = try run(lanes: 2)
        #expect(one.laneCount == 1 && two.laneCount == 2)
        for (name, a, b) in [("output", one.output, two.output), ("weight gradient", one.weights, two.weights),
                             ("input gradient", one.inputs, two.inputs)] {
            #expect(a.count == b.count)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            let scale = a.map { abs($0) }.max() ?? 0
            #expect(scale > 1e-3, "\(name) is ~0: the comparison would prove nothing")
            #expect(worst <= 1e-5 * max(1, scale), "\(name): lanes differ by \(worst)")
        }
    }
}
