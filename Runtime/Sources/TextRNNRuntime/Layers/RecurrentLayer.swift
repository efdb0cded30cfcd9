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

    /// The rows, without the table's reference count (for loops that must not retain it; the
    /// table must outlive them).
    var rows: ProjectionRows { ProjectionRows(descriptor: descriptor, width: width) }

    @inline(__always)
    func prefetch(_ id: Int32) { rows.prefetch(id) }

    /// The projection of token `id` (tmp: width + dim floats, used if the row is being filled).
    @inline(__always)
    func row(_ id: Int32, tmp: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> { rows.row(id, tmp: tmp) }
}

/// A `ProjectionTable`'s rows, borrowed.
struct ProjectionRows {
    let descriptor: UnsafeMutablePointer<trk_projection>
    let width: Int

    @inline(__always)
    func prefetch(_ id: Int32) {
        trk_prefetch(descriptor.pointee.table + Int(id) * width, width * 4)
    }

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

    /// Floats of scratch this layer needs for `steps` time steps (`StepBuffers`).
    func scratchCount(steps: Int) -> Int {
        steps * gateWidth + gateWidth + 2 * spec.units + (gateWidth + inputFeatures)
            + (weights.recurrent.quantizedScratchBytes + 3) / 4 + 32
    }

    /// Where one pass keeps its working values, carved out of its scratch.
    struct StepBuffers {
        let projected: UnsafeMutablePointer<Float>?  // [steps, width] x·kernel + input bias (no table)
        let gates: UnsafeMutablePointer<Float>  // [width]
        let state: UnsafeMutablePointer<Float>  // [units] h
        let cell: UnsafeMutablePointer<Float>  // [units] c (LSTM)
        let rowScratch: UnsafeMutablePointer<Float>  // [width + inputFeatures] a table row being filled elsewhere
        let quantized: UnsafeMutableRawPointer  // int8 products' scratch, 64-byte aligned
    }

    func buffers(_ scratch: UnsafeMutablePointer<Float>, steps: Int, usesTable: Bool) -> StepBuffers {
        let width = gateWidth
        let gates = scratch + (usesTable ? 0 : steps * width)
        let rowScratch = gates + width + 2 * spec.units
        let quantized = UnsafeMutableRawPointer(rowScratch + width + inputFeatures)
        return StepBuffers(
            projected: usesTable ? nil : scratch, gates: gates, state: gates + width, cell: gates + width + spec.units,
            rowScratch: rowScratch,
            quantized: UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: quantized) + 63) & ~63)!)
    }

    /// The processing step's time index (go_backwards reads the sequence from the end).
    @inline(__always)
    func time(_ step: Int, steps: Int) -> Int { spec.goBackwards ? steps - 1 - step : step }

    /// x·kernel + input bias for the time steps `forward` will process from `firstStep` on.
    func project(_ input: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, steps: Int, from firstStep: Int = 0,
                 into projected: UnsafeMutablePointer<Float>) {
        let width = gateWidth
        let times = spec.goBackwards ? 0..<(steps - firstStep) : firstStep..<steps
        for t in times where mask == nil || mask![t] != 0 {
            let row = projected + t * width
            row.update(repeating: 0, count: width)
            weights.input.accumulate(input + t * inputFeatures, into: row)
            if let bias = weights.inputBias { for j in 0..<width { row[j] += bias[j] } }
        }
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
        let table = ids != nil ? projection : nil
        let buffers = buffers(scratch, steps: steps, usesTable: table != nil)
        let state = buffers.state, cell = buffers.cell
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

        if let projected = buffers.projected { project(input, mask: mask, steps: steps, from: firstStep, into: projected) }
        for step in firstStep..<steps {
            let t = time(step, steps: steps)
            if let mask, mask[t] == 0 {
                if spec.returnSequences { maskedOutput(output + step * units, state: state) }
            } else {
                let x = table.map { $0.row(ids![t], tmp: buffers.rowScratch) } ?? UnsafePointer(buffers.projected! + t * gateWidth)
                if let table, step + 1 < steps {
                    // The next step's row is a random access into a large table: start loading it now.
                    table.prefetch(ids![time(step + 1, steps: steps)])
                }
                if spec.cell == .gru && !spec.resetAfter {
                    gruClassicStep(x, state, buffers.gates, first)
                } else {
                    let start = productStart(x, buffers.gates)
                    if first {
                        if start != UnsafePointer(buffers.gates) { buffers.gates.update(from: start, count: gateWidth) }
                    } else {
                        weights.recurrent.multiplyRecurrent(state, adding: start, into: buffers.gates, quantizedScratch: buffers.quantized)
                    }
                    finishStep(x, state, cell, buffers.gates)
                }
                first = false
                if spec.returnSequences { (output + step * units).update(from: state, count: units) }
            }
            if let log { log.record(step: step, h: state, c: cell, units: units, started: !first) }
        }
        if !spec.returnSequences { output.update(from: state, count: units) }
    }

    /// A masked step's output row with return_sequences: the state is unchanged there, so the
    /// previous output (or still zero); zero inside Bidirectional.
    @inline(__always)
    func maskedOutput(_ row: UnsafeMutablePointer<Float>, state: UnsafePointer<Float>) {
        if zeroOutputForMask { row.update(repeating: 0, count: spec.units) } else { row.update(from: state, count: spec.units) }
    }

    /// Int8 models take the coarse gate functions (textrnn_kernels.h): their state is quantized
    /// to 7 bits every step anyway.
    var coarseGates: Int32 { weights.recurrent.isQuantized ? 1 : 0 }

    /// What a step's recurrent product h·U is added to: x for SimpleRNN and LSTM (the product
    /// gives the pre-activations z); for GRU with reset_after the recurrent bias (or zero),
    /// written into `gates` (the product gives h·U + bh, and x is added by `finishStep`).
    @inline(__always)
    func productStart(_ x: UnsafePointer<Float>, _ gates: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard spec.cell == .gru else { return x }
        if let bias = weights.recurrentBias { gates.update(from: bias, count: gateWidth) } else { gates.update(repeating: 0, count: gateWidth) }
        return UnsafePointer(gates)
    }

    /// The rest of a step once `gates` holds productStart + h·U (or productStart alone on the
    /// first unmasked step, where h is zero): the new h (and c).
    @inline(__always)
    func finishStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ g: UnsafeMutablePointer<Float>
    ) {
        let units = spec.units
        let gate = spec.recurrentActivation
        let act = spec.activation
        switch spec.cell {
        case .simpleRNN:  // h = activation(x + h·U)
            Kernels.activate(g, units, act)
            h.update(from: g, count: units)
        case .lstm:  // gates i, f, c, o: c = f*c + i*act(zc); h = o*act(c)
            if gate == .sigmoid && act == .tanh {
                trk_lstm_gates(g, c, h, Int32(units), coarseGates)
                return
            }
            for j in 0..<units {
                let input = Kernels.activate(g[j], gate)
                let forget = Kernels.activate(g[units + j], gate)
                let candidate = Kernels.activate(g[2 * units + j], act)
                let out = Kernels.activate(g[3 * units + j], gate)
                c[j] = forget * c[j] + input * candidate
                h[j] = out * Kernels.activate(c[j], act)
            }
        case .gru:  // reset_after: gates z, r, h; hh = act(xh + r * (h·Uh + bh)); h = z*h + (1-z)*hh
            if gate == .sigmoid && act == .tanh {
                trk_gru_gates(x, g, h, Int32(units), coarseGates)
                return
            }
            // g[0..<2u] = x + h·U for z and r, activated; g[2u..<3u] = xh + r * (h·Uh + bh).
            for j in 0..<(2 * units) { g[j] += x[j] }
            Kernels.activate(g, 2 * units, gate)
            for j in 0..<units { g[2 * units + j] = x[2 * units + j] + g[units + j] * g[2 * units + j] }
            Kernels.activate(g + 2 * units, units, act)
            for j in 0..<units { h[j] = g[j] * h[j] + (1 - g[j]) * g[2 * units + j] }
        }
    }

    /// GRU with reset_after false, whose candidate needs a second product after the gates:
    /// hh = act(xh + (r*h)·Uh); h = z*h + (1-z)*hh.
    @inline(__always)
    private func gruClassicStep(
        _ x: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ first: Bool
    ) {
        let units = spec.units
        // g[0..<2u]: x + h·U for z and r; then g[2u..<3u] holds r*h, reused for its product.
        g.update(repeating: 0, count: 2 * units)
        if !first { weights.recurrent.accumulate(h, into: g, first: 0, count: 2 * units) }
        for j in 0..<(2 * units) { g[j] += x[j] }
        Kernels.activate(g, 2 * units, spec.recurrentActivation)
        let resetState = g + 2 * units
        for j in 0..<units { resetState[j] = g[units + j] * h[j] }
        let candidate = g + units  // r no longer needed
        candidate.update(repeating: 0, count: units)
        weights.recurrent.accumulate(resetState, into: candidate, first: 2 * units, count: units)
        for j in 0..<units { candidate[j] += x[2 * units + j] }
        Kernels.activate(candidate, units, spec.activation)
        for j in 0..<units { h[j] = g[j] * h[j] + (1 - g[j]) * candidate[j] }
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
