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

// MARK: - Vectorized activations (no libm calls in the hot loops)

/// e^x for 8 lanes, Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2, a degree-7 polynomial for e^r,
/// then 2^n through the exponent bits. Relative error ≈ 1 ulp over [−87.3, 88.7].
@inline(__always)
func vexp(_ x0: SIMD8<Float>) -> SIMD8<Float> {
    let x = pointwiseMin(pointwiseMax(x0, SIMD8(repeating: -87.3)), SIMD8(repeating: 88.7))
    // Round to nearest through the 1.5·2^23 shifter: its low mantissa bits then hold n as an integer.
    let shifted = x * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    var r = x - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * (r * r) + r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// σ(x) = 1 / (1 + e^−x), 8 lanes.
@inline(__always)
func vsigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + vexp(-x))
}

/// tanh for 8 lanes: Cephes tanhf's odd polynomial for |x| < 0.625, 1 − 2/(e^{2|x|} + 1) above
/// (with the sign restored), so small arguments keep full relative accuracy.
@inline(__always)
func vtanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let ax = x.replacing(with: -x, where: x .< 0)
    let z = x * x
    var p = SIMD8<Float>(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    let small = p * z * x + x
    let e = vexp(2 * ax.replacing(with: 0, where: ax .> 44))
    var large = 1 - 2 / (e + 1)
    large = large.replacing(with: 1, where: ax .> 44)
    large = large.replacing(with: -large, where: x .< 0)
    return large.replacing(with: small, where: ax .< 0.625)
}

@inline(__always)
func vactivate(_ x: SIMD8<Float>, _ kind: Activation) -> SIMD8<Float> {
    switch kind {
    case .tanh: return vtanh(x)
    case .sigmoid: return vsigmoid(x)
    case .relu: return x.replacing(with: 0, where: x .< 0)
    case .linear, .softmax: return x
    }
}

/// In place x[i] = act(x[i]) for i < n, 8 lanes at a time; the tail goes through the same
/// vector code on a padded copy, so every element sees identical arithmetic.
@inline(__always)
func activateInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ kind: Activation) {
    if kind == .linear || kind == .softmax { return }
    var i = 0
    while i + 8 <= n {
        let raw = UnsafeMutableRawPointer(x + i)
        raw.storeBytes(of: vactivate(raw.loadUnaligned(as: SIMD8<Float>.self), kind), as: SIMD8<Float>.self)
        i += 8
    }
    if i < n {
        var v = SIMD8<Float>(repeating: 0)
        for k in 0..<(n - i) { v[k] = x[i + k] }
        v = vactivate(v, kind)
        for k in 0..<(n - i) { x[i + k] = v[k] }
    }
}

/// out[i] = act(x[i]) for i < n.
@inline(__always)
func activate(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ n: Int, _ kind: Activation) {
    out.update(from: x, count: n)
    activateInPlace(out, n, kind)
}

/// The output layer's activation over `rows` rows of `width` logits: softmax per row, or the
/// element-wise activation. Dense and the bag mix (which adds logits after Dense) share it.
func activateRows(_ z: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int, _ kind: Activation) {
    for row in 0..<rows {
        let zr = z + row * width, yr = y + row * width
        if kind == .softmax {
            var mx = -Float.infinity
            for j in 0..<width { mx = max(mx, zr[j]) }
            var sum: Float = 0
            for j in 0..<width { yr[j] = expf(zr[j] - mx); sum += yr[j] }
            for j in 0..<width { yr[j] /= sum }
        } else {
            for j in 0..<width { yr[j] = activate(zr[j], kind) }
        }
    }
}
