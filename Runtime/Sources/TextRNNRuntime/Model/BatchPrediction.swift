import Synchronization

/// Texts a batch prediction reads by index, from any of its threads.
@_spi(TextRNNInternal) public protocol BatchTexts: Sendable {
    var count: Int { get }
    /// Runs `body` on the bytes of text `index`; throws if that text cannot be read.
    func withText(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(TextRNNError) -> Void) throws(TextRNNError)
}

/// Swift strings as a batch (their UTF-8 bytes).
@_spi(TextRNNInternal) public struct StringBatch: BatchTexts {
    let texts: [String]
    @_spi(TextRNNInternal) public init(_ texts: [String]) { self.texts = texts }
    @_spi(TextRNNInternal) public var count: Int { texts.count }
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
    /// scratch (the calling thread and pthreads, `runWorkers`) claims texts one at a time, so the
    /// results do not depend on the number of workers. Texts after a failure may be left
    /// unpredicted; the lowest failing index is returned.
    ///
    /// `threads`, the threads the caller gave the batch (at least `scratches.count`): with two or
    /// more per text, each text's Bidirectional layers also run their directions side by side
    /// (the second on one of the library's helper threads), which shortens a single text's
    /// latency. The results are the same bits either way.
    @_spi(TextRNNInternal) public func predictBatch<Texts: BatchTexts>(
        _ texts: Texts, into output: UnsafeMutablePointer<Float>, scratches: [PredictionScratch], threads: Int
    ) -> BatchFailure? {
        guard texts.count > 0 else { return nil }
        let job = BatchJob(model: self, texts: texts, output: output, scratches: scratches,
                           splitDirections: threads >= 2 * texts.count)
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
private final class BatchJob<Texts: BatchTexts>: @unchecked Sendable {
    // Read-only after init, except `next`, `failedIndex` and `failures` (synchronized); worker w
    // alone uses scratches[w], and each output row is written by the worker that claimed it.
    let model: Model
    let texts: Texts
    let output: UnsafeMutablePointer<Float>
    let scratches: [PredictionScratch]
    let splitDirections: Bool
    let next = Atomic<Int>(0)
    /// Lowest failing index so far (Int.max = none); indices above it are skipped.
    let failedIndex = Atomic<Int>(Int.max)
    let failures = Mutex<[BatchFailure]>([])

    init(model: Model, texts: Texts, output: UnsafeMutablePointer<Float>, scratches: [PredictionScratch], splitDirections: Bool) {
        self.model = model
        self.texts = texts
        self.output = output
        self.scratches = scratches
        self.splitDirections = splitDirections
    }

    /// Claims texts one at a time until none are left.
    func work(scratch: PredictionScratch) {
        let labelCount = model.labelCount
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < texts.count else { return }
            // Every index below a failure was claimed earlier, so the lowest failure is exact.
            if index > failedIndex.load(ordering: .relaxed) { continue }
            let row = UnsafeMutableBufferPointer(start: output + index * labelCount, count: labelCount)
            do throws(TextRNNError) {
                try texts.withText(index) { bytes throws(TextRNNError) in
                    try model.predict(text: bytes, into: row, scratch: scratch, splitDirections: splitDirections)
                }
            } catch {
                failures.withLock { $0.append(BatchFailure(index: index, error: error)) }
                var current = failedIndex.load(ordering: .relaxed)
                while index < current {
                    let (exchanged, original) = failedIndex.compareExchange(expected: current, desired: index, ordering: .relaxed)
                    if exchanged { break }
                    current = original
                }
            }
        }
    }
}
