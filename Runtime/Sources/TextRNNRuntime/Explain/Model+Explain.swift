import Synchronization

extension Model {
    /// Explains the probability of `label` (nil: the most probable label, ties to the lower
    /// index) for `text` by occlusion: each word's contribution is p(label | text) minus
    /// p(label | text with that word occluded), see `Occlusion`. Only the first `wordLimit`
    /// words are explained (`Explanation.wordCount` still counts all).
    ///
    /// Cost: one forward pass per seen word whose ids occlusion changes, each rerunning only the
    /// recurrent steps the change reaches (on average half of a Bidirectional layer), spread
    /// over `threads` threads (0 = one per online CPU). The result does not depend on `threads`
    /// and equals predicting each occluded id sequence, bit for bit.
    @_optimize(size)  // once per explanation: libtextrnn.so has a size budget (docs/packaging.md)
    public func explain(
        text: UnsafeBufferPointer<UInt8>, label: Int? = nil, occlusion: Occlusion = .oov, threads: Int = 1,
        wordLimit: Int = .max
    ) throws(TextRNNError) -> Explanation {
        if let label, label < 0 || label >= labelCount {
            throw TextRNNError(.invalidArgument, "label \(label) is outside 0..<\(labelCount)")
        }
        guard threads >= 0 else { throw TextRNNError(.invalidArgument, "threads is \(threads); it must be 0 or more") }
        let plan = try OcclusionPlan(
            pipeline: pipeline, text: text, wordLimit: wordLimit, wholeText: bag?.features.spec.wholeText == true,
            characterSizes: bag.flatMap { $0.features.spec.characters > 0 ? $0.features.spec.characterSizes : nil })
        try plan.ids.withUnsafeBufferPointer { ids throws(TextRNNError) in try validate(ids: ids) }

        let baseline = ForwardTrace(model: self, plan: plan, logging: true)
        var probabilities = [Float](repeating: 0, count: labelCount)
        writeProbabilities(tracedForward(baseline), into: &probabilities)
        let chosen = label ?? LabelOrder.top(probabilities)
        let probability = probabilities[chosen]

        let replacement = occlusion.replacementID(in: pipeline.vocabulary)
        // A word cut off by truncation still changes the tokens a whole-text bag reads: its pass
        // has no input range and reruns every layer.
        let changes = (0..<plan.plannedWords).compactMap { word -> (word: Int, range: ClosedRange<Int>?)? in
            let range = plan.changedRange(ofWord: word, replacement: replacement)
            return range != nil || plan.changesTokens(ofWord: word, replacement: replacement) ? (word, range) : nil
        }
        var contributions = [Float](repeating: 0, count: plan.plannedWords)
        if !changes.isEmpty {
            contributions.withUnsafeMutableBufferPointer { contributions in
                let job = OcclusionJob(
                    model: self, plan: plan, baseline: baseline, changes: changes, label: chosen,
                    probability: probability, replacement: replacement, contributions: contributions)
                let workers = min(threads == 0 ? onlineProcessors() : threads, changes.count)
                runWorkers(workers) { _ in job.work() }
            }
        }
        let words = (0..<plan.plannedWords).map { word in
            WordContribution(
                range: plan.spans[word], contribution: contributions[word], seen: plan.isSeen(word))
        }
        return Explanation(label: chosen, probability: probability, wordCount: plan.spans.count, words: words)
    }

    /// Convenience for tests and tools: explains a Swift string.
    @_optimize(size)  // once per explanation: libtextrnn.so has a size budget (docs/packaging.md)
    public func explain(
        text: String, label: Int? = nil, occlusion: Occlusion = .oov, threads: Int = 1
    ) throws(TextRNNError) -> Explanation {
        var text = text
        let result: Result<Explanation, TextRNNError> = text.withUTF8 { bytes in
            do throws(TextRNNError) {
                return .success(try explain(text: bytes, label: label, occlusion: occlusion, threads: threads))
            } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// The occluded passes of one explanation, claimed one word at a time by worker threads. Each
/// worker has its own trace; the baseline trace and the plan are only read.
private final class OcclusionJob: @unchecked Sendable {
    // Read-only after init except `next` (atomic) and disjoint `contributions` slots.
    let model: Model
    let plan: OcclusionPlan
    let baseline: ForwardTrace
    let changes: [(word: Int, range: ClosedRange<Int>?)]
    let label: Int
    let probability: Float
    let replacement: Int32
    let contributions: UnsafeMutableBufferPointer<Float>
    let next = Atomic<Int>(0)

    init(
        model: Model, plan: OcclusionPlan, baseline: ForwardTrace, changes: [(word: Int, range: ClosedRange<Int>?)],
        label: Int, probability: Float, replacement: Int32, contributions: UnsafeMutableBufferPointer<Float>
    ) {
        self.model = model
        self.plan = plan
        self.baseline = baseline
        self.changes = changes
        self.label = label
        self.probability = probability
        self.replacement = replacement
        self.contributions = contributions
    }

    func work() {
        let trace = ForwardTrace(model: model, plan: plan, logging: false)
        var probabilities = [Float](repeating: 0, count: model.labelCount)
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < changes.count else { return }
            let (word, range) = changes[index]
            let positions = plan.positions(ofWord: word), tokenIndices = plan.tokenIndices(ofWord: word)
            for position in positions { trace.ids[position] = replacement }
            for index in tokenIndices { trace.bagTokens[index] = replacement }
            if !plan.characters.isEmpty { plan.characters(without: word, into: &trace.characters) }
            let output = model.tracedForward(trace, baseline: baseline, changed: range)
            model.writeProbabilities(output, into: &probabilities)
            contributions[word] = probability - probabilities[label]
            for position in positions { trace.ids[position] = plan.ids[position] }
            for index in tokenIndices { trace.bagTokens[index] = plan.tokens[index] }
            if !plan.characters.isEmpty { plan.characters(without: nil, into: &trace.characters) }
        }
    }
}
