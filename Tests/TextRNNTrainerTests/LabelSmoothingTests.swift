import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Label smoothing's loss values against Keras's definition written out by hand
/// (keras.losses.CategoricalCrossentropy / BinaryCrossentropy with label_smoothing, from logits);
/// its gradient is checked against finite differences in GradientCheckTests.
@Suite struct LabelSmoothingTests {
    func loss(_ kind: LossKind, logits: [Float], targets: [Float], outputs: Int, smoothing: Float) -> Float {
        var probabilities = [Float](repeating: 0, count: logits.count)
        var gradient = probabilities
        let rows = logits.count / outputs
        for row in 0..<rows {
            let z = logits[(row * outputs)..<((row + 1) * outputs)].map(Double.init)
            if kind == .sparseCategoricalCrossEntropy {
                let e = z.map { exp($0 - z.max()!) }
                for j in 0..<outputs { probabilities[row * outputs + j] = Float(e[j] / e.reduce(0, +)) }
            } else {
                for j in 0..<outputs { probabilities[row * outputs + j] = Float(1 / (1 + exp(-z[j]))) }
            }
        }
        return crossEntropy(kind, logits: logits, probabilities: probabilities, batch: rows, outputs: outputs, targets: targets,
                            sampleWeights: nil, labelSmoothing: smoothing, logitGradient: &gradient)
    }

    @Test func softmaxTargetsAreSmoothedOverTheClasses() {
        // Row 1: z = (1, 2, 0), class 0; row 2: z = (0.5, -1, 3), class 2. ε = 0.3, N = 3:
        // targets (0.8, 0.1, 0.1) and (0.1, 0.1, 0.8); loss = mean of −Σ t·log softmax(z).
        let logits: [Float] = [1, 2, 0, 0.5, -1, 3]
        func logSoftmax(_ z: [Double]) -> [Double] { let m = z.max()!; let s = log(z.map { exp($0 - m) }.reduce(0, +)) + m; return z.map { $0 - s } }
        let a = logSoftmax([1, 2, 0]), b = logSoftmax([0.5, -1, 3])
        let expected = (-(0.8 * a[0] + 0.1 * a[1] + 0.1 * a[2]) - (0.1 * b[0] + 0.1 * b[1] + 0.8 * b[2])) / 2
        let got = loss(.sparseCategoricalCrossEntropy, logits: logits, targets: [0, 2], outputs: 3, smoothing: 0.3)
        #expect(abs(Double(got) - expected) < 1e-5, "\(got) vs \(expected)")
        // ε = 0 is the plain loss.
        let plain = loss(.sparseCategoricalCrossEntropy, logits: logits, targets: [0, 2], outputs: 3, smoothing: 0)
        #expect(abs(Double(plain) - (-(a[0] + b[2]) / 2)) < 1e-5)
    }

    @Test func sigmoidTargetsMoveTowardOneHalf() {
        // ε = 0.2: targets 1 → 0.9 and 0 → 0.1; loss = mean of −t·log σ(z) − (1 − t)·log(1 − σ(z)).
        let z: [Double] = [2, -0.5]
        let t: [Double] = [0.9, 0.1]
        let expected = zip(z, t).map { z, t in -t * log(1 / (1 + exp(-z))) - (1 - t) * log(1 - 1 / (1 + exp(-z))) }.reduce(0, +) / 2
        let got = loss(.binaryCrossEntropy, logits: z.map(Float.init), targets: [1, 0], outputs: 1, smoothing: 0.2)
        #expect(abs(Double(got) - expected) < 1e-5, "\(got) vs \(expected)")
    }

    @Test func isAHyperparameterWithARange() throws {
        var config = TrainingConfig()
        try config.set("label_smoothing", to: "0.1")
        #expect(config.labelSmoothing == 0.1 && config.givenKeys.contains("label_smoothing"))
        config.labelSmoothing = 1
        #expect(throws: TrainingError.self) { try config.validate() }
    }
}
