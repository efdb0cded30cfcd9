import CTextRNNKernels
import Synchronization

/// Texts a batch prediction reads by index, from any of its threads.
@_spi(TextRNNInternal) public protocol BatchTexts: Sendable {
    var count: Int { get }
    /// The length of text `index` in bytes (it orders the texts for lockstep groups).
    func byteCount(_ index: Int) -> Int
    /// Runs `body` on the bytes of text `index`; throws if that text cannot be read.
    func withText(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(TextRNNError) -> Void) throws(TextRNNError)
}

/// Swift strings as a batch (their UTF-8 bytes).
@_spi(TextRNNInternal) public struct StringBatch: BatchTexts {
    let texts: [String]
    @_spi(TextRNNInternal) public init(_ texts: [String]) { self.texts = texts }
    @_spi(TextRNNInternal) public var count: Int { texts.count }
    @_spi(TextRNNInternal) public func byteCount(_ index: Int) -> Int { texts[index].utf8.count }
    @_spi(TextRNNInternal) public func withText(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(TextRNNError) -> Void) throws(TextRNNError) {
        var text = texts[index]
        let result: Result<Void, TextRNNError> = text.withUTF8 { bytes in
            do throws(TextRNNError) { return .success(try body(bytes)) } catch { return .failure(error) }
        }
        try result.get()
    }
}

/// Byte strings (lines as read, any bytes) as a batch.
@_spi(TextRNNInternal) public struct ByteBatch: BatchTexts {
    let texts: [[UInt8]]
    @_spi(TextRNNInternal) public init(_ texts: [[UInt8]]) { self.texts = texts }
    @_spi(TextRNNInternal) public var count: Int { texts.count }
    @_spi(TextRNNInternal) public func byteCount(_ index: Int) -> Int { texts[index].count }
    @_spi(TextRNNInternal) public func withText(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(TextRNNError) -> Void) throws(TextRNNError) {
        try texts[index].withUnsafeBufferPointer { bytes throws(TextRNNError) in try body(bytes) }
    }
}

/// The first failure of a batch: the lowest failing index, whatever the thread timing.
@_spi(TextRNNInternal) public struct BatchFailure: Error {
    @_spi(TextRNNInternal) public let index: Int
    @_spi(TextRNNInternal) public let error: TextRNNError
}

extension Model {
    /// The one batch loop (textrnn_predict_batch, `textrnn predict`, `probabilities(for:)`):
    /// row i of `output` (`labelCount` floats) gets the probabilities of text i. One worker per
    /// scratch (the calling thread and pthreads, `runWorkers`) claims texts, so the results do
    /// not depend on the number of workers. Texts after a failure may be left unpredicted; the
    /// lowest failing index is returned.
    ///
    /// How the work is shared, never changing a result's bits:
    /// - Models whose recurrent layers share products (`RecurrentLayer.forward(lanes:)`) take
    ///   TRK_LANES texts at a time through them in lockstep, longest texts first, so that the
    ///   texts of a group have similar lengths.
    /// - `threads`, the threads the caller gave the batch (at least `scratches.count`): with two
    ///   or more per text, each text's Bidirectional layers run their two directions side by
    ///   side (the second on one of the library's helper threads), for one text's latency.
    @_spi(TextRNNInternal) public func predictBatch<Texts: BatchTexts>(
        _ texts: Texts, into output: UnsafeMutablePointer<Float>, scratches: [PredictionScratch], threads: Int
    ) -> BatchFailure? {
        guard texts.count > 0 else { return nil }
        let splitDirections = threads >= 2 * texts.count
        let lockstep = !splitDirections && texts.count > 1 && sharesProducts
        let job = BatchJob(model: self, texts: texts, output: output, scratches: scratches,
                           splitDirections: splitDirections,
                           order: lockstep ? (0..<texts.count).sorted { texts.byteCount($0) > texts.byteCount($1) } : nil)
        runWorkers(min(scratches.count, texts.count)) { worker in job.work(scratch: job.scratches[worker]) }
        return job.failures.withLock { failures in failures.min { $0.index < $1.index } }
    }

    /// Probabilities [texts, labels] of Swift strings, the texts shared among `threads` workers.
    /// The earliest failing row (1-based) is reported.
    public func probabilities(for texts: [String], threads: Int) throws(TextRNNError) -> [Float] {
        var output = [Float](repeating: 0, count: texts.count * labelCount)
        let scratches = (0..<max(1, threads)).map { _ in PredictionScratch() }
        let failure = output.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { predictBatch(StringBatch(texts), into: $0, scratches: scratches, threads: threads) }
        }
        if let failure { throw TextRNNError(.invalidArgument, "row \(failure.index + 1): \(failure.error)") }
        return output
    }
}

/// One batch: shared read-only inputs, an atomic work counter and the lowest failing index.
/// Not generic: the texts are an existential, so the library carries one copy of this code
/// rather than one per kind of texts (a call through the existential per text costs nothing
/// next to a prediction; libtextrnn.so has a size budget, docs/packaging.md).
private final class BatchJob: @unchecked Sendable {
    // Read-only after init, except `next`, `failedIndex` and `failures` (synchronized); worker w
    // alone uses scratches[w], and each output row is written by the worker that claimed it.
    let model: Model
    let texts: any BatchTexts
    let output: UnsafeMutablePointer<Float>
    let scratches: [PredictionScratch]
    let splitDirections: Bool
    /// Lockstep groups: the texts in the order they are claimed, TRK_LANES at a time.
    let order: [Int]?
    let next = Atomic<Int>(0)
    /// Lowest failing index so far (Int.max = none); indices above it are skipped.
    let failedIndex = Atomic<Int>(Int.max)
    let failures = Mutex<[BatchFailure]>([])

    init(
        model: Model, texts: any BatchTexts, output: UnsafeMutablePointer<Float>, scratches: [PredictionScratch],
        splitDirections: Bool, order: [Int]?
    ) {
        self.model = model
        self.texts = texts
        self.output = output
        self.scratches = scratches
        self.splitDirections = splitDirections
        self.order = order
    }

    /// Claims texts (one at a time, or a lockstep group at a time) until none are left.
    func work(scratch: PredictionScratch) {
        guard let order else {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < texts.count else { return }
                predictOne(index, scratch: scratch)
            }
        }
        let lanes = Int(TRK_LANES)
        while true {
            let first = next.wrappingAdd(lanes, ordering: .relaxed).oldValue
            guard first < texts.count else { return }
            predictGroup(order[first..<min(first + lanes, texts.count)], scratch: scratch)
        }
    }

    private func predictOne(_ index: Int, scratch: PredictionScratch) {
        // Indices above a failure are skipped; those below are all predicted, so the lowest
        // failure is exact whatever the claiming order.
        if index > failedIndex.load(ordering: .relaxed) { return }
        let row = UnsafeMutableBufferPointer(start: output + index * model.labelCount, count: model.labelCount)
        do throws(TextRNNError) {
            try texts.withText(index) { bytes throws(TextRNNError) in
                try model.predict(text: bytes, into: row, scratch: scratch, splitDirections: splitDirections)
            }
        } catch {
            fail(index, error)
        }
    }

    /// Up to TRK_LANES texts through the layers together (`Model.forward`), each in a scratch
    /// of its own; a text that fails to encode is reported and left out.
    private func predictGroup(_ indices: ArraySlice<Int>, scratch: PredictionScratch) {
        let others = scratch.otherLanes
        withUnsafeTemporaryAllocation(of: LayerLane.self, capacity: indices.count) { lanes in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: indices.count) { rows in
                var count = 0
                for index in indices where index <= failedIndex.load(ordering: .relaxed) {
                    let lane = count == 0 ? scratch : others[count - 1]
                    do throws(TextRNNError) {
                        try texts.withText(index) { bytes throws(TextRNNError) in
                            let (ids, bagTokens, characters) = try model.prepareLane(bytes, scratch: lane)
                            lanes.initializeElement(
                                at: count, to: LayerLane(scratch: lane, ids: ids, bagTokens: bagTokens, bagCharacters: characters))
                        }
                        rows[count] = index
                        count += 1
                    } catch {
                        fail(index, error)
                    }
                }
                let group = UnsafeMutableBufferPointer(rebasing: lanes[0..<count])
                model.forward(group, splitDirections: false)
                for l in 0..<count { model.writeProbabilities(group[l].current, into: output + rows[l] * model.labelCount) }
                _ = group.deinitialize()
            }
        }
    }

    private func fail(_ index: Int, _ error: TextRNNError) {
        failures.withLock { $0.append(BatchFailure(index: index, error: error)) }
        var current = failedIndex.load(ordering: .relaxed)
        while index < current {
            let (exchanged, original) = failedIndex.compareExchange(expected: current, desired: index, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}

extension Model {
    /// Encodes and checks one text of a lockstep group: its ids, bag tokens and character n-gram
    /// buckets, copied into buffers of `scratch` that stay put while the group runs.
    func prepareLane(
        _ text: UnsafeBufferPointer<UInt8>, scratch: PredictionScratch
    ) throws(TextRNNError) -> (ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>, characters: UnsafeBufferPointer<UInt32>) {
        func stable<T>(_ values: [T], _ buffer: GrowableBuffer<T>) -> UnsafeBufferPointer<T> {
            let pointer = buffer.reserve(max(values.count, 1))
            values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: $0.count) } }
            return UnsafeBufferPointer(start: pointer, count: values.count)
        }
        let wholeText = try encode(text, scratch: scratch)
        let ids = stable(scratch.ids, scratch.laneIDs)
        try validate(ids: ids)
        return (ids, wholeText ? stable(scratch.tokens, scratch.laneTokens) : ids, stable(scratch.characters, scratch.laneCharacters))
    }
}
