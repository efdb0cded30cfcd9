import TextRNNRuntime

/// The samples of one RecurrentLayer batch that one thread carries through every time step. A
/// layer splits its batch into one or two lanes (RecurrentLayer.forward); a lane owns the
/// time-major buffers of its rows, so lanes share only the read-only parameters and write
/// disjoint rows of the layer's output and input gradient. The cell-specific step math (forward
/// beside backward) lives in SimpleRNNCell, LSTMCell and GRUCell.
///
/// Layout. Caller-facing tensors are batch-major like Keras ([B, T, D], B = the layer's batch);
/// lane buffers are time-major in *processing order* s (s = t, or T−1−t with go_backwards) over
/// the lane's Bₗ rows, so that
///   • the input projection of all steps is one GEMM [T·Bₗ, D]×[D, G],
///   • each step's gate block [Bₗ, G] is contiguous for the recurrent GEMM,
///   • the weight gradients are one GEMM each over all T·Bₗ rows after the time loop.
///
/// Masking (Keras): a masked step leaves h (and c) unchanged. With return_sequences it outputs
/// that unchanged h, i.e. the previous output (zero before the first unmasked step), except
/// inside Bidirectional, where Keras outputs 0 (`zero_output_for_mask`).
/// Outputs with return_sequences are in processing order, i.e. reversed under go_backwards (Keras).
final class RecurrentLane {
    let spec: RecurrentSpec
    let zeroOutputForMask: Bool
    let inputDim: Int, units: Int
    let gateWidth: Int  // G = gateCount·units
    let kernel: TensorView           // [D, G]
    let recurrentKernel: TensorView  // [U, G]
    let bias: TensorView?            // [G], or [2, G] for GRU reset_after

    // Shape and mode of the last forward call, reused by backward. `batch` is the lane's row count.
    var batch = 0, time = 0
    var useRecurrentMask = false

    /// Internal rows: `rows[r]` is the layer-batch sample of internal row r. The layer hands them
    /// sorted by their number of unmasked steps (descending), so the rows a step still updates
    /// form a prefix: `activeRows[s]` is 1 + the last internal row step s updates (0: none).
    /// Per-step GEMMs and gate math run on that prefix only; rows past it are masked and just
    /// carry their state. Each row's arithmetic is independent of the others, so this is exact.
    var rows: [Int] = []
    var activeRows: [Int] = []

    let xs = FloatBuffer()            // [T, Bₗ, D] inputs in processing order, input dropout applied
    let gates = FloatBuffer()         // [T, Bₗ, G] x·W + b, then activated gates after each step
    let states = FloatBuffer()        // [T+1, Bₗ, U] h after step s at s+1; row 0 is the zero state
    let cells = FloatBuffer()         // [T+1, Bₗ, U] LSTM carry c, same indexing
    let maskedStates = FloatBuffer()  // [T, Bₗ, U] h_{s−1}·recurrent mask; only with recurrent dropout
    let aux = FloatBuffer()           // [T, Bₗ, U] GRU: h·R_h + b_h (reset_after) or r·h_in (reset_before)
    let stepMask = FloatBuffer()      // [T, Bₗ] 1 = step used, 0 = masked, processing order
    let rowRecurrentMask = FloatBuffer() // [Bₗ, U] the layer's recurrent dropout mask in row order
    let stepScratch = FloatBuffer()   // [Bₗ, G] recurrent product of one step
    let rowScratch = FloatBuffer()    // [U] one row of activated carries (LSTM backward)

    let dGates = FloatBuffer()        // [T, Bₗ, G] dLoss/d(gate pre-activations), input side
    let dRecurrentGates = FloatBuffer() // [T, Bₗ, G] GRU reset_after: recurrent-side pre-activations
    let dh = FloatBuffer()            // [Bₗ, U] dLoss/dh after the current step
    let dhPrev = FloatBuffer()        // [Bₗ, U] dLoss/dh before the current step
    let dc = FloatBuffer()            // [Bₗ, U] LSTM dLoss/dc after the current step
    let dcPrev = FloatBuffer()        // [Bₗ, U]
    let dStep = FloatBuffer()         // [Bₗ, U] recurrent-matmul part of dh_prev for one step
    let dxs = FloatBuffer()           // [T, Bₗ, D] input gradient in processing order

    init(_ layer: RecurrentLayer) {
        spec = layer.spec
        zeroOutputForMask = layer.zeroOutputForMask
        inputDim = layer.inputDim
        units = layer.units
        gateWidth = layer.gateWidth
        kernel = layer.kernel
        recurrentKernel = layer.recurrentKernel
        bias = layer.bias
    }

    /// Time index of processing step s.
    @inline(__always) func timeIndex(_ s: Int) -> Int { spec.goBackwards ? time - 1 - s : s }

    /// Runs this lane's `rows` of x [B, T, D] (mask [B, T]) through all steps and writes their
    /// rows of the layer's output `out` ([B, T, U] with return_sequences, else [B, U]).
    /// `inputMask` [B, D] and `recurrentMask` [B, U] are the layer's dropout masks, or nil.
    func forward(
        input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, time T: Int, rows: [Int],
        inputMask: UnsafePointer<Float>?, recurrentMask: UnsafePointer<Float>?,
        output outP: UnsafeMutablePointer<Float>, parameters p: UnsafeMutablePointer<Float>
    ) {
        let B = rows.count, D = inputDim, U = units, G = gateWidth
        self.rows = rows
        batch = B
        time = T
        useRecurrentMask = recurrentMask != nil
        let xsP = xs.resize(T * B * D)
        let gP = gates.resize(T * B * G)
        states.resize((T + 1) * B * U, zero: true)
        if spec.cell == .lstm { cells.resize((T + 1) * B * U, zero: true) }
        if spec.cell == .gru { aux.resize(T * B * U, zero: true) }
        if useRecurrentMask { maskedStates.resize(T * B * U) }
        let smP = stepMask.resize(T * B)
        stepScratch.resize(B * G)
        rowScratch.resize(U)
        if let recurrentMask {
            let rr = rowRecurrentMask.resize(B * U)
            for r in 0..<B { (rr + r * U).update(from: recurrentMask + rows[r] * U, count: U) }
        }

        // Reorder to processing order once, applying the per-sample input dropout mask here so
        // the projection GEMM and the kernel gradient both see the dropped inputs.
        if activeRows.count != T { activeRows = [Int](repeating: 0, count: T) }
        for s in 0..<T {
            let t = timeIndex(s)
            var last = 0
            for r in 0..<B {
                let b = rows[r]
                copyRow(x + (b * T + t) * D, to: xsP + (s * B + r) * D, dropout: inputMask.map { $0 + b * D })
                let on: Float = mask.map { $0[b * T + t] != 0 ? 1 : 0 } ?? 1
                smP[s * B + r] = on
                if on != 0 { last = r + 1 }
            }
            activeRows[s] = last
        }
        sgemm(m: T * B, n: G, k: D, a: xsP, lda: D, b: p + kernel.offset, ldb: G, beta: 0, c: gP, ldc: G)
        if let bias {
            // Row 0 of a GRU reset_after bias is the input bias; the recurrent row is added per step.
            let bP = p + bias.offset
            for row in 0..<(T * B) { let g = gP + row * G; for j in 0..<G { g[j] += bP[j] } }
        }

        for s in 0..<T {
            switch spec.cell {
            case .simpleRNN: simpleRNNForwardStep(s, p)
            case .lstm: lstmForwardStep(s, p)
            case .gru: spec.resetAfter ? gruForwardStepResetAfter(s, p) : gruForwardStepResetBefore(s, p)
            }
        }

        let stP = states.pointer
        if spec.returnSequences {
            for s in 0..<T {
                for r in 0..<B {
                    let dst = outP + (rows[r] * T + s) * U, src = stP + ((s + 1) * B + r) * U
                    if zeroOutputForMask && smP[s * B + r] == 0 { dst.update(repeating: 0, count: U) } else { dst.update(from: src, count: U) }
                }
            }
        } else {
            for r in 0..<B { (outP + rows[r] * U).update(from: stP + (T * B + r) * U, count: U) }  // state after the last step
        }
    }

    /// h_{s−1} as it enters the recurrent matmul: the state itself, or a recurrent-dropout copy.
    @inline(__always) func recurrentInput(_ s: Int) -> UnsafeMutablePointer<Float> {
        let B = batch, U = units
        let h = states.pointer + s * B * U
        guard useRecurrentMask else { return h }
        let hm = maskedStates.pointer + s * B * U, m = rowRecurrentMask.pointer
        for i in 0..<(B * U) { hm[i] = h[i] * m[i] }
        return hm
    }

    /// All T steps' recurrent-matmul inputs as one [T·Bₗ, U] matrix for the weight gradient.
    var recurrentInputs: UnsafeMutablePointer<Float> { useRecurrentMask ? maskedStates.pointer : states.pointer }

    /// Backpropagates the lane's rows of `dY` (shaped like the layer's output). Weight gradients
    /// are *added* at `gradients + view.offset − gradientOrigin` (the store itself for one lane, a
    /// private span for another); the lane's rows of the input gradient [B, T, D] go to `dx`.
    func backward(
        outputGradient dY: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, gradientOrigin: Int,
        inputGradient dxP: UnsafeMutablePointer<Float>, inputMask: UnsafePointer<Float>?
    ) {
        let B = batch, T = time, D = inputDim, U = units, G = gateWidth
        // Every step writes all rows of its gate gradients (zeros for masked rows).
        let dgP = dGates.resize(T * B * G)
        if spec.cell == .gru && spec.resetAfter { dRecurrentGates.resize(T * B * G) }
        // The step functions read (dh, dc) and write (dhPrev, dcPrev); swapping the pointers
        // after each step makes the previous step's "prev" the next step's input without copying.
        var dhP = dh.resize(B * U, zero: true)
        var dhPrevP = dhPrev.resize(B * U, zero: true)
        var dcP = dc.resize(B * U, zero: true)
        var dcPrevP = dcPrev.resize(B * U, zero: true)
        dStep.resize(B * U)
        let smP = stepMask.pointer
        if !spec.returnSequences { for r in 0..<B { (dhP + r * U).update(from: dY + rows[r] * U, count: U) } }

        for s in stride(from: T - 1, through: 0, by: -1) {
            if spec.returnSequences {
                // A masked step's output is the carried state, or the constant 0 inside
                // Bidirectional, whose cotangent goes nowhere.
                for r in 0..<B where !zeroOutputForMask || smP[s * B + r] != 0 {
                    let d = dhP + r * U, y = dY + (rows[r] * T + s) * U
                    for j in 0..<U { d[j] += y[j] }
                }
            }
            let d = StepGradients(dh: dhP, dhPrev: dhPrevP, dc: dcP, dcPrev: dcPrevP)
            switch spec.cell {
            case .simpleRNN: simpleRNNBackwardStep(s, p, d)
            case .lstm: lstmBackwardStep(s, p, d)
            case .gru: spec.resetAfter ? gruBackwardStepResetAfter(s, p, d) : gruBackwardStepResetBefore(s, p, d)
            }
            swap(&dhP, &dhPrevP)
            swap(&dcP, &dcPrevP)
        }

        // Weight gradients as single GEMMs over all T·Bₗ rows (not per step).
        let g = gradients - gradientOrigin
        sgemm(transA: true, m: D, n: G, k: T * B, a: xs.pointer, lda: D, b: dgP, ldb: G, beta: 1, c: g + kernel.offset, ldc: G)
        let dR = g + recurrentKernel.offset
        switch (spec.cell, spec.resetAfter) {
        case (.gru, true):
            sgemm(transA: true, m: U, n: G, k: T * B, a: recurrentInputs, lda: U, b: dRecurrentGates.pointer, ldb: G, beta: 1, c: dR, ldc: G)
        case (.gru, false):
            // z, r columns see h_in; the candidate columns see r·h_in.
            sgemm(transA: true, m: U, n: 2 * U, k: T * B, a: recurrentInputs, lda: U, b: dgP, ldb: G, beta: 1, c: dR, ldc: G)
            sgemm(transA: true, m: U, n: U, k: T * B, a: aux.pointer, lda: U, b: dgP + 2 * U, ldb: G, beta: 1, c: dR + 2 * U, ldc: G)
        default:
            sgemm(transA: true, m: U, n: G, k: T * B, a: recurrentInputs, lda: U, b: dgP, ldb: G, beta: 1, c: dR, ldc: G)
        }
        if let bias {
            addColumnSums(dgP, rowCount: T * B, cols: G, into: g + bias.offset)
            if spec.cell == .gru && spec.resetAfter {
                addColumnSums(dRecurrentGates.pointer, rowCount: T * B, cols: G, into: g + bias.offset + G)
            }
        }

        let dxsP = dxs.resize(T * B * D)
        sgemm(transB: true, m: T * B, n: D, k: G, a: dgP, lda: G, b: p + kernel.offset, ldb: G, beta: 0, c: dxsP, ldc: D)
        for s in 0..<T {
            let t = timeIndex(s)
            for r in 0..<B {
                let b = rows[r]
                copyRow(dxsP + (s * B + r) * D, to: dxP + (b * T + t) * D, dropout: inputMask.map { $0 + b * D })
            }
        }
    }

    /// Copies one row of D inputs (or input gradients) between the caller's batch-major layout
    /// and the lane's processing order, times the sample's input dropout mask when there is one.
    @inline(__always) func copyRow(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, dropout m: UnsafePointer<Float>?) {
        if let m {
            for d in 0..<inputDim { dst[d] = src[d] * m[d] }
        } else {
            dst.update(from: src, count: inputDim)
        }
    }

    /// dh_prev += dStep · recurrent mask over the first `rowCount` rows: the recurrent matmul saw
    /// the masked h_{s−1}. Rows past the step's active prefix got no recurrent gradient.
    @inline(__always) func addRecurrentStepGradient(into dst: UnsafeMutablePointer<Float>, rows rowCount: Int) {
        let n = rowCount * units, src = dStep.pointer
        if useRecurrentMask {
            let m = rowRecurrentMask.pointer
            for i in 0..<n { dst[i] += src[i] * m[i] }
        } else {
            for i in 0..<n { dst[i] += src[i] }
        }
    }
}

/// The state cotangents of one backward step: read dh/dc (after step s), write dhPrev/dcPrev.
struct StepGradients {
    let dh: UnsafeMutablePointer<Float>      // [Bₗ, U]
    let dhPrev: UnsafeMutablePointer<Float>  // [Bₗ, U]
    let dc: UnsafeMutablePointer<Float>      // [Bₗ, U] LSTM only
    let dcPrev: UnsafeMutablePointer<Float>  // [Bₗ, U] LSTM only
}
