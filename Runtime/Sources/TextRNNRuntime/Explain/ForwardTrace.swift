/// Every layer's output of one forward pass over `steps` ids. Prediction reuses two buffers for
/// all layers; an explanation keeps each layer's output so that an occluded pass can take what
/// the occlusion cannot change from the baseline pass. The baseline trace also logs each
/// recurrent direction's state after every step.
final class ForwardTrace {
    let steps: Int
    let ids: UnsafeMutablePointer<Int32>  // [steps] the input
    /// What the bag branch reads: every token of the text (a whole-text bag), else `ids`.
    let bagTokens: UnsafeMutablePointer<Int32>
    let bagTokenCount: Int
    let mask: UnsafeMutablePointer<UInt8>  // [steps] 1 = real token
    /// Per layer: its output (embedding [steps, dim], recurrent [rows, units], merged
    /// Bidirectional [rows, width], pooling [features], Dense [units]).
    private(set) var outputs: [UnsafeMutablePointer<Float>] = []
    /// Per layer: the outputs of its recurrent directions (forward, then backward), each in
    /// processing order; empty for other layers. A plain recurrent layer's is its output.
    private(set) var directions: [[UnsafeMutablePointer<Float>]] = []
    /// Per layer: the state log of each direction (baseline traces only).
    private(set) var logs: [[RecurrentLog]] = []
    /// RecurrentLayer.forward's working memory, big enough for every recurrent layer.
    private(set) var recurrentScratch: UnsafeMutablePointer<Float>
    /// The bag branch's features of `ids`.
    var bag = BagScratch()
    /// The character n-gram buckets the bag reads (of the words not occluded).
    var characters: [UInt32] = []
    private var owned: [UnsafeMutableRawPointer] = []

    /// A trace of `plan`'s input (and tokens).
    convenience init(model: Model, plan: OcclusionPlan, logging: Bool) {
        self.init(model: model, steps: plan.ids.count, tokens: plan.tokens.count, logging: logging)
        for (position, id) in plan.ids.enumerated() { ids[position] = id }
        for (index, id) in plan.tokens.enumerated() { bagTokens[index] = id }
        plan.characters(without: nil, into: &characters)
    }

    /// `tokens`: how many tokens a whole-text bag reads; 0: the bag (if any) reads `ids`.
    @_optimize(size)  // once per explanation, not per occluded pass: libtextrnn.so has a size budget (docs/packaging.md)
    init(model: Model, steps: Int, tokens: Int, logging: Bool) {
        self.steps = steps
        let rows = max(steps, 1)
        var owned: [UnsafeMutableRawPointer] = []
        func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
            owned.append(raw)
            return raw.bindMemory(to: T.self, capacity: max(count, 1))
        }
        ids = allocate(Int32.self, rows)
        bagTokens = tokens > 0 ? allocate(Int32.self, tokens) : ids
        bagTokenCount = tokens > 0 ? tokens : steps
        mask = allocate(UInt8.self, rows)
        var scratchCount = 1
        var features = 0
        for layer in model.layers {
            var directionOutputs: [UnsafeMutablePointer<Float>] = []
            var directionLogs: [RecurrentLog] = []
            func direction(_ recurrent: RecurrentLayer) -> UnsafeMutablePointer<Float> {
                scratchCount = max(scratchCount, recurrent.scratchCount(steps: steps))
                let units = recurrent.spec.units
                if logging {
                    directionLogs.append(RecurrentLog(states: allocate(Float.self, rows * 2 * units), started: allocate(UInt8.self, rows)))
                }
                let output = allocate(Float.self, (recurrent.spec.returnSequences ? rows : 1) * units)
                directionOutputs.append(output)
                return output
            }
            switch layer {
            case .embedding(let table, _):
                features = table.dim
                outputs.append(allocate(Float.self, rows * features))
            case .recurrent(let recurrent):
                outputs.append(direction(recurrent))
                features = recurrent.spec.units
            case .bidirectional(let forward, let backward, let mergeMode):
                _ = direction(forward)
                _ = direction(backward)
                features = mergeMode == .concat ? forward.spec.units + backward.spec.units : forward.spec.units
                outputs.append(allocate(Float.self, (forward.spec.returnSequences ? rows : 1) * features))
            case .globalMaxPooling, .globalAveragePooling:
                outputs.append(allocate(Float.self, features))
            case .dense(let kernel, _, _):
                features = kernel.columns
                outputs.append(allocate(Float.self, features))
            }
            directions.append(directionOutputs)
            logs.append(directionLogs)
        }
        recurrentScratch = allocate(Float.self, scratchCount)
        self.owned = owned
    }

    deinit { for buffer in owned { buffer.deallocate() } }
}
