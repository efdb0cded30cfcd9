import Dispatch
import TextRNNRuntime

/// A dataset turned into token ids once, up front, with the runtime's own pipeline: what the
/// trainer learns from is byte for byte what the runtime will see.
public struct EncodedDataset: Sendable {
    public let count: Int
    public let length: Int  // ids per row (the pipeline's sequence_length)
    public let padding: TextPipelineConfig.Side
    public let ids: [Int32]  // [count, length]
    public let tokenCounts: [Int32]  // [count] non-padding ids per row
    /// Every token of each text, untruncated (what the bag branch reads): row r's are
    /// tokens[tokenStarts[r]..<tokenStarts[r + 1]].
    public let tokens: [Int32]
    public let tokenStarts: [Int]  // [count + 1]
    /// The character n-gram buckets of each text's words, when the bag reads them (else
    /// empty): row r's are characters[characterStarts[r]..<characterStarts[r + 1]].
    public let characters: [UInt32]
    public let characterStarts: [Int]  // [count + 1], or [0] without characters
    /// Targets as the loss wants them: class index (softmax), 0/1 (binary) per row, or
    /// [count, classes] 0/1 (multi-label).
    public let targets: [Float]
    public let targetWidth: Int
    public let labels: [Int]  // [count] primary label, for metrics
    public let labelSets: [[Int]]
    /// Logits [count, outputs] the network's are added to, when the network is stacked on the
    /// bag branch (TrainingSession.stackOnBag): the bag's out-of-fold logits for the training
    /// rows, its train-only fit's for the validation rows. Nil otherwise.
    public internal(set) var baseLogits: [Float]?

    /// `characterSizes`: also keep each text's character n-gram buckets (`CharacterNgrams`).
    public init(
        _ dataset: LabelledDataset, pipeline: TextPipeline, multiLabel: Bool, threads: Int, characterSizes: ClosedRange<Int>? = nil
    ) throws {
        guard let length = pipeline.config.sequenceLength else { throw TrainingError("the trainer needs a fixed sequence_length") }
        let count = dataset.count
        var ids = [Int32](repeating: 0, count: count * length)
        var tokenCounts = [Int32](repeating: 0, count: count)
        var textTokens = [[Int32]](repeating: [], count: count)
        var textCharacters = [[UInt32]](repeating: [], count: characterSizes == nil ? 0 : count)
        let chunks = max(1, min(threads, count))
        let failure = FirstError()
        ids.withUnsafeMutableBufferPointer { idsBuffer in
            tokenCounts.withUnsafeMutableBufferPointer { countsBuffer in
                textTokens.withUnsafeMutableBufferPointer { tokensBuffer in
                    textCharacters.withUnsafeMutableBufferPointer { charactersBuffer in
                        nonisolated(unsafe) let charactersOut = charactersBuffer.baseAddress
                        nonisolated(unsafe) let idsOut = idsBuffer.baseAddress!
                        nonisolated(unsafe) let countsOut = countsBuffer.baseAddress!
                        nonisolated(unsafe) let tokensOut = tokensBuffer.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            var row: [Int32] = []
                            var scratch = TokenizerScratch()
                            var characterScratch = CharacterScratch()
                            for index in stride(from: chunk, to: count, by: chunks) {
                                var text = dataset.texts[index]
                                var tokens: [Int32] = []
                                do {
                                    try text.withUTF8 { bytes in try pipeline.encodeTokens(bytes, into: &tokens, scratch: &scratch) }
                                } catch {
                                    failure.record(index, "\(dataset.location(of: index)): \(error)")
                                    return
                                }
                                tokens.withUnsafeBufferPointer { pipeline.window($0, into: &row) }
                                (idsOut + index * length).update(from: row, count: length)
                                countsOut[index] = Int32(row.lazy.filter { $0 != 0 }.count)
                                tokensOut[index] = tokens
                                if let characterSizes, let charactersOut {  // of the words `scratch` holds now
                                    CharacterNgrams.appendBuckets(ofWordsIn: scratch, sizes: characterSizes, into: &charactersOut[index],
                                                                  scratch: &characterScratch)
                                }
                            }
                        }
                    }
                }
            }
        }
        if let message = failure.message { throw TrainingError(message) }
        self.count = count
        self.length = length
        self.padding = pipeline.config.padding
        self.ids = ids
        self.tokenCounts = tokenCounts
        var starts = [0]
        starts.reserveCapacity(count + 1)
        for row in textTokens { starts.append(starts.last! + row.count) }
        self.tokenStarts = starts
        self.tokens = Array(textTokens.joined())
        var characterStarts = [0]
        for row in textCharacters { characterStarts.append(characterStarts.last! + row.count) }
        self.characterStarts = characterStarts
        self.characters = Array(textCharacters.joined())
        self.labels = dataset.labels
        self.labelSets = dataset.labelSets
        if multiLabel {
            targetWidth = dataset.classCount
            var targets = [Float](repeating: 0, count: count * dataset.classCount)
            for (row, set) in dataset.labelSets.enumerated() { for label in set { targets[row * dataset.classCount + label] = 1 } }
            self.targets = targets
        } else {
            targetWidth = 1
            targets = dataset.labels.map(Float.init)
        }
    }

    /// The tokens of `row` (every token of its text), for `body`.
    public func withTokens<R>(ofRow row: Int, _ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try tokens.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[tokenStarts[row]..<tokenStarts[row + 1]])) }
    }

    /// What the bag branch reads of `row`: every token of its text, and its words' character
    /// n-gram buckets (empty without them), for `body`.
    public func withBagInput<R>(
        ofRow row: Int, _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<UInt32>) throws -> R
    ) rethrows -> R {
        let characterRange = characterStarts.count > row + 1 ? characterStarts[row]..<characterStarts[row + 1] : 0..<0
        return try characters.withUnsafeBufferPointer { characters in
            try withTokens(ofRow: row) { try body($0, UnsafeBufferPointer(rebasing: characters[characterRange])) }
        }
    }

    /// One batch: the ids of `rows`, trimmed to the longest row's real tokens. Trimming only drops
    /// padding columns, which masking makes invisible to the model, so it changes no result.
    public func batch(_ rows: ArraySlice<Int>, ids out: inout [Int32], targets: inout [Float]) -> (batch: Int, time: Int) {
        let steps = max(1, Int(rows.map { tokenCounts[$0] }.max() ?? 1))
        let skip = padding == .pre ? length - steps : 0
        out.removeAll(keepingCapacity: true)
        targets.removeAll(keepingCapacity: true)
        for row in rows {
            out.append(contentsOf: ids[(row * length + skip)..<(row * length + skip + steps)])
            targets.append(contentsOf: self.targets[(row * targetWidth)..<((row + 1) * targetWidth)])
        }
        return (rows.count, steps)
    }

    /// `targets` of `rows`, in order.
    func targets(ofRows rows: [Int]) -> [Float] { rows.flatMap { targets[($0 * targetWidth)..<(($0 + 1) * targetWidth)] } }

    /// `baseLogits` of `rows`, in order, into `out` (emptied when there are none).
    func baseLogits(_ rows: ArraySlice<Int>, into out: inout [Float]) {
        out.removeAll(keepingCapacity: true)
        guard let baseLogits else { return }
        let width = baseLogits.count / max(count, 1)
        for row in rows { out.append(contentsOf: baseLogits[(row * width)..<((row + 1) * width)]) }
    }

    /// The batches of one epoch: a seeded shuffle, then (when `bucket`) rows grouped by length
    /// within windows of 32 batches, so each batch's rows are of similar length; batch order is
    /// shuffled again so lengths do not drift through the epoch.
    public func epochBatches(batchSize: Int, bucket: Bool, rng: inout SeededGenerator) -> [ArraySlice<Int>] {
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        if bucket {
            let window = batchSize * 32
            for start in stride(from: 0, to: count, by: window) {
                let end = min(start + window, count)
                order[start..<end].sort { tokenCounts[$0] != tokenCounts[$1] ? tokenCounts[$0] < tokenCounts[$1] : $0 < $1 }
            }
        }
        var batches = stride(from: 0, to: count, by: batchSize).map { order[$0..<min($0 + batchSize, count)] }
        if bucket { batches.shuffle(using: &rng) }
        return batches
    }
}

/// Keeps the first error (by row) reported from concurrent workers.
final class FirstError: @unchecked Sendable {
    private var row = Int.max
    private(set) var message: String?
    private let lock = DispatchQueue(label: "textrnn.first-error")

    func record(_ row: Int, _ message: String) {
        lock.sync {
            if row < self.row {
                self.row = row
                self.message = message
            }
        }
    }
}
