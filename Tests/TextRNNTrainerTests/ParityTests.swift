import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// The trainer (batched GEMMs over padded, masked batches) and the runtime (batch-1 kernels over
/// one text at a time) implement every layer separately; here they must agree, layer kind by
/// layer kind, on real text: each variant is trained for one epoch on a slice of ag_news_mini
/// (softmax) or IMDB (sigmoid), exported, and both sides classify a slice of the test split.
/// trainerAndRuntimeAgreeOnTheWholeIMDBTestSet is the long version for one architecture.
@Suite struct ParityTests {
    struct Variant: CustomStringConvertible, Sendable {
        let description: String
        var cell: TrainingConfig.Cell = .gru
        var resetAfter = true
        var units = [8]
        var bidirectional = false
        /// Bidirectional merge modes other than concat are not a training option: the concat
        /// model is trained, then its embedding and recurrent weights are reused under this mode
        /// (the Dense head after it keeps its seeded initialization).
        var mergeMode: MergeMode = .concat
        var pooling: TrainingConfig.Pooling = .last
        var denseUnits: [Int] = []
        var padding = "post"
        var bag = false
        var imdb = false
    }

    static let variants: [Variant] = [
        Variant(description: "SimpleRNN, last state, post padding", cell: .simpleRNN),
        Variant(description: "SimpleRNN, max pooling, pre padding", cell: .simpleRNN, pooling: .max, padding: "pre"),
        Variant(description: "LSTM, average pooling", cell: .lstm, pooling: .average),
        Variant(description: "LSTM, last state, pre padding, IMDB sigmoid", cell: .lstm, padding: "pre", imdb: true),
        Variant(description: "GRU reset_after, max pooling", pooling: .max),
        Variant(description: "GRU reset_before, last state, pre padding", resetAfter: false, padding: "pre"),
        Variant(description: "GRU reset_before, average pooling", resetAfter: false, pooling: .average),
        Variant(description: "stacked LSTM x2 bidirectional, max pooling, Dense 8", cell: .lstm, units: [8, 8],
                bidirectional: true, pooling: .max, denseUnits: [8]),
        Variant(description: "stacked GRU x3, last state", units: [8, 8, 8]),
        Variant(description: "Bidirectional concat, average pooling", bidirectional: true, pooling: .average),
        Variant(description: "Bidirectional sum, last state", bidirectional: true, mergeMode: .sum),
        Variant(description: "Bidirectional mul, last state, pre padding", cell: .lstm, bidirectional: true, mergeMode: .mul, padding: "pre"),
        Variant(description: "Bidirectional ave, average pooling", cell: .simpleRNN, bidirectional: true, mergeMode: .ave, pooling: .average),
        Variant(description: "Bidirectional ave, sequences into max pooling", resetAfter: false, bidirectional: true, mergeMode: .ave, pooling: .max),
        Variant(description: "bag branch, GRU average pooling, ag_news softmax", pooling: .average, bag: true),
        Variant(description: "bag branch, LSTM last state, IMDB sigmoid", cell: .lstm, bag: true, imdb: true),
    ]

    /// 320 training and 160 test rows of a corpus, spread over each file (so every class
    /// appears); loaded once for all variants.
    static func slices(_ corpus: String) -> Result<(train: LabelledDataset, test: LabelledDataset), any Error> {
        Result {
            func slice(_ split: String, _ count: Int, _ labelMap: LabelMap?) throws -> LabelledDataset {
                let full = try DatasetLoader.load(try DataTestSupport.dataPath("\(corpus)/\(split).csv"), labelMap: labelMap)
                return full.subset(Array(stride(from: 0, to: full.count, by: max(1, full.count / count)).prefix(count)))
            }
            let train = try slice("train", 320, nil)
            return (train, try slice("test", 160, train.labelMap))
        }
    }
    static let agNews = slices("ag_news_mini")
    static let imdb = slices("imdb")

    @Test(arguments: variants)
    func trainerAndRuntimeAgree(_ variant: Variant) throws {
        let (train, test) = try (variant.imdb ? Self.imdb : Self.agNews).get()
        var config = TrainingConfig()
        config.cell = variant.cell
        config.resetAfter = variant.resetAfter
        config.units = variant.units
        config.bidirectional = variant.bidirectional
        config.pooling = variant.pooling
        config.denseUnits = variant.denseUnits
        config.padding = variant.padding
        config.bag = variant.bag
        config.embeddingDim = 8
        config.maxTokens = 2000
        config.sequenceLength = 48
        config.epochs = 1
        config.batchSize = 32
        config.validationSplit = 0
        config.learningRate = 0.01

        let session = try TrainingSession(config: config, train: train, log: { _ in })
        let encodedTrain = try session.encode(train), encodedTest = try session.encode(test)
        _ = try session.fit(train: encodedTrain, validation: nil, progress: ProgressReporter(quiet: true),
                            checkpoint: { _ in }, shouldStop: { false })
        if variant.bag {
            // The bag's C and mix are chosen on held-out training rows.
            let split = train.stratifiedSplit(validationFraction: 0.25, seed: 1)
            try session.fitBag(train: try session.encode(split.train), validation: try session.encode(split.validation), log: { _ in })
            #expect(session.bag != nil)
        }

        var contents = try session.bundleContents(training: nil)
        var trainer: [Float]
        if variant.mergeMode == .concat {
            trainer = try session.evaluate(encodedTest).probabilities
        } else {
            let network = try Self.remerged(session.network, variant.mergeMode)
            contents.layers = network.specs
            contents.tensors = try network.bundleTensors()
            trainer = try Self.probabilities(network, encodedTest)
        }
        let (manifest, weights) = try BundleWriter.encode(contents)
        let model = try manifest.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        let runtime = try model.probabilities(for: test.texts, threads: 2)

        // The trainer's rows as the runtime writes them ([1 - p, p] for a binary sigmoid).
        if model.manifest.output == .binarySigmoid { trainer = trainer.flatMap { [1 - $0, $0] } }
        let width = model.labelCount
        #expect(trainer.count == runtime.count)
        var worst: Float = 0, differentLabels = 0
        for row in 0..<test.count {
            let a = runtime[(row * width)..<((row + 1) * width)], b = trainer[(row * width)..<((row + 1) * width)]
            worst = max(worst, zip(a, b).map { abs($0 - $1) }.max()!)
            if LabelOrder.top(a) != LabelOrder.top(b) { differentLabels += 1 }
        }
        #expect(worst <= 1e-5, "\(variant): max |runtime - trainer| = \(worst)")
        #expect(differentLabels == 0, "\(variant): \(differentLabels) of \(test.count) top labels differ")
        // Not a degenerate model: the probabilities vary from text to text.
        #expect(Set(runtime).count > test.count, "\(variant): the probabilities barely vary")
    }

    /// The trained network with every Bidirectional layer merged by `mode`: embedding and
    /// recurrent weights copied, the rest (the Dense head, whose input width changes) seeded.
    static func remerged(_ trained: Network, _ mode: MergeMode) throws -> Network {
        let specs = trained.specs.map { spec -> LayerSpec in
            guard case .bidirectional(let forward, let backward, _) = spec else { return spec }
            return .bidirectional(forward: forward, backward: backward, mergeMode: mode)
        }
        let network = try Network(layers: specs, seed: 3)
        var copied = 0
        for name in network.store.tensorNames where trained.store.tensorNames.contains(name) {
            let values = try trained.store.tensor(named: name)
            if values.count == (try network.store.view(named: name)).count {
                try network.store.setTensor(named: name, to: values)
                copied += 1
            }
        }
        #expect(copied >= 4, "embedding and both directions' weights carried over")
        return network
    }

    /// The trainer's forward pass over `data` in batches of mixed lengths (padded and masked).
    static func probabilities(_ network: Network, _ data: EncodedDataset) throws -> [Float] {
        var ids: [Int32] = [], targets: [Float] = [], rng = SeededGenerator(seed: 0)
        var output: [Float] = []
        let rows = Array(0..<data.count)
        for start in stride(from: 0, to: data.count, by: 32) {
            let (batch, time) = data.batch(rows[start..<min(start + 32, data.count)], ids: &ids, targets: &targets)
            output += try network.forward(tokenIds: ids, batch: batch, time: time, training: false, rng: &rng)
        }
        return output
    }
}
