import Glibc

/// A row-major float32 matrix borrowed from the weights (Keras layout: [inputs, outputs]).
struct Matrix: @unchecked Sendable {
    let base: UnsafePointer<Float>  // [rows, columns]
    let rows: Int
    let columns: Int
}

/// The small dense kernels of batch-1 inference. Written so that LLVM vectorizes the inner
/// loops (contiguous rows, no bounds checks in release builds).
enum Kernels {
    /// y[0..<n] (+)= x[0..<k] · w, where row i of w starts at w + i * rowStride.
    /// The axpy order (one weight row at a time) reads w contiguously, which is what the
    /// Keras [inputs, outputs] layout favours.
    @inline(__always)
    static func matvec(
        _ x: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, rowStride: Int, _ n: Int,
        _ y: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        if !accumulate { y.update(repeating: 0, count: n) }
        for i in 0..<k {
            let xi = x[i]
            if xi == 0 { continue }  // padding rows, ReLU zeros and the zero initial state
            let row = w + i * rowStride
            for j in 0..<n { y[j] += xi * row[j] }
        }
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    @inline(__always)
    static func activate(_ x: Float, _ activation: Activation) -> Float {
        switch activation {
        case .linear, .softmax: x
        case .relu: max(x, 0)
        case .tanh: tanhf(x)
        case .sigmoid: sigmoid(x)
        }
    }

    /// Applies `activation` to v[0..<n] in place; softmax normalizes the whole vector.
    static func activate(_ v: UnsafeMutablePointer<Float>, _ n: Int, _ activation: Activation) {
        switch activation {
        case .linear: return
        case .softmax:
            var largest = -Float.infinity
            for i in 0..<n { largest = max(largest, v[i]) }
            var sum: Float = 0
            for i in 0..<n {
                v[i] = expf(v[i] - largest)
                sum += v[i]
            }
            for i in 0..<n { v[i] /= sum }
        default:
            for i in 0..<n { v[i] = activate(v[i], activation) }
        }
    }
}
