import CTextRNNKernels

/// One text's part in a lockstep pass: the arguments of `RecurrentLayer.forward`.
struct RecurrentLaneArguments {
    var input: UnsafePointer<Float>
    var mask: UnsafePointer<UInt8>?
    var steps: Int
    var output: UnsafeMutablePointer<Float>
    var scratch: UnsafeMutablePointer<Float>
    var ids: UnsafePointer<Int32>?
}

/// Several texts through one recurrent layer at once (textrnn_predict_batch): each text takes
/// its unmasked steps in order, the k-th step of every text together, so that one load of the
/// recurrent kernel serves them all (trk_gemv_f32_lanes). A float kernel of a 64-unit LSTM is
/// 64 KiB, more than L1: alone, every step of every text streams it from L2.
///
/// Each text gets exactly the bits of its own `forward`: a masked step never changes the state,
/// so a text's k-th unmasked step sees the same state whichever steps the other texts are at,
/// and trk_gemv_f32_lanes gives each lane the single-text product's bits.
extension RecurrentLayer {
    /// Whether `forward(lanes:)` shares products: float weights too large for L1 (they have
    /// panels; trk_lanes_worthwhile), and one product per step (GRU with reset_after false needs
    /// two). Int8 kernels are a quarter the size, and sharing nothing but the step order made a
    /// small int8 model slower (bench/README.md).
    var sharesProducts: Bool { weights.recurrent.panels != nil && !(spec.cell == .gru && !spec.resetAfter) }

    /// `forward` for each of up to TRK_LANES texts.
    func forward(lanes: UnsafeBufferPointer<RecurrentLaneArguments>) {
        precondition(lanes.count <= Int(TRK_LANES), "at most TRK_LANES texts in lockstep")
        guard lanes.count > 1, sharesProducts else {
            for lane in lanes {
                forward(input: lane.input, mask: lane.mask, steps: lane.steps, output: lane.output, scratch: lane.scratch, ids: lane.ids)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: LockstepLane.self, capacity: lanes.count) { runs in
            for (index, lane) in lanes.enumerated() {
                let table = lane.ids != nil ? projection : nil
                let buffers = buffers(lane.scratch, steps: lane.steps, usesTable: table != nil)
                buffers.state.update(repeating: 0, count: spec.units)
                buffers.cell.update(repeating: 0, count: spec.units)
                if let projected = buffers.projected { project(lane.input, mask: lane.mask, steps: lane.steps, into: projected) }
                (runs.baseAddress! + index).initialize(to: LockstepLane(arguments: lane, buffers: buffers, rows: table?.rows))
            }
            // trk_gemv_f32_lanes's arguments: each round's start vectors, states and outputs.
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 2 * lanes.count) { inputs in
                withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: lanes.count) { outputs in
                    let starts = inputs.baseAddress!, states = starts + lanes.count
                    while lockstep(runs, starts: starts, states: states, outputs: outputs.baseAddress!) {}
                }
            }
            for run in runs where !spec.returnSequences {
                run.arguments.output.update(from: run.buffers.state, count: spec.units)
            }
            _ = runs.deinitialize()
        }
    }

    /// Takes the next unmasked step of every text that has one; false when none has.
    private func lockstep(
        _ runs: UnsafeMutableBufferPointer<LockstepLane>, starts: UnsafeMutablePointer<UnsafePointer<Float>?>,
        states: UnsafeMutablePointer<UnsafePointer<Float>?>, outputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    ) -> Bool {
        let units = spec.units
        var sharing: Int32 = 0
        var any = false
        for index in runs.indices {
            let run = runs.baseAddress! + index
            let steps = run.pointee.arguments.steps
            // Masked steps: only their outputs, as `forward` writes them.
            let buffers = run.pointee.buffers
            while run.pointee.step < steps, let mask = run.pointee.arguments.mask, mask[time(run.pointee.step, steps: steps)] == 0 {
                if spec.returnSequences { maskedOutput(run.pointee.arguments.output + run.pointee.step * units, state: buffers.state) }
                run.pointee.step += 1
            }
            let step = run.pointee.step
            guard step < steps else {
                run.pointee.x = nil
                continue
            }
            any = true
            let t = time(step, steps: steps)
            let x: UnsafePointer<Float>
            if let ids = run.pointee.arguments.ids, let table = run.pointee.rows {
                x = table.row(ids[t], tmp: buffers.rowScratch)
                // The next step's row is a random access into a large table: start loading it now.
                if step + 1 < steps { table.prefetch(ids[time(step + 1, steps: steps)]) }
            } else {
                x = UnsafePointer(buffers.projected! + t * gateWidth)
            }
            run.pointee.x = x
            let start = productStart(x, buffers.gates)
            if run.pointee.first {
                if start != UnsafePointer(buffers.gates) { buffers.gates.update(from: start, count: gateWidth) }
            } else {
                starts[Int(sharing)] = start
                states[Int(sharing)] = UnsafePointer(buffers.state)
                outputs[Int(sharing)] = buffers.gates
                sharing += 1
            }
        }
        guard any else { return false }
        if sharing > 0 {
            trk_gemv_f32_lanes(sharing, starts, states, Int32(units), weights.recurrent.float!, weights.recurrent.panels!,
                               Int32(gateWidth), outputs)
        }
        for index in runs.indices {
            let run = runs.baseAddress! + index
            guard let x = run.pointee.x else { continue }
            let buffers = run.pointee.buffers
            finishStep(x, buffers.state, buffers.cell, buffers.gates)
            if spec.returnSequences { (run.pointee.arguments.output + run.pointee.step * units).update(from: buffers.state, count: units) }
            run.pointee.first = false
            run.pointee.step += 1
        }
        return true
    }
}

/// One text's progress through a lockstep pass (no references: it is read every step).
private struct LockstepLane {
    let arguments: RecurrentLaneArguments
    let buffers: RecurrentLayer.StepBuffers
    let rows: ProjectionRows?  // the layer's projection table, when it reads ids
    var step = 0  // the next processing step
    var first = true  // no unmasked step yet: h is zero
    var x: UnsafePointer<Float>? = nil  // this round's input projection; nil if the text is done

    init(arguments: RecurrentLaneArguments, buffers: RecurrentLayer.StepBuffers, rows: ProjectionRows?) {
        self.arguments = arguments
        self.buffers = buffers
        self.rows = rows
    }
}
