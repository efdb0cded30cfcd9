import Foundation

/// Keras 3 learning-rate schedules, evaluated at `step` = optimizer iterations completed before
/// the update (0 on the first step), as Keras's optimizer does.
public indirect enum LearningRateSchedule: Sendable, Equatable {
    case constant(Float)
    /// lr · rate^(step / decaySteps), floored exponent when `staircase` (keras ExponentialDecay).
    case exponentialDecay(initial: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false)
    /// keras CosineDecay: optional linear warm-up from `initial` to `warmupTarget` over
    /// `warmupSteps`, then cosine from the peak down to alpha·peak over `decaySteps`.
    case cosineDecay(initial: Float, decaySteps: Int, alpha: Float = 0, warmupTarget: Float? = nil, warmupSteps: Int = 0)
    /// Linear warm-up from `initial` to the wrapped schedule's first value over `steps`, then the
    /// wrapped schedule shifted by `steps` (for warm-up in front of any schedule).
    case linearWarmup(steps: Int, initial: Float = 0, then: LearningRateSchedule)

    public func learningRate(atStep step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case .exponentialDecay(let initial, let decaySteps, let rate, let staircase):
            var p = Double(step) / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return Float(Double(initial) * pow(Double(rate), p))
        case .cosineDecay(let initial, let decaySteps, let alpha, let warmupTarget, let warmupSteps):
            func decayed(_ s: Double, from lr: Double) -> Double {
                let fraction = s / Double(decaySteps)
                let cosine = 0.5 * (1 + cos(Double.pi * fraction))
                return lr * ((1 - Double(alpha)) * cosine + Double(alpha))
            }
            guard let target = warmupTarget else {
                return Float(decayed(Double(min(step, decaySteps)), from: Double(initial)))
            }
            let s = Double(min(step, decaySteps + warmupSteps))
            if s < Double(warmupSteps) {
                return Float((Double(target) - Double(initial)) * (s / Double(warmupSteps)) + Double(initial))
            }
            return Float(decayed(s - Double(warmupSteps), from: Double(target)))
        case .linearWarmup(let steps, let initial, let next):
            if step < steps {
                let target = next.learningRate(atStep: 0)
                return initial + (target - initial) * Float(step) / Float(steps)
            }
            return next.learningRate(atStep: step - steps)
        }
    }
}
