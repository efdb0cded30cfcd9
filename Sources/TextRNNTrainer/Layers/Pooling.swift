/// Global pooling over time, [B, T, D] → [B, D].
///
/// Max: `masked` skips masked steps (TextRNN default); unmasked (Keras 3 GlobalMaxPooling1D,
/// which ignores the mask) includes what the layer before output at masked steps (a plain
/// recurrent layer's carried state, zeros inside Bidirectional). A sample with every step
/// masked pools to 0. The gradient goes to the arg-max step only (first one on ties, like TF).
final class GlobalMaxPoolingLayer {
    let masked: Bool
    var batch = 0, time = 0, dim = 0
    let output = FloatBuffer()         // [B, D]
    let inputGradient = FloatBuffer()  // [B, T, D]
    private(set) var argmax: [Int32] = [] // [B, D] winning time step, −1 when none

    init(masked: Bool) { self.masked = masked }

    func forward(input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch B: Int, time T: Int, dim D: Int) -> UnsafeMutablePointer<Float> {
        batch = B; time = T; dim = D
        let out = output.resize(B * D)
        if argmax.count < B * D { argmax = Array(repeating: -1, count: B * D) }
        for b in 0..<B {
            for d in 0..<D {
                var best = -Float.infinity, at: Int32 = -1
                for t in 0..<T {
                    if masked, let mask, mask[b * T + t] == 0 { continue }
                    let v = x[(b * T + t) * D + d]
                    if v > best { best = v; at = Int32(t) }
                }
                out[b * D + d] = at >= 0 ? best : 0
                argmax[b * D + d] = at
            }
        }
        return out
    }

    func backward(outputGradient dY: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let B = batch, T = time, D = dim
        let dx = inputGradient.resize(B * T * D, zero: true)
        for b in 0..<B {
            for d in 0..<D where argmax[b * D + d] >= 0 {
                dx[(b * T + Int(argmax[b * D + d])) * D + d] = dY[b * D + d]
            }
        }
        return dx
    }
}

/// Mean over the unmasked steps (Keras GlobalAveragePooling1D with a mask; plain mean without).
/// A sample with every step masked pools to 0 instead of Keras's 0/0.
final class GlobalAveragePoolingLayer {
    var batch = 0, time = 0, dim = 0
    let output = FloatBuffer()         // [B, D]
    let inputGradient = FloatBuffer()  // [B, T, D]
    let weights = FloatBuffer()        // [B, T] mask / count, the pooling coefficients

    func forward(input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch B: Int, time T: Int, dim D: Int) -> UnsafeMutablePointer<Float> {
        batch = B; time = T; dim = D
        let out = output.resize(B * D, zero: true)
        let w = weights.resize(B * T)
        for b in 0..<B {
            var n: Float = 0
            for t in 0..<T { let m: Float = mask.map { $0[b * T + t] != 0 ? 1 : 0 } ?? 1; w[b * T + t] = m; n += m }
            let scale: Float = n > 0 ? 1 / n : 0
            for t in 0..<T {
                w[b * T + t] *= scale
                let c = w[b * T + t], row = x + (b * T + t) * D, y = out + b * D
                if c != 0 { for d in 0..<D { y[d] += c * row[d] } }
            }
        }
        return out
    }

    func backward(outputGradient dY: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let B = batch, T = time, D = dim
        let dx = inputGradient.resize(B * T * D)
        let w = weights.pointer
        for b in 0..<B {
            for t in 0..<T {
                let c = w[b * T + t], row = dx + (b * T + t) * D, dy = dY + b * D
                for d in 0..<D { row[d] = c * dy[d] }
            }
        }
        return dx
    }
}
