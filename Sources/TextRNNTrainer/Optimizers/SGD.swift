/// Keras 3 SGD:
///   momentum 0:  θ ← θ − lr·g
///   momentum μ:  b ← μ·b − lr·g;  θ ← θ + b            (classic)
///                                 θ ← θ + μ·b − lr·g   (Nesterov)
public final class SGD: Optimizer {
    public let learningRate: LearningRateSchedule
    public let momentum: Float
    public let nesterov: Bool
    public let globalClipNorm: Float?
    public internal(set) var iterations = 0
    var velocity: Slot?  // [store.count]

    public init(learningRate: LearningRateSchedule = .constant(0.01), momentum: Float = 0, nesterov: Bool = false,
                globalClipNorm: Float? = nil) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.globalClipNorm = globalClipNorm
    }

    public func step(_ store: ParameterStore) {
        if velocity?.count != store.count { velocity = Slot(count: store.count) }
        let lr = beginStep(store, clip: globalClipNorm, schedule: learningRate, iterations: iterations)
        let p = store.parameters, g = store.gradients, b = velocity!.pointer
        for i in 0..<store.count {
            if momentum != 0 {
                b[i] = momentum * b[i] - lr * g[i]
                p[i] += nesterov ? momentum * b[i] - lr * g[i] : b[i]
            } else {
                p[i] -= lr * g[i]
            }
        }
        iterations += 1
    }
}
