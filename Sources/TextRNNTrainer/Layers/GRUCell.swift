import TextRNNRuntime

/// GRU step, gates (z, r, h̃) in Keras order, h = z·h_{t−1} + (1−z)·h̃, with
///   reset_after:  h̃ = act(x_h + r·(h_in·R_h + b_rh)), recurrent bias row 1 of `bias` [2, 3U]
///   reset_before: h̃ = act(x_h + (r·h_in)·R_h)
/// h_in is h_{t−1} after recurrent dropout; the z·h_{t−1} term uses the undropped state (Keras).
extension RecurrentLane {
    func gruForwardStepResetAfter(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units, G = gateWidth, n = activeRows[s]
        let g = gates.pointer + s * B * G, rec = stepScratch.pointer  // [B, 3U] each
        if n > 0 {
            sgemm(m: n, n: G, k: U, a: recurrentInput(s), lda: U, b: p + recurrentKernel.offset, ldb: G, beta: 0, c: rec, ldc: G)
        }
        let recBias: UnsafeMutablePointer<Float>? = bias.map { p + $0.offset + G }
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U
            if b >= n || mask[b] == 0 { hNext.update(from: hPrev, count: U); continue }
            let row = g + b * G, rr = rec + b * G, recH = aux.pointer + (s * B + b) * U
            if let recBias {
                for j in 0..<(2 * U) { row[j] = row[j] + rr[j] + recBias[j] }
                for j in 0..<U { recH[j] = rr[2 * U + j] + recBias[2 * U + j] }
            } else {
                for j in 0..<(2 * U) { row[j] = row[j] + rr[j] }
                for j in 0..<U { recH[j] = rr[2 * U + j] }
            }
            activateInPlace(row, 2 * U, ract)  // z, r
            let z = row, r = row + U, hh = row + 2 * U
            for j in 0..<U { hh[j] = hh[j] + r[j] * recH[j] }
            activateInPlace(hh, U, act)
            for j in 0..<U { hNext[j] = z[j] * hPrev[j] + (1 - z[j]) * hh[j] }
        }
    }

    func gruBackwardStepResetAfter(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units, G = gateWidth, n = activeRows[s]
        let g = gates.pointer + s * B * G, dgx = dGates.pointer + s * B * G
        let dgr = dRecurrentGates.pointer + s * B * G  // [B, 3U] recurrent-side pre-activations
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        let standard = act == .tanh && ract == .sigmoid
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U
            let dx = dgx + b * G, dr = dgr + b * G
            if b >= n || mask[b] == 0 {
                dhPrev.update(from: dh, count: U)
                dx.update(repeating: 0, count: G)
                dr.update(repeating: 0, count: G)
                continue
            }
            let row = g + b * G
            let hPrev = states.pointer + (s * B + b) * U, recH = aux.pointer + (s * B + b) * U
            if standard {  // tanh/sigmoid: the derivatives in closed form, so the loop vectorizes
                for j in 0..<U {
                    let z = row[j], r = row[U + j], hh = row[2 * U + j]
                    let dz = dh[j] * (hPrev[j] - hh) * (z * (1 - z))
                    let dhh = dh[j] * (1 - z) * (1 - hh * hh)
                    let dre = dhh * recH[j] * (r * (1 - r))
                    dx[j] = dz; dx[U + j] = dre; dx[2 * U + j] = dhh
                    dr[j] = dz; dr[U + j] = dre; dr[2 * U + j] = dhh * r
                    dhPrev[j] = dh[j] * z
                }
                continue
            }
            for j in 0..<U {
                let z = row[j], r = row[U + j], hh = row[2 * U + j]
                let dz = dh[j] * (hPrev[j] - hh) * activationDerivative(output: z, ract)
                let dhh = dh[j] * (1 - z) * activationDerivative(output: hh, act)
                let dre = dhh * recH[j] * activationDerivative(output: r, ract)
                dx[j] = dz; dx[U + j] = dre; dx[2 * U + j] = dhh
                dr[j] = dz; dr[U + j] = dre; dr[2 * U + j] = dhh * r
                dhPrev[j] = dh[j] * z
            }
        }
        if n > 0 {
            sgemm(transB: true, m: n, n: U, k: G, a: dgr, lda: G, b: p + recurrentKernel.offset, ldb: G, beta: 0, c: dStep.pointer, ldc: U)
            addRecurrentStepGradient(into: d.dhPrev, rows: n)
        }
    }

    func gruForwardStepResetBefore(_ s: Int, _ p: UnsafeMutablePointer<Float>) {
        let B = batch, U = units, G = gateWidth
        let g = gates.pointer + s * B * G, rec = stepScratch.pointer  // [B, 3U]
        let R = p + recurrentKernel.offset
        let hin = recurrentInput(s)
        sgemm(m: B, n: 2 * U, k: U, a: hin, lda: U, b: R, ldb: G, beta: 0, c: rec, ldc: G)
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        let rh = aux.pointer + s * B * U  // [B, U] r·h_in, the candidate's recurrent input
        for b in 0..<B {
            let rhRow = rh + b * U
            if mask[b] == 0 { rhRow.update(repeating: 0, count: U); continue }
            let row = g + b * G, rr = rec + b * G, h = hin + b * U
            for j in 0..<U {
                let z = activate(row[j] + rr[j], ract), r = activate(row[U + j] + rr[U + j], ract)
                row[j] = z; row[U + j] = r
                rhRow[j] = r * h[j]
            }
        }
        sgemm(m: B, n: U, k: U, a: rh, lda: U, b: R + 2 * U, ldb: G, beta: 0, c: rec + 2 * U, ldc: G)
        for b in 0..<B {
            let hPrev = states.pointer + (s * B + b) * U, hNext = hPrev + B * U
            if mask[b] == 0 { hNext.update(from: hPrev, count: U); continue }
            let row = g + b * G, rr = rec + b * G
            for j in 0..<U {
                let z = row[j], hh = activate(row[2 * U + j] + rr[2 * U + j], act)
                row[2 * U + j] = hh
                hNext[j] = z * hPrev[j] + (1 - z) * hh
            }
        }
    }

    func gruBackwardStepResetBefore(_ s: Int, _ p: UnsafeMutablePointer<Float>, _ d: StepGradients) {
        let B = batch, U = units, G = gateWidth
        let g = gates.pointer + s * B * G, dg = dGates.pointer + s * B * G  // [B, 3U]
        let R = p + recurrentKernel.offset, dS = dStep.pointer
        let act = spec.activation, ract = spec.recurrentActivation, mask = stepMask.pointer + s * B
        // Phase 1: z and candidate pre-activation gradients; the r gradient needs d(r·h_in) first.
        for b in 0..<B {
            let dh = d.dh + b * U, dhPrev = d.dhPrev + b * U
            if mask[b] == 0 { dhPrev.update(from: dh, count: U); (dg + b * G).update(repeating: 0, count: G); continue }
            let row = g + b * G, dRow = dg + b * G, hPrev = states.pointer + (s * B + b) * U
            for j in 0..<U {
                let z = row[j], hh = row[2 * U + j]
                dRow[j] = dh[j] * (hPrev[j] - hh) * activationDerivative(output: z, ract)
                dRow[2 * U + j] = dh[j] * (1 - z) * activationDerivative(output: hh, act)
                dhPrev[j] = dh[j] * z
            }
        }
        // d(r·h_in) [B, U] = d(candidate pre-activation) · R_hᵀ
        sgemm(transB: true, m: B, n: U, k: U, a: dg + 2 * U, lda: G, b: R + 2 * U, ldb: G, beta: 0, c: dS, ldc: U)
        let hin = recurrentInputs + s * B * U
        for b in 0..<B {
            let dRH = dS + b * U
            if mask[b] == 0 { dRH.update(repeating: 0, count: U); continue }
            let row = g + b * G, dRow = dg + b * G, h = hin + b * U
            for j in 0..<U {
                let r = row[U + j]
                dRow[U + j] = dRH[j] * h[j] * activationDerivative(output: r, ract)
                dRH[j] *= r  // now d h_in through the candidate path
            }
        }
        sgemm(transB: true, m: B, n: U, k: 2 * U, a: dg, lda: G, b: R, ldb: G, beta: 1, c: dS, ldc: U)
        addRecurrentStepGradient(into: d.dhPrev, rows: B)
    }
}
