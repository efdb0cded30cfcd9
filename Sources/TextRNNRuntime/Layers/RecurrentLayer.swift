/// The weights of one recurrent layer, borrowed from the bundle.
struct RecurrentWeights: @unchecked Sendable {
    let kernel: Matrix  // [inputs, gates * units]
    let recurrentKernel: Matrix  // [units, gates * units]
    let inputBias: UnsafePointer<Float>?  // [gates * units]
    let recurrentBias: UnsafePointer<Float>?  // [gates * units], GRU with reset_after only
}

/// SimpleRNN, LSTM or GRU over one sequence, with Keras masking: a masked step leaves the
/// state unchanged, outputs zero (with return_sequences) and costs nothing.
struct RecurrentLayer: Sendable {
    let spec: RecurrentSpec
    let weights: RecurrentWeights

    var inputFeatures: Int { weights.kernel.rows }
    var gateWidth: Int { spec.cell.gateCount * spec.units }

    /// Floats of `RecurrentScratch` this layer needs for `steps` time steps.
    func scratchCount(steps: Int) -> Int { steps * gateWidth + gateWidth + 2 * spec.units }

    /// input [steps, inputFeatures], mask [steps] or nil, output [steps, units] with
    /// return_sequences (in processing order: reversed when go_backwards, as Keras), else [units].
    /// scratch holds at least `scratchCount(steps:)` floats.
    func forward(
        input: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, steps: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let units = spec.units
        let width = gateWidth
        let projection = scratch  // [steps, width] x·kernel + input bias
        let gates = scratch + steps * width  // [width] h·recurrent_kernel (+ recurrent bias)
        let state = gates + width  // [units] h
        let cell = state + units  // [units] c (LSTM)
        state.update(repeating: 0, count: units)
        cell.update(repeating: 0, count: units)

        for t in 0..<steps where mask == nil || mask![t] != 0 {
            let row = projection + t * width
            Kernels.matvec(input + t * inputFeatures, inputFeatures, weights.kernel.base, rowStride: width, width, row, accumulate: false)
            if let bias = weights.inputBias { for j in 0..<width { row[j] += bias[j] } }
        }
        for step in 0..<steps {
            let t = spec.goBackwards ? steps - 1 - step : step
            if let mask, mask[t] == 0 {
                if spec.returnSequences { (output + step * units).update(repeating: 0, count: units) }
                continue
            }
            let x = projection + t * width
            switch spec.cell {
            case .simpleRNN: simpleRNNStep(x, state, gates)
            case .lstm: lstmStep(x, state, cell, gates)
            case .gru: gruStep(x, state, gates)
            }
            if spec.returnSequences { (output + step * units).update(from: state, count: units) }
        }
        if !spec.returnSequences { output.update(from: state, count: units) }
    }

    /// h = activation(x + h·U)
    private func simpleRNNStep(_ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        let units = spec.units
        z.update(from: x, count: units)
        Kernels.matvec(h, units, weights.recurrentKernel.base, rowStride: units, units, z, accumulate: true)
        for j in 0..<units { h[j] = Kernels.activate(z[j], spec.activation) }
    }

    /// Gates i, f, c, o: c = f*c + i*act(zc); h = o*act(c)
    private func lstmStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ z: UnsafeMutablePointer<Float>
    ) {
        let units = spec.units
        let width = 4 * units
        z.update(from: x, count: width)
        Kernels.matvec(h, units, weights.recurrentKernel.base, rowStride: width, width, z, accumulate: true)
        let gate = spec.recurrentActivation
        let act = spec.activation
        for j in 0..<units {
            let input = Kernels.activate(z[j], gate)
            let forget = Kernels.activate(z[units + j], gate)
            let candidate = Kernels.activate(z[2 * units + j], act)
            let out = Kernels.activate(z[3 * units + j], gate)
            c[j] = forget * c[j] + input * candidate
            h[j] = out * Kernels.activate(c[j], act)
        }
    }

    /// Gates z, r, h. reset_after: hh = act(xh + r * (h·Uh + bh)); else hh = act(xh + (r*h)·Uh).
    /// Then h = z*h + (1-z)*hh.
    private func gruStep(_ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) {
        let units = spec.units
        let width = 3 * units
        let gate = spec.recurrentActivation
        let act = spec.activation
        let kernel = weights.recurrentKernel.base
        if spec.resetAfter {
            Kernels.matvec(h, units, kernel, rowStride: width, width, g, accumulate: false)
            if let bias = weights.recurrentBias { for j in 0..<width { g[j] += bias[j] } }
            for j in 0..<units {
                let update = Kernels.activate(x[j] + g[j], gate)
                let reset = Kernels.activate(x[units + j] + g[units + j], gate)
                let candidate = Kernels.activate(x[2 * units + j] + reset * g[2 * units + j], act)
                g[j] = update
                g[units + j] = candidate
            }
        } else {
            // g[0..<2u]: h·U for z and r; then g[2u..<3u] holds r*h, reused for its product.
            Kernels.matvec(h, units, kernel, rowStride: width, 2 * units, g, accumulate: false)
            let resetState = g + 2 * units
            for j in 0..<units {
                g[j] = Kernels.activate(x[j] + g[j], gate)
                resetState[j] = Kernels.activate(x[units + j] + g[units + j], gate) * h[j]
            }
            let candidate = g + units  // r no longer needed
            Kernels.matvec(resetState, units, kernel + 2 * units, rowStride: width, units, candidate, accumulate: false)
            for j in 0..<units { candidate[j] = Kernels.activate(x[2 * units + j] + candidate[j], act) }
        }
        for j in 0..<units { h[j] = g[j] * h[j] + (1 - g[j]) * g[units + j] }
    }
}
