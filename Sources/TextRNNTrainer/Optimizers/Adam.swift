import Foundation

/// Keras 3 Adam (amsgrad off). With t = iterations + 1:
///   m ← m + (g − m)(1 − β1),  v ← v + (g² − v)(1 − β2)
///   θ ← θ − α·m / (√v + ε),   α = lr·√(1 − β2^t) / (1 − β1^t)
/// Keras folds the bias correction into α (ε is *not* bias-corrected), which is what makes its
/// epsilon 1e-7 behave differently from the paper's; we match it.
public final class Adam: Optimizer {
    public let learningRate: LearningRateSchedule
    public let beta1: Float, beta2: Float, epsilon: Float
    public let globalClipNorm: Float?
    public internal(set) var iterations = 0
    var m: Slot?, v: Slot?  // [store.count] first and second moments
    private var squares: Slot?      // [store.count] g² as Keras forms it (per slice for sparse)

    public init(learningRate: LearningRateSchedule = .constant(0.001), beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, globalClipNorm: Float? = nil) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.globalClipNorm = globalClipNorm
    }

    public func step(_ store: ParameterStore) {
        if m?.count != store.count { m = Slot(count: store.count); v = Slot(count: store.count) }
        if squares?.count != store.count { squares = Slot(count: store.count) }  // scratch, not state: absent after a restore
        let lr = beginStep(store, clip: globalClipNorm, schedule: learningRate, iterations: iterations)
        let t = Float(iterations + 1)
        let alpha = lr * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        nonisolated(unsafe) let p = store.parameters, g = store.gradients, g2 = squares!.pointer, mp = m!.pointer, vp = v!.pointer
        let a1 = 1 - beta1, a2 = 1 - beta2, eps = epsilon
        // Elementwise, so the two halves of the store update on the two threads.
        forEachHalf(store.count) { range in
            store.squaredGradients(into: g2, range: range)
            for i in range {
                mp[i] += (g[i] - mp[i]) * a1
                vp[i] += (g2[i] - vp[i]) * a2
                p[i] -= mp[i] * alpha / (vp[i].squareRoot() + eps)
            }
        }
        iterations += 1
    }

    /// Moment slots by tensor name (for checkpoints and tests).
    public func moments(of view: TensorView) -> (m: [Float], v: [Float])? {
        guard let m, let v else { return nil }
        return (Array(m.array[view.offset..<view.offset + view.count]), Array(v.array[view.offset..<view.offset + view.count]))
    }
}
