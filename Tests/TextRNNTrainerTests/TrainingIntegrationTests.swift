import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// End-to-end training on small slices of the real datasets: determinism, exact resume, and the
/// trainer agreeing with the runtime on a whole test set.
@Suite(.serialized) struct TrainingIntegrationTests {
    /// A small, fast configuration: GRU 16 over 64 tokens.
    func smallConfig() -> TrainingConfig {
        var config = TrainingConfig()
        config.cell = .gru
        config.units = [16]
        config.bidirectional = true
        config.embeddingDim = 16
        config.maxTokens = 3000
        config.sequenceLength = 64
        config.epochs = 2
        config.batchSize = 32
        config.dropout = 0.2
        config.embeddingDropout = 0.1
        config.validationSplit = 0
        config.learningRate = 0.003
        return config
    }

    func agNewsSlice(_ rows: Int) throws -> LabelledDataset {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        // Rows are grouped by class in file order: take an even share of each.
        let perClass = rows / full.classCount
        var indices: [Int] = []
        for label in 0..<full.classCount { indices += full.labels.indices.filter { full.labels[$0] == label }.prefix(perClass) }
        return full.subset(indices.sorted())
    }

    func train(_ config: TrainingConfig, _ data: LabelledDataset, stopAfterBatches: Int? = nil, checkpoint: String? = nil)
        throws -> (TrainingSession, TrainingSession.StopReason)
    {
        let session = try TrainingSession(config: config, train: data, log: { _ in })
        if let checkpoint, FileManager.default.fileExists(atPath: checkpoint) { try session.restoreCheckpoint(from: checkpoint) }
        let encoded = try session.encode(data)
        var batches = 0
        let outcome = try session.fit(
            train: encoded, validation: nil, progress: ProgressReporter(quiet: true),
            checkpoint: { session in if let checkpoint { try session.saveCheckpoint(to: checkpoint) } },
            shouldStop: {
                batches += 1
                return stopAfterBatches.map { batches > $0 } ?? false
            })
        return (session, outcome)
    }

    func bundleBytes(_ session: TrainingSession) throws -> (manifest: [UInt8], weights: [UInt8]) {
        try BundleWriter.encode(session.bundleContents(training: session.trainingMetadata(dataset: "test", trainRows: 0, validationRows: 0, metrics: nil)))
    }

    @Test func sameSeedGivesByteIdenticalBundles() throws {
        let data = try agNewsSlice(400)
        let first = try bundleBytes(train(smallConfig(), data).0)
        let second = try bundleBytes(train(smallConfig(), data).0)
        #expect(first.manifest == second.manifest)
        #expect(first.weights == second.weights)
        var other = smallConfig()
        other.seed = 7
        #expect(try bundleBytes(train(other, data).0).weights != first.weights, "a different seed must give different weights")
    }

    @Test func resumingMidEpochReachesTheUninterruptedResult() throws {
        let data = try agNewsSlice(400)
        let directory = try DataTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = directory + "/run.checkpoint"
        let uninterrupted = try bundleBytes(train(smallConfig(), data).0)

        // Stop in the middle of epoch 1, as Ctrl-C does, then continue in a fresh session.
        let (_, outcome) = try train(smallConfig(), data, stopAfterBatches: 5, checkpoint: checkpoint)
        #expect(outcome == .interrupted)
        let (resumed, finalOutcome) = try train(smallConfig(), data, checkpoint: checkpoint)
        #expect(finalOutcome == .finished)
        let result = try bundleBytes(resumed)
        #expect(result.weights == uninterrupted.weights, "resumed training must land on the same weights")
        #expect(result.manifest == uninterrupted.manifest)
    }

    @Test func damagedCheckpointIsRefused() throws {
        let data = try agNewsSlice(200)
        let directory = try DataTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = directory + "/run.checkpoint"
        var config = smallConfig()
        config.epochs = 1
        _ = try train(config, data, checkpoint: checkpoint)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: checkpoint))
        let session = try TrainingSession(config: config, train: data, log: { _ in })
        #expect(throws: TrainingError.self) { try session.restoreCheckpoint(from: checkpoint) }
    }

    /// The trainer's forward pass and the runtime (which serves the exported bundle) agree on the
    /// whole IMDB test set: identical labels, probabilities within 1e-5.
    @Test func trainerAndRuntimeAgreeOnTheWholeIMDBTestSet() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("imdb/train.csv"))
        let slice = full.subset(Array(stride(from: 0, to: full.count, by: 25)))  // 1,000 rows, both labels
        var config = smallConfig()
        config.cell = .lstm
        config.units = [16, 8]
        config.sequenceLength = 200
        config.padding = .pre
        config.epochs = 1
        config.pooling = .max
        let (session, _) = try train(config, slice)
        let test = try DatasetLoader.load(try DataTestSupport.dataPath("imdb/test.csv"), labelMap: slice.labelMap)
        #expect(test.count == 25_000)
        let trainerProbabilities = try session.evaluate(try session.encode(test)).probabilities

        let (manifest, weights) = try bundleBytes(session)
        let model = try manifest.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        let scratch = PredictionScratch()
        var probabilities = [Float](repeating: 0, count: 2)
        var maxDifference: Float = 0
        var disagreements = 0
        for (row, text) in test.texts.enumerated() {
            var text = text
            try text.withUTF8 { bytes in
                try probabilities.withUnsafeMutableBufferPointer { try model.predict(text: bytes, into: $0, scratch: scratch) }
            }
            let trainer = trainerProbabilities[row]
            maxDifference = max(maxDifference, abs(probabilities[1] - trainer))
            if (probabilities[1] >= 0.5) != (trainer >= 0.5) { disagreements += 1 }
        }
        #expect(maxDifference <= 1e-5, "max |runtime - trainer| = \(maxDifference)")
        #expect(disagreements == 0)
    }
}
