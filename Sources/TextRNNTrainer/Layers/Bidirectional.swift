import TextRNNRuntime

/// Keras Bidirectional: two recurrent layers on the same input and mask. The backward layer runs
/// with go_backwards, so its sequence output comes out reversed; it is flipped back here so both
/// directions align in time before merging (concat / sum / ave / mul).
public final class BidirectionalLayer {
    public let forwardLayer: RecurrentLayer
    public let backwardLayer: RecurrentLayer
    public let mergeMode: MergeMode
    let units: Int
    let returnSequences: Bool
    var batch = 0, time = 0

    public let output = FloatBuffer()        // [B, T, M] or [B, M], M = 2U for concat else U
    public let inputGradient = FloatBuffer() // [B, T, D]
    let dForward = FloatBuffer()             // like forwardLayer.output
    let dBackward = FloatBuffer()            // like backwardLayer.output (processing order)

    init(forward: RecurrentSpec, backward: RecurrentSpec, mergeMode: MergeMode, inputDim: Int, layer: Int, layout: inout ParameterLayout) {
        precondition(forward.units == backward.units && forward.returnSequences == backward.returnSequences,
                     "Bidirectional directions must agree in units and return_sequences")
        forwardLayer = RecurrentLayer(spec: forward, inputDim: inputDim, prefix: "\(layer)/forward/", layout: &layout, zeroOutputForMask: true)
        backwardLayer = RecurrentLayer(spec: backward, inputDim: inputDim, prefix: "\(layer)/backward/", layout: &layout, zeroOutputForMask: true)
        self.mergeMode = mergeMode
        units = forward.units
        returnSequences = forward.returnSequences
    }

    public var outputDim: Int { mergeMode == .concat ? 2 * units : units }

    /// Rows to merge: (output row, forward row, backward row) per (b, t), with the backward
    /// sequence read at its processing step T−1−t.
    @inline(__always) private func rows(_ b: Int, _ t: Int) -> (out: Int, fwd: Int, bwd: Int) {
        let M = outputDim, U = units
        if !returnSequences { return (b * M, b * U, b * U) }
        return ((b * time + t) * M, (b * time + t) * U, (b * time + (time - 1 - t)) * U)
    }

    @discardableResult
    public func forward(
        input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch B: Int, time T: Int,
        training: Bool, rng: inout SeededGenerator, parameters p: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        batch = B
        time = T
        // Dropout masks are drawn in a fixed order first; then the two directions run in parallel.
        forwardLayer.prepareForward(batch: B, training: training, rng: &rng)
        backwardLayer.prepareForward(batch: B, training: training, rng: &rng)
        nonisolated(unsafe) let xs = x, ms = mask, ps = p
        let fl = forwardLayer, bl = backwardLayer
        runPair({ fl.forward(input: xs, mask: ms, batch: B, time: T, parameters: ps) },
                { bl.forward(input: xs, mask: ms, batch: B, time: T, parameters: ps) })
        let f = forwardLayer.output.pointer, r = backwardLayer.output.pointer
        let U = units, steps = returnSequences ? T : 1
        let out = output.resize(B * steps * outputDim)
        for b in 0..<B {
            for t in 0..<steps {
                let (o, fi, bi) = rows(b, t)
                let y = out + o, fy = f + fi, by = r + bi
                for j in 0..<U {
                    switch mergeMode {
                    case .concat: y[j] = fy[j]; y[U + j] = by[j]
                    case .sum: y[j] = fy[j] + by[j]
                    case .ave: y[j] = (fy[j] + by[j]) * 0.5
                    case .mul: y[j] = fy[j] * by[j]
                    }
                }
            }
        }
        return out
    }

    @discardableResult
    public func backward(
        outputGradient dY: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
        gradients g: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let B = batch, T = time, U = units, steps = returnSequences ? T : 1
        let dF = dForward.resize(B * steps * U), dR = dBackward.resize(B * steps * U)
        let f = forwardLayer.output.pointer, r = backwardLayer.output.pointer
        for b in 0..<B {
            for t in 0..<steps {
                let (o, fi, bi) = rows(b, t)
                let dy = dY + o
                for j in 0..<U {
                    switch mergeMode {
                    case .concat: dF[fi + j] = dy[j]; dR[bi + j] = dy[U + j]
                    case .sum: dF[fi + j] = dy[j]; dR[bi + j] = dy[j]
                    case .ave: dF[fi + j] = dy[j] * 0.5; dR[bi + j] = dy[j] * 0.5
                    case .mul: dF[fi + j] = dy[j] * r[bi + j]; dR[bi + j] = dy[j] * f[fi + j]
                    }
                }
            }
        }
        // The directions own disjoint gradient slices, so their backward passes run in parallel.
        nonisolated(unsafe) let ps = p, gs = g, dFs = dF, dRs = dR
        let fl = forwardLayer, bl = backwardLayer
        runPair({ fl.backward(outputGradient: dFs, parameters: ps, gradients: gs) },
                { bl.backward(outputGradient: dRs, parameters: ps, gradients: gs) })
        let dxF = forwardLayer.inputGradient.pointer, dxR = backwardLayer.inputGradient.pointer
        let n = B * T * forwardLayer.inputDim
        let dx = inputGradient.resize(n)
        for i in 0..<n { dx[i] = dxF[i] + dxR[i] }
        return dx
    }
}
