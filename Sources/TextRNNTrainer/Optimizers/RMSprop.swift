import Foundation

/// Keras 3 RMSprop (non-centered):
///   v ← ρ·v + (1 − ρ)·g²,  Δ = lr·g / √(v + ε),  θ ← θ − Δ   (momentum 0)
///   with momentum μ > 0:   b ← μ·b + Δ,          θ ← θ − b
/// Note ε sits inside the square root, unlike Adam.
public final class RMSprop: Optimizer {
    public let learningRate: LearningRateSchedule
    public let rho: Float, momentum: Float, epsilon: Float
    public let globalClipNorm: Float?
    public internal(set) var iterations = 0
    var velocity: Slot?, buffer: Slot?  // [store.count]
    private var squares: Slot?                  // [store.count] g² as Keras forms it (per slice for sparse)

    public init(learningRate: LearningRateSchedule = .constant(0.001), rho: Float = 0.9, momentum: Float = 0,
                epsilon: Float = 1e-7, globalClipNorm: Float? = nil) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.globalClipNorm = globalClipNorm
    }

    public func step(_ store: ParameterStore) {
        if velocity?.count != store.count { velocity = Slot(count: store.count); buffer = Slot(count: store.count) }
        if squares?.count != store.count { squares = Slot(count: store.count) }  // scratch, not state: absent after a restore
        let lr = beginStep(store, clip: globalClipNorm, schedule: learningRate, iterations: iterations)
        let g2 = squares!.pointer
        store.squaredGradients(into: g2)
        let p = store.parameters, g = store.gradients, v = velocity!.pointer, b = buffer!.pointer
        for i in 0..<store.count {
            v[i] = rho * v[i] + (1 - rho) * g2[i]
            let increment = lr * g[i] / (v[i] + epsilon).squareRoot()
            if momentum > 0 {
                b[i] = momentum * b[i] + increment
                p[i] -= b[i]
            } else {
                p[i] -= increment
            }
        }
        iterations += 1
    }
}
