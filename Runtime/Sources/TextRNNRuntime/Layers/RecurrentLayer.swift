import CTextRNNKernels
import Glibc

/// The weights of one recurrent layer, borrowed from the bundle.
struct RecurrentWeights: @unchecked Sendable {
    let input: WeightMatrix  // [inputs, gates * units]
    let recurrent: WeightMatrix  // [units, gates * units]
    let inputBias: UnsafePointer<Float>?  // [gates * units]
    let recurrentBias: UnsafePointer<Float>?  // [gates * units], GRU with reset_after only

    init(input: WeightMatrix, recurrent: WeightMatrix, inputBias: UnsafePointer<Float>?, recurrentBias: UnsafePointer<Float>?) {
        self.input = input
        self.recurrent = recurrent
        self.inputBias = inputBias
        self.recurrentBias = recurrentBias
    }

    /// Float32 weights.
    init(kernel: Matrix, recurrentKernel: Matrix, inputBias: UnsafePointer<Float>?, recurrentBias: UnsafePointer<Float>?) {
        self.init(input: WeightMatrix(kernel), recurrent: WeightMatrix(recurrentKernel), inputBias: inputBias, recurrentBias: recurrentBias)
    }
}

/// The first recurrent layer's input projections per vocabulary entry, embedding · kernel +
/// bias, filled lazily (each row the first time a text uses its token) so loading stays fast.
/// Rows are claimed atomically; see trk_projection_row.
final class ProjectionTable: @unchecked Sendable {  // the C side synchronizes the rows
    let descriptor: UnsafeMutablePointer<trk_projection>
    let width: Int

    /// Largest table per direction, in bytes (TEXTRNN_PROJECTION_TABLE_MB; 0 turns tables off).
    static let byteLimit: Int = {
        if let value = getenv("TEXTRNN_PROJECTION_TABLE_MB"), let megabytes = Int(String(cString: value)) {
            return megabytes << 20
        }
        return 64 << 20
    }()

    init?(
        rows: Int, dim: Int, embeddingFloat: UnsafePointer<Float>?, embeddingInt8: UnsafePointer<Int8>?,
        embeddingScales: UnsafePointer<Float>?, kernel: WeightMatrix, bias: UnsafePointer<Float>?
    ) {
        let width = kernel.columns
        guard rows * width * 4 <= ProjectionTable.byteLimit, rows > 0, width > 0,
              let table = calloc(rows * width, 4), let ready = calloc(rows, 1) else { return nil }
        self.width = width
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: trk_projection(
            rows: Int32(rows), dim: Int32(dim), width: Int32(width), emb_f32: embeddingFloat, emb_s8: embeddingInt8,
            emb_scale: embeddingScales, w_f32: kernel.float, w_s8: kernel.int8, w_scale: kernel.scales, bias: bias,
            table: table.assumingMemoryBound(to: Float.self), ready: ready.assumingMemoryBound(to: UInt8.self)))
        }

    deinit {
        free(descriptor.pointee.table)
        free(descriptor.pointee.ready)
        descriptor.deallocate()
    }

    @inline(__always)
    func prefetch(_ id: Int32) {
        trk_prefetch(descriptor.pointee.table + Int(id) * width, width * 4)
    }

    /// The projection of token `id` (tmp: width + dim floats, used if the row is being filled).
    @inline(__always)
    func row(_ id: Int32, tmp: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        trk_projection_row(descriptor, id, tmp)
    }
}

/// SimpleRNN, LSTM or GRU over one sequence, with Keras masking: a masked step leaves the
/// state unchanged and costs nothing. With return_sequences it outputs, as Keras does, the
/// previous output repeated (zero before the first unmasked step) for a plain layer, and zero
/// for the two layers inside Bidirectional (Keras's `zero_output_for_mask`).
struct RecurrentLayer: Sendable {
    let spec: RecurrentSpec
    let weights: RecurrentWeights
    /// Keras `zero_output_for_mask`: true only inside Bidirectional.
    var zeroOutputForMask = false
    /// For a layer reading the embedding directly: its input projection per token id.
    var projection: ProjectionTable? = nil

    var inputFeatures: Int { weights.input.rows }
    var gateWidth: Int { spec.cell.gateCount * spec.units }

    /// Floats of `RecurrentScratch` this layer needs for `steps` time steps.
    func scratchCount(steps: Int) -> Int {
        steps * gateWidth + gateWidth + 2 * spec.units + (gateWidth + inputFeatures)
            + (weights.recurrent.quantizedScratchBytes + 3) / 4 + 32
    }

    /// input [steps, inputFeatures], mask [steps] or nil, output [steps, units] with
    /// return_sequences (in processing order: reversed when go_backwards, as Keras), else [units].
    /// scratch holds at least `scratchCount(steps:)` floats. With a projection table, `ids`
    /// [steps] replaces `input` (which is then not read).
    ///
    /// `resume` starts at a later processing step from a recorded state (output rows before it
    /// are left as they are); `log` records the state after every step. Explanations use both
    /// to rerun only the steps an occluded token can change.
    func forward(
        input: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, steps: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>? = nil,
        resume: RecurrentResume? = nil, log: RecurrentLog? = nil
    ) {
        let units = spec.units
        let width = gateWidth
        let table = ids != nil ? projection : nil
        let projected = table == nil ? scratch : nil  // [steps, width] x·kernel + input bias
        let gates = scratch + (table == nil ? steps * width : 0)  // [width]
        let state = gates + width  // [units] h
        let cell = state + units  // [units] c (LSTM)
        let rowScratch = cell + units  // [width + inputFeatures] a table row being filled elsewhere
        let quantized = UnsafeMutableRawPointer(rowScratch + width + inputFeatures)
        let alignedQuantized = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: quantized) + 63) & ~63)!
        let firstStep = resume?.step ?? 0
        var first = true  // the state is still zero: h·U is zero
        if let resume, let saved = resume.state {
            state.update(from: saved, count: units)
            cell.update(from: saved + units, count: units)
            first = !resume.started
        } else {
            state.update(repeating: 0, count: units)
            cell.update(repeating: 0, count: units)
        }

        if let projected {
            // Only the time steps still to be processed.
            let times = spec.goBackwards ? 0..<(steps - firstStep) : firstStep..<steps
            for t in times where mask == nil || mask![t] != 0 {
                let row = projected + t * width
                row.update(repeating: 0, count: width)
                weights.input.accumulate(input + t * inputFeatures, into: row)
                if let bias = weights.inputBias { for j in 0..<width { row[j] += bias[j] } }
            }
        }
        for step in firstStep..<steps {
            let t = spec.goBackwards ? steps - 1 - step : step
            if let mask, mask[t] == 0 {
                if spec.returnSequences {
                    // The state is unchanged here, so it is the previous output (or still zero).
                    if zeroOutputForMask { (output + step * units).update(repeating: 0, count: units) }
                    else { (output + step * units).update(from: state, count: units) }
                }
            } else {
                let x = table.map { $0.row(ids![t], tmp: rowScratch) } ?? UnsafePointer(projected! + t * width)
                if let table, step + 1 < steps {
                    // The next step's row is a random access into a large table: start loading it now.
                    table.prefetch(ids![spec.goBackwards ? t - 1 : t + 1])
                }
                switch spec.cell {
                case .simpleRNN: simpleRNNStep(x, state, gates, alignedQuantized, first)
                case .lstm: lstmStep(x, state, cell, gates, alignedQuantized, first)
                case .gru: gruStep(x, state, gates, alignedQuantized, first)
                }
                first = false
                if spec.returnSequences { (output + step * units).update(from: state, count: units) }
            }
            if let log { log.record(step: step, h: state, c: cell, units: units, started: !first) }
        }
        if !spec.returnSequences { output.update(from: state, count: units) }
    }

    /// h = activation(x + h·U)
    @inline(__always)
    private func simpleRNNStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ z: UnsafeMutablePointer<Float>,
        _ quantized: UnsafeMutableRawPointer, _ first: Bool
    ) {
        let units = spec.units
        if first {
            z.update(from: x, count: units)
        } else {
            weights.recurrent.multiplyRecurrent(h, adding: x, into: z, quantizedScratch: quantized)
        }
        Kernels.activate(z, units, spec.activation)
        h.update(from: z, count: units)
    }

    /// Gates i, f, c, o: c = f*c + i*act(zc); h = o*act(c)
    @inline(__always)
    private func lstmStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ z: UnsafeMutablePointer<Float>, _ quantized: UnsafeMutableRawPointer, _ first: Bool
    ) {
        let units = spec.units
        let width = 4 * units
        if first {
            z.update(from: x, count: width)
        } else {
            weights.recurrent.multiplyRecurrent(h, adding: x, into: z, quantizedScratch: quantized)
        }
        let gate = spec.recurrentActivation
        let act = spec.activation
        if gate == .sigmoid && act == .tanh {
            trk_lstm_gates(z, c, h, Int32(units))
            return
        }
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
    @inline(__always)
    private func gruStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ quantized: UnsafeMutableRawPointer, _ first: Bool
    ) {
        let units = spec.units
        let width = 3 * units
        let gate = spec.recurrentActivation
        let act = spec.activation
        if spec.resetAfter {
            if let bias = weights.recurrentBias { g.update(from: bias, count: width) } else { g.update(repeating: 0, count: width) }
            if !first { weights.recurrent.accumulateRecurrent(h, into: g, quantizedScratch: quantized) }
            // g[0..<2u] = x + h·U for z and r, activated; g[2u..<3u] = xh + r * (h·Uh + bh).
            for j in 0..<(2 * units) { g[j] += x[j] }
            Kernels.activate(g, 2 * units, gate)
            for j in 0..<units { g[2 * units + j] = x[2 * units + j] + g[units + j] * g[2 * units + j] }
            Kernels.activate(g + 2 * units, units, act)
            for j in 0..<units { h[j] = g[j] * h[j] + (1 - g[j]) * g[2 * units + j] }
        } else {
            // g[0..<2u]: x + h·U for z and r; then g[2u..<3u] holds r*h, reused for its product.
            g.update(repeating: 0, count: 2 * units)
            if !first { weights.recurrent.accumulate(h, into: g, first: 0, count: 2 * units) }
            for j in 0..<(2 * units) { g[j] += x[j] }
            Kernels.activate(g, 2 * units, gate)
            let resetState = g + 2 * units
            for j in 0..<units { resetState[j] = g[units + j] * h[j] }
            let candidate = g + units  // r no longer needed
            candidate.update(repeating: 0, count: units)
            weights.recurrent.accumulate(resetState, into: candidate, first: 2 * units, count: units)
            for j in 0..<units { candidate[j] += x[2 * units + j] }
            Kernels.activate(candidate, units, act)
            for j in 0..<units { h[j] = g[j] * h[j] + (1 - g[j]) * candidate[j] }
        }
    }
}

/// Where a recurrent pass restarts: processing step `step`, from the state recorded after step
/// `step - 1` (`state`: h then c, `units` floats each; nil = the zero initial state).
struct RecurrentResume {
    let step: Int
    let state: UnsafePointer<Float>?
    /// Whether any step before `step` was unmasked (else the state is still exactly zero).
    let started: Bool
}

/// Per-step record of a recurrent pass: after processing step s, h and c at
/// `states + s * 2 * units` and whether a step was unmasked yet at `started[s]`.
struct RecurrentLog {
    let states: UnsafeMutablePointer<Float>  // [steps, 2 * units]
    let started: UnsafeMutablePointer<UInt8>  // [steps]

    @inline(__always)
    func record(step: Int, h: UnsafePointer<Float>, c: UnsafePointer<Float>, units: Int, started: Bool) {
        let row = states + step * 2 * units
        row.update(from: h, count: units)
        (row + units).update(from: c, count: units)
        self.started[step] = started ? 1 : 0
    }

    func resume(at step: Int, units: Int) -> RecurrentResume {
        guard step > 0 else { return RecurrentResume(step: 0, state: nil, started: false) }
        return RecurrentResume(step: step, state: UnsafePointer(states + (step - 1) * 2 * units), started: started[step - 1] != 0)
    }
}
