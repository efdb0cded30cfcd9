/// One text on its way through the layers: its ids and what the next layer reads.
struct LayerLane {
    let scratch: PredictionScratch
    let ids: UnsafeBufferPointer<Int32>
    let bagTokens: UnsafeBufferPointer<Int32>
    let bagCharacters: UnsafeBufferPointer<UInt32>
    var current: UnsafeMutablePointer<Float>  // [steps, features] or [features]: the layer input
    var mask: UnsafeMutablePointer<UInt8>? = nil  // [steps] 1 = real token; nil once pooled
    var features = 0
    var steps: Int { ids.count }

    init(
        scratch: PredictionScratch, ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>,
        bagCharacters: UnsafeBufferPointer<UInt32>
    ) {
        self.scratch = scratch
        self.ids = ids
        self.bagTokens = bagTokens
        self.bagCharacters = bagCharacters
        current = scratch.current.pointer
    }
}

extension Model {
    /// Runs the layers for one or more texts (at most TRK_LANES), leaving each text's last layer
    /// output at its `current` (valid until its scratch is reused). Several texts go through
    /// recurrent layers in lockstep (`RecurrentLayer.forward(lanes:)`); each gets exactly the
    /// bits it gets alone. `splitDirections` (one text): a Bidirectional layer's backward
    /// direction runs on a helper thread.
    func forward(_ lanes: UnsafeMutableBufferPointer<LayerLane>, splitDirections: Bool) {
        for (index, layer) in layers.enumerated() where !skipsNetwork || index == layers.count - 1 {
            // A first recurrent layer with a projection table reads the ids, not the vectors.
            let readsIDs = index == 1 && usesProjection
            switch layer {
            case .embedding(let table, let maskZero):
                for l in lanes.indices {
                    let scratch = lanes[l].scratch, ids = lanes[l].ids, steps = ids.count
                    lanes[l].current = scratch.current.reserve(max(steps * table.dim, 1))
                    if steps > 0 && !usesProjection { SequenceLayers.embed(table, ids: ids.baseAddress!, steps: steps, output: lanes[l].current) }
                    if maskZero {
                        let mask = scratch.mask.reserve(max(steps, 1))
                        for t in 0..<steps { mask[t] = ids[t] != 0 ? 1 : 0 }
                        lanes[l].mask = mask
                    }
                    lanes[l].features = table.dim
                }
            case .recurrent(let recurrent):
                withUnsafeTemporaryAllocation(of: RecurrentLaneArguments.self, capacity: lanes.count) { arguments in
                    for l in lanes.indices {
                        let lane = lanes[l], scratch = lane.scratch
                        arguments.initializeElement(at: l, to: RecurrentLaneArguments(
                            input: lane.current, mask: lane.mask, steps: lane.steps,
                            output: scratch.next.reserve(max(lane.steps, 1) * recurrent.spec.units),
                            scratch: scratch.recurrent.reserve(recurrent.scratchCount(steps: lane.steps)),
                            ids: readsIDs ? lane.ids.baseAddress : nil))
                    }
                    recurrent.forward(lanes: UnsafeBufferPointer(arguments))
                    for l in lanes.indices {
                        // Keras passes the input mask on unchanged, even after go_backwards reversed
                        // the outputs; so do we.
                        if !recurrent.spec.returnSequences { lanes[l].mask = nil }
                        lanes[l].features = recurrent.spec.units
                        swap(&lanes[l].scratch.current, &lanes[l].scratch.next)
                        lanes[l].current = arguments[l].output
                    }
                    _ = arguments.deinitialize()
                }
            case .bidirectional(let forward, let backward, let mergeMode):
                bidirectional(forward, backward, mergeMode, lanes, readsIDs: readsIDs, splitDirections: splitDirections)
            case .globalMaxPooling(let masked):
                for l in lanes.indices {
                    let lane = lanes[l]
                    let output = lane.scratch.next.reserve(lane.features)
                    SequenceLayers.maxPool(lane.current, steps: lane.steps, features: lane.features, mask: lane.mask, masked: masked, output: output)
                    pooled(&lanes[l], output)
                }
            case .globalAveragePooling:
                for l in lanes.indices {
                    let lane = lanes[l]
                    let output = lane.scratch.next.reserve(lane.features)
                    SequenceLayers.averagePool(lane.current, steps: lane.steps, features: lane.features, mask: lane.mask, output: output)
                    pooled(&lanes[l], output)
                }
            case .dense(let kernel, let bias, let activation):
                // The bag branch adds to the last Dense layer's pre-activation.
                let bag = index == layers.count - 1 ? self.bag : nil
                for l in lanes.indices {
                    let lane = lanes[l], scratch = lane.scratch
                    let output = scratch.next.reserve(kernel.columns)
                    SequenceLayers.dense(skipsNetwork ? nil : lane.current, kernel: kernel, bias: bias, activation: activation, output: output,
                                         beforeActivation: bag.map { bag in { bag.addLogits(ids: lane.bagTokens, characters: lane.bagCharacters, scratch: &scratch.bag, into: $0) } })
                    swap(&lanes[l].scratch.current, &lanes[l].scratch.next)
                    lanes[l].current = output
                    lanes[l].features = kernel.columns
                }
            }
        }
    }

    /// After a pooling layer wrote `output`: one vector, no mask.
    private func pooled(_ lane: inout LayerLane, _ output: UnsafeMutablePointer<Float>) {
        swap(&lane.scratch.current, &lane.scratch.next)
        lane.current = output
        lane.mask = nil
    }

    private func bidirectional(
        _ forward: RecurrentLayer, _ backward: RecurrentLayer, _ mergeMode: MergeMode,
        _ lanes: UnsafeMutableBufferPointer<LayerLane>, readsIDs: Bool, splitDirections: Bool
    ) {
        let isSequence = forward.spec.returnSequences
        let units = forward.spec.units + backward.spec.units
        withUnsafeTemporaryAllocation(of: RecurrentLaneArguments.self, capacity: 2 * lanes.count) { arguments in
            let forwardArguments = UnsafeMutableBufferPointer(rebasing: arguments[0..<lanes.count])
            let backwardArguments = UnsafeMutableBufferPointer(rebasing: arguments[lanes.count...])
            for l in lanes.indices {
                let lane = lanes[l], scratch = lane.scratch
                let rows = isSequence ? max(lane.steps, 1) : 1
                let ids = readsIDs ? lane.ids.baseAddress : nil
                // The two directions run one after the other on this thread and share `work`,
                // unless the backward one runs on a helper thread with a scratch of its own.
                let work = scratch.recurrent.reserve(max(forward.scratchCount(steps: lane.steps), backward.scratchCount(steps: lane.steps)))
                let backwardWork = splitDirections ? scratch.helperRecurrent.reserve(backward.scratchCount(steps: lane.steps)) : work
                forwardArguments.initializeElement(at: l, to: RecurrentLaneArguments(
                    input: lane.current, mask: lane.mask, steps: lane.steps, output: scratch.next.reserve(rows * units),
                    scratch: work, ids: ids))
                backwardArguments.initializeElement(at: l, to: RecurrentLaneArguments(
                    input: lane.current, mask: lane.mask, steps: lane.steps,
                    output: scratch.backward.reserve(rows * backward.spec.units), scratch: backwardWork, ids: ids))
            }
            if splitDirections && lanes.count == 1 {
                let f = forwardArguments[0], b = backwardArguments[0]
                lanes[0].scratch.directionTask.run(
                    backward, input: b.input, mask: b.mask, steps: b.steps, output: b.output, scratch: b.scratch, ids: b.ids
                ) {
                    forward.forward(input: f.input, mask: f.mask, steps: f.steps, output: f.output, scratch: f.scratch, ids: f.ids)
                }
            } else {
                forward.forward(lanes: UnsafeBufferPointer(forwardArguments))
                backward.forward(lanes: UnsafeBufferPointer(backwardArguments))
            }
            for l in lanes.indices {
                // Merge in place: concat writes row t after reading forward row t only.
                let merged = lanes[l].scratch.current.reserve((isSequence ? max(lanes[l].steps, 1) : 1) * units)
                SequenceLayers.merge(
                    forward: forwardArguments[l].output, backward: backwardArguments[l].output,
                    forwardUnits: forward.spec.units, backwardUnits: backward.spec.units, steps: lanes[l].steps,
                    isSequence: isSequence, mode: mergeMode, output: merged)
                if !isSequence { lanes[l].mask = nil }
                lanes[l].features = mergeMode == .concat ? units : forward.spec.units
                lanes[l].current = merged
            }
            _ = arguments.deinitialize()
        }
    }
}
