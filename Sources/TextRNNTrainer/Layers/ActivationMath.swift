import Foundation
import TextRNNRuntime

/// Scalar activations for the fused gate math. Derivatives are taken from the activation's output
/// y (not its input), so the forward pass only needs to keep activated gates for the backward.
@inline(__always)
func activate(_ x: Float, _ kind: Activation) -> Float {
    switch kind {
    case .tanh: return tanhf(x)
    case .sigmoid: return 1 / (1 + expf(-x))
    case .relu: return x > 0 ? x : 0
    case .linear, .softmax: return x  // softmax is a row operation, handled by Dense
    }
}

/// dy/dx expressed through y = activate(x).
@inline(__always)
func activationDerivative(output y: Float, _ kind: Activation) -> Float {
    switch kind {
    case .tanh: return 1 - y * y
    case .sigmoid: return y * (1 - y)
    case .relu: return y > 0 ? 1 : 0
    case .linear, .softmax: return 1
    }
}
