import TextRNNRuntime

/// LSTM step, gates (i, f, c̃, o) in Keras order:
///   i = σ(z_i), f = σ(z_f), c̃ = act(z_c), o = σ(z_o), c = f·c_{t−1} + i·c̃, h = o·act(c)
/// where z = x·W + b + h_{t−1}·R. Activated gates overwrite z in `gates` for the backward.
extension RecurrentLayer {
    func lstmForwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units, G = gateWidth
        let g = gates.pointer + s * B * G  // [B, 4U]
        sgemm(m: B, n: G, k: U, a: recurrentInput(s), lda: U, b: p + recurrentKernel.offset, ldb: G, beta: 1, c: g, ldc: G)
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U
            let cPrev = cells.pointer + (s * B + b) * U, cNext = cPrev + B * U
            if mask[b] == 0 {
                hNext.update(from: hPrev, count: U)
                cNext.update(from: cPrev, count: U)
                continue
            }
            let row = g + b * G
            for j in 0..<U {
                let i = activate(row[j], ract), f = activate(row[U + j], ract)
                let cc = activate(row[2 * U + j], act), o = activate(row[3 * U + j], ract)
                let c = f * cPrev[j] + i * cc
                row[j] = i; row[U + j] = f; row[2 * U + j] = cc; row[3 * U + j] = o
                cNext[j] = c
                hNext[j] = o * activate(c, act)
            }
        }
    }

    func lstmBackwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units, G = gateWidth
        let g = gates.pointer + s * B * G, dg = dGates.pointer + s * B * G  // [B, 4U]
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U, dc = d.dc + b * U, dcPrev = d.dcPrev + b * U
            if mask[b] == 0 {
                dhPrev.update(from: dh, count: U)
                dcPrev.update(from: dc, count: U)
                continue
            }
            let row = g + b * G, dRow = dg + b * G
            let cPrev = cells.pointer + (s * B + b) * U, cNext = cPrev + B * U
            for j in 0..<U {
                let i = row[j], f = row[U + j], cc = row[2 * U + j], o = row[3 * U + j]
                let tc = activate(cNext[j], act)
                let dct = dc[j] + dh[j] * o * activationDerivative(output: tc, act)
                dRow[j] = dct * cc * activationDerivative(output: i, ract)
                dRow[U + j] = dct * cPrev[j] * activationDerivative(output: f, ract)
                dRow[2 * U + j] = dct * i * activationDerivative(output: cc, act)
                dRow[3 * U + j] = dh[j] * tc * activationDerivative(output: o, ract)
                dcPrev[j] = dct * f
                dhPrev[j] = 0
            }
        }
        sgemm(transB: true, m: B, n: U, k: G, a: dg, lda: G, b: p + recurrentKernel.offset, ldb: G, beta: 0, c: dStep.pointer, ldc: U)
        addRecurrentStepGradient(into: d.dhPrev)
    }
}
