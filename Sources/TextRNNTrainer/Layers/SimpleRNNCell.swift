import TextRNNRuntime

/// SimpleRNN step: h = act(x·W + b + h_{t−1}·R). Gate block width G = U.
extension RecurrentLayer {
    func simpleRNNForwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units
        let g = gates.pointer + s * B * U  // [B, U] x·W + b, becomes h
        sgemm(m: B, n: U, k: U, a: recurrentInput(s), lda: U, b: p + recurrentKernel.offset, ldb: U, beta: 1, c: g, ldc: U)
        let act = spec.activation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U, row = g + b * U
            if mask[b] == 0 { hNext.update(from: hPrev, count: U); continue }
            for j in 0..<U {
                let h = activate(row[j], act)
                row[j] = h
                hNext[j] = h
            }
        }
    }

    func simpleRNNBackwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units
        let g = gates.pointer + s * B * U, dg = dGates.pointer + s * B * U  // [B, U]
        let act = spec.activation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U
            if mask[b] == 0 { dhPrev.update(from: dh, count: U); continue }  // state passed through
            let row = g + b * U, dRow = dg + b * U
            for j in 0..<U {
                dRow[j] = dh[j] * activationDerivative(output: row[j], act)
                dhPrev[j] = 0
            }
        }
        sgemm(transB: true, m: B, n: U, k: U, a: dg, lda: U, b: p + recurrentKernel.offset, ldb: U, beta: 0, c: dStep.pointer, ldc: U)
        addRecurrentStepGradient(into: d.dhPrev)
    }
}
