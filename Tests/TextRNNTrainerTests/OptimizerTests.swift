import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// Optimizer formulas against hand-computed Keras 3 values on a tiny parameter store, schedules,
/// and global-norm clipping. (The 24 model fixtures check Adam/RMSprop/SGD against Keras itself.)
@Suite struct OptimizerTests {
    /// A store holding one dense tensor "w" = [1, −2] with gradient [0.5, −0.25].
    static func store(_ values: [Float] = [1, -2], gradient: [Float] = [0.5, -0.25]) -> ParameterStore {
        var layout = ParameterLayout()
        _ = layout.add("w", [values.count])
        let s = ParameterStore(layout: layout)
        try! s.setTensor(named: "w", to: values)
        for (i, g) in gradient.enumerated() { s.gradients[i] = g }
        return s
    }

    static func close(_ a: [Float], _ b: [Double], tol: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tol * max(1, abs($1)) }
    }

    @Test func adamTwoStepsMatchKerasFormula() throws {
        let s = Self.store()
        let adam = Adam(learningRate: .constant(0.1))
        adam.step(s)
        adam.step(s)  // same gradient twice
        var w = [1.0, -2.0], m = [0.0, 0.0], v = [0.0, 0.0]
        let g = [0.5, -0.25]
        for t in 1...2 {
            let alpha = 0.1 * (1 - pow(0.999, Double(t))).squareRoot() / (1 - pow(0.9, Double(t)))
            for i in 0..<2 {
                m[i] += (g[i] - m[i]) * 0.1
                v[i] += (g[i] * g[i] - v[i]) * 0.001
                w[i] -= alpha * m[i] / (v[i].squareRoot() + 1e-7)
            }
        }
        #expect(Self.close(try s.tensor(named: "w"), w))
        #expect(adam.iterations == 2)
    }

    @Test func rmspropWithMomentum() throws {
        let s = Self.store()
        let opt = RMSprop(learningRate: .constant(0.01), rho: 0.8, momentum: 0.5)
        opt.step(s); opt.step(s)
        var w = [1.0, -2.0], vel = [0.0, 0.0], mom = [0.0, 0.0]
        let g = [0.5, -0.25]
        for _ in 0..<2 {
            for i in 0..<2 {
                vel[i] = 0.8 * vel[i] + 0.2 * g[i] * g[i]
                mom[i] = 0.5 * mom[i] + 0.01 * g[i] / (vel[i] + 1e-7).squareRoot()
                w[i] -= mom[i]
            }
        }
        #expect(Self.close(try s.tensor(named: "w"), w))
    }

    @Test(arguments: [false, true])
    func sgdMomentum(nesterov: Bool) throws {
        let s = Self.store()
        let opt = SGD(learningRate: .constant(0.1), momentum: 0.9, nesterov: nesterov)
        opt.step(s); opt.step(s)
        var w = [1.0, -2.0], b = [0.0, 0.0]
        let g = [0.5, -0.25]
        for _ in 0..<2 {
            for i in 0..<2 {
                b[i] = 0.9 * b[i] - 0.1 * g[i]
                w[i] += nesterov ? 0.9 * b[i] - 0.1 * g[i] : b[i]
            }
        }
        #expect(Self.close(try s.tensor(named: "w"), w))
    }

    @Test func globalClipNormScalesOnlyAboveTheLimit() throws {
        let s = Self.store([0, 0], gradient: [3, 4])
        #expect(clipByGlobalNorm(s, clipNorm: 10) == 5)
        #expect(s.allGradients == [3, 4])
        #expect(clipByGlobalNorm(s, clipNorm: 1) == 5)
        #expect(Self.close(s.allGradients, [0.6, 0.8]))
        // Clipping happens before the update: SGD with lr 1 then moves by exactly the clipped vector.
        let t = Self.store([0, 0], gradient: [3, 4])
        SGD(learningRate: .constant(1), globalClipNorm: 1).step(t)
        #expect(Self.close(t.allParameters, [-0.6, -0.8]))
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.constant(0.3).learningRate(atStep: 1000) == 0.3)
        let exp = LearningRateSchedule.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5)
        #expect(abs(exp.learningRate(atStep: 0) - 0.1) < 1e-7)
        #expect(abs(exp.learningRate(atStep: 5) - 0.1 * Float(pow(0.5, 0.5))) < 1e-7)
        #expect(abs(exp.learningRate(atStep: 20) - 0.025) < 1e-7)
        let stair = LearningRateSchedule.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        #expect(abs(stair.learningRate(atStep: 19) - 0.05) < 1e-7)
        let cosine = LearningRateSchedule.cosineDecay(initial: 0.1, decaySteps: 100, alpha: 0.1)
        #expect(abs(cosine.learningRate(atStep: 0) - 0.1) < 1e-7)
        #expect(abs(cosine.learningRate(atStep: 50) - 0.1 * (0.9 * 0.5 + 0.1)) < 1e-7)
        #expect(abs(cosine.learningRate(atStep: 500) - 0.01) < 1e-7)  // clamps at decaySteps
        // Keras CosineDecay warm-up: linear from initial to target, then cosine from the target.
        let warm = LearningRateSchedule.cosineDecay(initial: 0, decaySteps: 10, warmupTarget: 0.2, warmupSteps: 4)
        #expect(abs(warm.learningRate(atStep: 1) - 0.05) < 1e-7)
        #expect(abs(warm.learningRate(atStep: 4) - 0.2) < 1e-7)
        #expect(abs(warm.learningRate(atStep: 9) - 0.2 * 0.5 * (1 + Float(cos(Double.pi * 0.5)))) < 1e-7)
        let wrapped = LearningRateSchedule.linearWarmup(steps: 10, then: .constant(0.4))
        #expect(abs(wrapped.learningRate(atStep: 5) - 0.2) < 1e-7)
        #expect(wrapped.learningRate(atStep: 10) == 0.4)
    }

    @Test func scheduleIsReadAtTheIterationCountBeforeTheStep() throws {
        // Step 0 uses lr(0) = 1, step 1 uses lr(1) = 0.5 (Keras reads optimizer.iterations).
        let s = Self.store([0], gradient: [1])
        let opt = SGD(learningRate: .exponentialDecay(initial: 1, decaySteps: 1, decayRate: 0.5))
        opt.step(s)
        #expect(s.allParameters == [-1])
        opt.step(s)
        #expect(s.allParameters == [-1.5])
    }

    @Test func sparseEmbeddingSecondMomentUsesPerLookupSquares() throws {
        // Token 3 appears twice. Keras (TF) squares each lookup's gradient slice, so Adam's v gets
        // g₁² + g₂², not (g₁ + g₂)². The fixture models pin this against Keras; here we check
        // the bookkeeping directly.
        let net = try Network(layers: [.embedding(inputDim: 5, outputDim: 2, maskZero: true), .recurrent(RecurrentSpec(cell: .simpleRNN, units: 2)),
                                       .dense(units: 1, activation: .sigmoid)], seed: 1)
        var rng = SeededGenerator(seed: 0)
        _ = try net.lossAndGradients(tokenIds: [3, 1, 3, 0], batch: 1, time: 4, targets: [1], loss: .binaryCrossEntropy, rng: &rng)
        let view = try net.store.view(named: "0/embeddings")
        let g = try net.store.gradient(named: "0/embeddings")
        let sq = Array(UnsafeBufferPointer(start: net.store.sparseGradientSquares + view.offset, count: view.count))
        #expect(net.embeddingTouchedRows == [0, 1, 3])
        #expect(sq[4] == 0 && sq[5] == 0 && sq[8] == 0 && sq[9] == 0, "untouched rows have no squares")
        for c in 0..<2 {
            #expect(abs(sq[2 + c] - g[2 + c] * g[2 + c]) <= 1e-12, "token 1 seen once: square of its gradient")
            #expect(sq[6 + c] > 0 && abs(sq[6 + c] - g[6 + c] * g[6 + c]) > 1e-14, "token 3 seen twice: sum of squares differs")
        }
    }
}
