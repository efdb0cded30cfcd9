import Foundation
import TextRNNRuntime

/// Dense: y = act(x·W + b) on [B, in] → [B, units], with optional (inverted) dropout on its input
/// during training (a Keras Dropout layer placed just before this Dense).
final class DenseLayer {
    let inputDim: Int
    let units: Int
    let activation: Activation
    let kernel: TensorView  // [in, units]
    let bias: TensorView    // [units]
    var inputDropout: Float = 0
    var batch = 0
    var useMask = false

    let input = FloatBuffer()          // [B, in] input after dropout (what the kernel saw)
    let mask = FloatBuffer()           // [B, in] dropout mask
    let logits = FloatBuffer()         // [B, units] pre-activation
    let output = FloatBuffer()         // [B, units]
    let dLogits = FloatBuffer()        // [B, units]
    let inputGradient = FloatBuffer()  // [B, in]

    init(units: Int, activation: Activation, inputDim: Int, layer: Int, layout: inout ParameterLayout) {
        self.units = units
        self.activation = activation
        self.inputDim = inputDim
        kernel = layout.add(tensorName(layer: layer, role: "kernel"), [inputDim, units])
        bias = layout.add(tensorName(layer: layer, role: "bias"), [units])
    }

    func forward(input x: UnsafePointer<Float>, batch B: Int, training: Bool, rng: inout SeededGenerator, parameters p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        batch = B
        let I = inputDim, N = units
        useMask = training && inputDropout > 0
        let xin = input.resize(B * I)
        if useMask {
            let m = mask.resize(B * I)
            DropoutMask.fill(m, count: B * I, rate: inputDropout, rng: &rng)
            for i in 0..<(B * I) { xin[i] = x[i] * m[i] }
        } else {
            xin.update(from: x, count: B * I)
        }
        let z = logits.resize(B * N), y = output.resize(B * N)
        let bP = p + bias.offset
        for b in 0..<B { (z + b * N).update(from: bP, count: N) }
        sgemm(m: B, n: N, k: I, a: xin, lda: I, b: p + kernel.offset, ldb: N, beta: 1, c: z, ldc: N)
        activateRows(z, into: y, rows: B, width: N, activation)
        return y
    }

    /// Backward from dLoss/dy: chains through the activation, then as `backward(logitGradient:)`.
    func backward(outputGradient dY: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let B = batch, N = units
        let dz = dLogits.resize(B * N), y = output.pointer
        for b in 0..<B {
            let yr = y + b * N, dyr = dY + b * N, dzr = dz + b * N
            if activation == .softmax {
                var dot: Float = 0
                for j in 0..<N { dot += dyr[j] * yr[j] }
                for j in 0..<N { dzr[j] = yr[j] * (dyr[j] - dot) }
            } else {
                for j in 0..<N { dzr[j] = dyr[j] * activationDerivative(output: yr[j], activation) }
            }
        }
        return backward(logitGradient: dz, parameters: p, gradients: g)
    }

    /// Backward from dLoss/dz (the fused sigmoid/softmax cross-entropy gradient p − y).
    func backward(logitGradient dz: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let B = batch, I = inputDim, N = units
        sgemm(transA: true, m: I, n: N, k: B, a: input.pointer, lda: I, b: dz, ldb: N, beta: 1, c: g + kernel.offset, ldc: N)
        addColumnSums(dz, rowCount: B, cols: N, into: g + bias.offset)
        let dx = inputGradient.resize(B * I)
        sgemm(transB: true, m: B, n: I, k: N, a: dz, lda: N, b: p + kernel.offset, ldb: N, beta: 0, c: dx, ldc: I)
        if useMask { let m = mask.pointer; for i in 0..<(B * I) { dx[i] *= m[i] } }
        return dx
    }
}
