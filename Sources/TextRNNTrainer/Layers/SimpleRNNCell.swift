import TextRNNRuntime

/// SimpleRNN step: h = act(x·W + b + h_{t−1}·R). Gate block width G = U. Only the step's active
/// row prefix is computed (see RecurrentLane.rows).
extension RecurrentLane {
    func simpleRNNForwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units, n = activeRows[s]
        let g = gates.pointer + s * B * U  // [B, U] x·W + b, becomes h
        if n > 0 {
            sgemm(m: n, n: U, k: U, a: recurrentInput(s), lda: U, b: p + recurrentKernel.offset, ldb: U, beta: 1, c: g, ldc: U)
        }
        let act = spec.activation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U, row = g + b * U
            if b >= n || mask[b] == 0 { hNext.update(from: hPrev, count: U); continue }
            activateInPlace(row, U, act)
            hNext.update(from: row, count: U)
        }
    }

    func simpleRNNBackwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units, n = activeRows[s]
        let g = gates.pointer + s * B * U, dg = dGates.pointer + s * B * U  // [B, U]
        let act = spec.activation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U, dRow = dg + b * U
            if b >= n || mask[b] == 0 {  // state passed through
                dhPrev.update(from: dh, count: U)
                dRow.update(repeating: 0, count: U)
                continue
            }
            let row = g + b * U
            if act == .tanh {
                for j in 0..<U { dRow[j] = dh[j] * (1 - row[j] * row[j]); dhPrev[j] = 0 }
            } else {
                for j in 0..<U { dRow[j] = dh[j] * activationDerivative(output: row[j], act); dhPrev[j] = 0 }
            }
        }
        if n > 0 {
            sgemm(transB: true, m: n, n: U, k: U, a: dg, lda: U, b: p + recurrentKernel.offset, ldb: U, beta: 0, c: dStep.pointer, ldc: U)
            addRecurrentStepGradient(into: d.dhPrev, rows: n)
        }
    }
}
