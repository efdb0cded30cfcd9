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
        /// Bidirectional merge modes other than concat are not a training option: the concat
        /// model is trained, then its embedding and recurrent weights are reused under this mode
        /// (the Dense head after it keeps its seeded initialization).
        var mergeMode: MergeMode = .concat
        var imdb = false
        /// Changes to the base configuration: one GRU layer of 8 units, last state, post padding.
        let configure: @Sendable (inout TrainingConfig) -> Void
    }

    static let variants: [Variant] = [
        Variant(description: "SimpleRNN, last state, post padding") { $0.cell = .simpleRNN },
        Variant(description: "SimpleRNN, max pooling, pre padding") { $0.cell = .simpleRNN; $0.pooling = .max; $0.padding = .pre },
        Variant(description: "LSTM, average pooling") { $0.cell = .lstm; $0.pooling = .average },
        Variant(description: "LSTM, last state, pre padding, IMDB sigmoid", imdb: true) { $0.cell = .lstm; $0.padding = .pre },
        Variant(description: "GRU reset_after, max pooling") { $0.pooling = .max },
        Variant(description: "GRU reset_before, last state, pre padding") { $0.resetAfter = false; $0.padding = .pre },
        Variant(description: "GRU reset_before, average pooling") { $0.resetAfter = false; $0.pooling = .average },
        Variant(description: "stacked LSTM x2 bidirectional, max pooling, Dense 8") {
            $0.cell = .lstm; $0.units = [8, 8]; $0.bidirectional = true; $0.pooling = .max; $0.denseUnits = [8]
        },
        Variant(description: "stacked GRU x3, last state") { $0.units = [8, 8, 8] },
        Variant(description: "Bidirectional concat, average pooling") { $0.bidirectional = true; $0.pooling = .average },
        Variant(description: "Bidirectional sum, last state", mergeMode: .sum) { $0.bidirectional = true },
        Variant(description: "Bidirectional mul, last state, pre padding", mergeMode: .mul) {
            $0.cell = .lstm; $0.bidirectional = true; $0.padding = .pre
        },
        Variant(description: "Bidirectional ave, average pooling", mergeMode: .ave) {
            $0.cell = .simpleRNN; $0.bidirectional = true; $0.pooling = .average
        },
        Variant(description: "Bidirectional ave, sequences into max pooling", mergeMode: .ave) {
            $0.resetAfter = false; $0.bidirectional = true; $0.pooling = .max
        },
        Variant(description: "bag branch, GRU average pooling, ag_news softmax") { $0.pooling = .average; $0.bag = true },
        Variant(description: "bag branch, LSTM last state, IMDB sigmoid", imdb: true) { $0.cell = .lstm; $0.bag = true },
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
        var config = TrainingIntegrationTests().smallConfig()
        (config.units, config.bidirectional, config.embeddingDim, config.sequenceLength) = ([8], false, 8, 48)
        (config.epochs, config.learningRate, config.bag) = (1, 0.01, false)
        variant.configure(&config)

        let session = try TrainingSession(config: config, train: train, log: { _ in })
        let encodedTrain = try session.encode(train), encodedTest = try session.encode(test)
        _ = try session.fit(train: encodedTrain, validation: nil, progress: ProgressReporter(quiet: true),
                            checkpoint: { _ in }, shouldStop: { false })
        if config.bag {
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
