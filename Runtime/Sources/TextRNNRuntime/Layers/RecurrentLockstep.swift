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
    /// Whether `forward(lanes:)` shares products: float weights (int8 kernels fit L1 already)
    /// and one product per step (GRU with reset_after false needs two).
    var sharesProducts: Bool { weights.recurrent.panels != nil && !(spec.cell == .gru && !spec.resetAfter) }

    /// `forward` for each of up to TRK_LANES texts.
    func forward(lanes: UnsafeBufferPointer<RecurrentLaneArguments>) {
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
                (runs.baseAddress! + index).initialize(to: LockstepLane(arguments: lane, buffers: buffers, table: table))
            }
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 3 * Int(TRK_LANES)) { pointers in
                let starts = pointers.baseAddress!, states = starts + Int(TRK_LANES)
                let outputs = UnsafeMutableRawPointer(states + Int(TRK_LANES)).assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self)
                while lockstep(runs, starts: starts, states: states, outputs: outputs) {}
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
            var run = runs[index]
            let steps = run.arguments.steps
            // Masked steps: only their outputs, as `forward` writes them.
            while run.step < steps, let mask = run.arguments.mask, mask[time(run.step, steps: steps)] == 0 {
                if spec.returnSequences { maskedOutput(run.arguments.output + run.step * units, state: run.buffers.state) }
                run.step += 1
            }
            if run.step < steps {
                any = true
                let t = time(run.step, steps: steps)
                run.x = run.table.map { $0.row(run.arguments.ids![t], tmp: run.buffers.rowScratch) }
                    ?? UnsafePointer(run.buffers.projected! + t * gateWidth)
                if let table = run.table, run.step + 1 < steps { table.prefetch(run.arguments.ids![time(run.step + 1, steps: steps)]) }
                let start = productStart(run.x!, run.buffers.gates)
                if run.first {
                    if start != UnsafePointer(run.buffers.gates) { run.buffers.gates.update(from: start, count: gateWidth) }
                } else {
                    starts[Int(sharing)] = start
                    states[Int(sharing)] = UnsafePointer(run.buffers.state)
                    outputs[Int(sharing)] = run.buffers.gates
                    sharing += 1
                }
            } else {
                run.x = nil
            }
            runs[index] = run
        }
        guard any else { return false }
        if sharing > 0 {
            trk_gemv_f32_lanes(sharing, starts, states, Int32(units), weights.recurrent.float!, weights.recurrent.panels!,
                               Int32(gateWidth), outputs)
        }
        for index in runs.indices where runs[index].x != nil {
            let run = runs[index]
            finishStep(run.x!, run.buffers.state, run.buffers.cell, run.buffers.gates)
            if spec.returnSequences { (run.arguments.output + run.step * units).update(from: run.buffers.state, count: units) }
            runs[index].first = false
            runs[index].step += 1
        }
        return true
    }
}

/// One text's progress through a lockstep pass.
private struct LockstepLane {
    let arguments: RecurrentLaneArguments
    let buffers: RecurrentLayer.StepBuffers
    let table: ProjectionTable?
    var step = 0  // the next processing step
    var first = true  // no unmasked step yet: h is zero
    var x: UnsafePointer<Float>? = nil  // this round's input projection; nil if the text is done

    init(arguments: RecurrentLaneArguments, buffers: RecurrentLayer.StepBuffers, table: ProjectionTable?) {
        self.arguments = arguments
        self.buffers = buffers
        self.table = table
    }
}
