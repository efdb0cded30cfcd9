import TextRNNRuntime

/// LSTM step, gates (i, f, c̃, o) in Keras order:
///   i = σ(z_i), f = σ(z_f), c̃ = act(z_c), o = σ(z_o), c = f·c_{t−1} + i·c̃, h = o·act(c)
/// where z = x·W + b + h_{t−1}·R. Activated gates overwrite z in `gates` for the backward.
/// Only the step's active row prefix is computed (see RecurrentLane.rows); activations are the
/// vectorized ones of ActivationMath.
extension RecurrentLane {
    func lstmForwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units, G = gateWidth, n = activeRows[s]
        let g = gates.pointer + s * B * G  // [B, 4U]
        if n > 0 {
            sgemm(m: n, n: G, k: U, a: recurrentInput(s), lda: U, b: p + recurrentKernel.offset, ldb: G, beta: 1, c: g, ldc: G)
        }
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U
            let cPrev = cells.pointer + (s * B + b) * U, cNext = cPrev + B * U
            if b >= n || mask[b] == 0 {
                hNext.update(from: hPrev, count: U)
                cNext.update(from: cPrev, count: U)
                continue
            }
            let row = g + b * G
            activateInPlace(row, 2 * U, ract)          // i, f
            activateInPlace(row + 2 * U, U, act)       // c̃
            activateInPlace(row + 3 * U, U, ract)      // o
            let i = row, f = row + U, cc = row + 2 * U, o = row + 3 * U
            for j in 0..<U { cNext[j] = f[j] * cPrev[j] + i[j] * cc[j] }
            activate(cNext, into: hNext, U, act)
            for j in 0..<U { hNext[j] *= o[j] }
        }
    }

    func lstmBackwardStep(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units, G = gateWidth, n = activeRows[s]
        let g = gates.pointer + s * B * G, dg = dGates.pointer + s * B * G  // [B, 4U]
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        let standard = act == .tanh && ract == .sigmoid
        let tc = rowScratch.pointer
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U, dc = d.dc + b * U, dcPrev = d.dcPrev + b * U
            let dRow = dg + b * G
            if b >= n || mask[b] == 0 {
                dhPrev.update(from: dh, count: U)
                dcPrev.update(from: dc, count: U)
                dRow.update(repeating: 0, count: G)
                continue
            }
            let row = g + b * G
            let cPrev = cells.pointer + (s * B + b) * U, cNext = cPrev + B * U
            activate(cNext, into: tc, U, act)
            let i = row, f = row + U, cc = row + 2 * U, o = row + 3 * U
            let di = dRow, df = dRow + U, dcc = dRow + 2 * U, dout = dRow + 3 * U
            if standard {
                for j in 0..<U {
                    let dct = dc[j] + dh[j] * o[j] * (1 - tc[j] * tc[j])
                    di[j] = dct * cc[j] * (i[j] * (1 - i[j]))
                    df[j] = dct * cPrev[j] * (f[j] * (1 - f[j]))
                    dcc[j] = dct * i[j] * (1 - cc[j] * cc[j])
                    dout[j] = dh[j] * tc[j] * (o[j] * (1 - o[j]))
                    dcPrev[j] = dct * f[j]
                    dhPrev[j] = 0
                }
            } else {
                for j in 0..<U {
                    let dct = dc[j] + dh[j] * o[j] * activationDerivative(output: tc[j], act)
                    di[j] = dct * cc[j] * activationDerivative(output: i[j], ract)
                    df[j] = dct * cPrev[j] * activationDerivative(output: f[j], ract)
                    dcc[j] = dct * i[j] * activationDerivative(output: cc[j], act)
                    dout[j] = dh[j] * tc[j] * activationDerivative(output: o[j], ract)
                    dcPrev[j] = dct * f[j]
                    dhPrev[j] = 0
                }
            }
        }
        if n > 0 {
            sgemm(transB: true, m: n, n: U, k: G, a: dg, lda: G, b: p + recurrentKernel.offset, ldb: G, beta: 0, c: dStep.pointer, ldc: U)
            addRecurrentStepGradient(into: d.dhPrev, rows: n)
        }
    }
}
