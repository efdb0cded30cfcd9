extension Model {
    /// Runs the layers over `trace.ids` as `forward` does (same kernels, same order, so the same
    /// bits), keeping every layer's output in `trace`; returns the last layer's output.
    ///
    /// With a `baseline` trace and the range of input positions whose ids differ from it
    /// (`changed`), each recurrent direction restarts from the baseline's logged state at the
    /// first step the change reaches: a forward direction at the first changed position, a
    /// backward one at the last. Outputs before that step are copied from the baseline. A
    /// forward layer's output then differs from its first rerun step on, which is where a
    /// following forward layer restarts; after a Bidirectional layer everything may differ.
    /// Occluding with padding also changes the mask, which every masked layer reads by input
    /// position (Keras does not reverse it after go_backwards), so those positions count too.
    // Size, not speed: the time of a pass is in the layers it calls, not in this bookkeeping,
    // and libtextrnn.so has a size budget (docs/packaging.md).
    @_optimize(size)
    func tracedForward(
        _ trace: ForwardTrace, baseline: ForwardTrace? = nil, changed: ClosedRange<Int>? = nil
    ) -> UnsafePointer<Float> {
        let steps = trace.steps
        var mask: UnsafePointer<UInt8>? = nil
        var features = 0
        var current = UnsafePointer(trace.outputs[0])
        var changedRows = baseline == nil ? nil : changed  // nil: everything is recomputed
        var changedMask: ClosedRange<Int>? = nil  // positions whose mask differs from the baseline's
        var projectionIDs: UnsafePointer<Int32>? = usesProjection ? UnsafePointer(trace.ids) : nil

        /// One recurrent direction; returns the processing step it started at.
        func run(
            _ layer: RecurrentLayer, _ index: Int, _ direction: Int, input: UnsafePointer<Float>,
            ids: UnsafePointer<Int32>?
        ) -> Int {
            let output = trace.directions[index][direction]
            let log = trace.logs[index].isEmpty ? nil : trace.logs[index][direction]
            var resume: RecurrentResume? = nil
            var start = 0
            if var changedRows, let baseline {
                if mask != nil, let changedMask {
                    changedRows = min(changedRows.lowerBound, changedMask.lowerBound)...max(changedRows.upperBound, changedMask.upperBound)
                }
                start = layer.spec.goBackwards ? steps - 1 - changedRows.upperBound : changedRows.lowerBound
                resume = baseline.logs[index][direction].resume(at: start, units: layer.spec.units)
                if layer.spec.returnSequences && start > 0 {
                    output.update(from: baseline.directions[index][direction], count: start * layer.spec.units)
                }
            }
            layer.forward(
                input: input, mask: mask, steps: steps, output: output, scratch: trace.recurrentScratch, ids: ids,
                resume: resume, log: log)
            return start
        }

        for (index, layer) in layers.enumerated() {
            let output = trace.outputs[index]
            defer { if case .embedding = layer {} else { projectionIDs = nil } }
            switch layer {
            case .embedding(let table, let maskZero):
                if steps > 0 && !usesProjection { SequenceLayers.embed(table, ids: trace.ids, steps: steps, output: output) }
                if maskZero {
                    for t in 0..<steps { trace.mask[t] = trace.ids[t] != 0 ? 1 : 0 }
                    mask = UnsafePointer(trace.mask)
                    if let changed, let baseline, changed.contains(where: { trace.mask[$0] != baseline.mask[$0] }) {
                        changedMask = changed
                    }
                }
                features = table.dim
            case .recurrent(let recurrent):
                let start = run(recurrent, index, 0, input: current, ids: projectionIDs)
                // Outputs are rows in processing order: those from `start` on may differ.
                changedRows = recurrent.spec.returnSequences && changedRows != nil ? start...(steps - 1) : nil
                if !recurrent.spec.returnSequences { mask = nil }
                features = recurrent.spec.units
            case .bidirectional(let forward, let backward, let mergeMode):
                _ = run(forward, index, 0, input: current, ids: projectionIDs)
                _ = run(backward, index, 1, input: current, ids: projectionIDs)
                SequenceLayers.merge(
                    forward: trace.directions[index][0], backward: trace.directions[index][1],
                    forwardUnits: forward.spec.units, backwardUnits: backward.spec.units, steps: steps,
                    isSequence: forward.spec.returnSequences, mode: mergeMode, output: output)
                changedRows = nil
                if !forward.spec.returnSequences { mask = nil }
                features = mergeMode == .concat ? forward.spec.units + backward.spec.units : forward.spec.units
            case .globalMaxPooling(let masked):
                SequenceLayers.maxPool(current, steps: steps, features: features, mask: mask, masked: masked, output: output)
                mask = nil
                changedRows = nil
            case .globalAveragePooling:
                SequenceLayers.averagePool(current, steps: steps, features: features, mask: mask, output: output)
                mask = nil
                changedRows = nil
            case .dense(let kernel, let bias, let activation):
                let bag = index == layers.count - 1 ? self.bag : nil
                let ids = UnsafeBufferPointer(start: UnsafePointer(trace.bagTokens), count: trace.bagTokenCount)
                let characters = trace.characters
                characters.withUnsafeBufferPointer { characters in
                    SequenceLayers.dense(current, kernel: kernel, bias: bias, activation: activation, output: output, beforeActivation: bag.map { bag in
                        { bag.addLogits(ids: ids, characters: characters, scratch: &trace.bag, into: $0) }
                    })
                }
                features = kernel.columns
                changedRows = nil
            }
            current = UnsafePointer(output)
        }
        return current
    }
}
