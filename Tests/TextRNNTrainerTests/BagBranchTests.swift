import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// The bag-of-n-grams branch: its features by hand, its logistic regression against finite
/// differences, and the trainer agreeing with the runtime on real text once it is in the bundle.
@Suite(.serialized) struct BagBranchTests {
    /// Vocabulary of 6 ids; bigrams (2,3) and (3,4) are features 6 and 7.
    static let features = BagFeatures(
        spec: BagSpec(unigrams: 6, bigrams: 2), bigramKeys: [BagSpec.key(2, 3), BagSpec.key(3, 4)],
        idf: [1, 1.5, 1.1, 1.2, 1.3, 1.4, 2.0, 2.5])

    @Test func featuresAreSublinearTFIDFWithUnitNorm() {
        // "2 3 2 3 1 4" then padding: 2 and 3 twice, [UNK] once, 4 once; bigram (2,3) twice; (3,2)
        // is not a feature and (1,4) has [UNK] in it.
        let ids: [Int32] = [2, 3, 2, 3, 1, 4, 0, 0]
        var scratch = BagScratch()
        ids.withUnsafeBufferPointer { Self.features.features($0, scratch: &scratch) }
        let twice = 1 + log(Float(2))
        let raw: [Int32: Float] = [1: 1.5, 2: twice * 1.1, 3: twice * 1.2, 4: 1.3, 6: twice * 2.0]
        let norm = raw.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(scratch.indices == [1, 2, 3, 4, 6])
        for (index, value) in zip(scratch.indices, scratch.values) {
            #expect(abs(value - raw[index]! / norm) < 1e-6, "feature \(index)")
        }
    }

    /// NBSVM's ratio from its definition, on four texts: feature 0 only in class 0, feature 1 in
    /// every text, feature 2 in one text of each class, feature 3 in two of class 1 and one of 0.
    @Test func naiveBayesRatiosFollowTheDefinition() {
        let features = BagFeatures(spec: BagSpec(unigrams: 4, bigrams: 0), bigramKeys: [], idf: [1, 1, 1, 1])
        var rows = SparseRows()
        for present: [Int32] in [[0, 1, 2], [0, 1, 3], [1, 2, 3], [1, 3]] {
            rows.indices += present
            rows.values += present.map { _ in 1 }
            rows.rowStart.append(rows.indices.count)
        }
        let labels = [[0], [0], [1], [1]]
        let ratios = BagBuilder.naiveBayesRatios(features, rows: rows, labelSets: labels, classes: 2)
        // p (class 0, plus one) = [3, 3, 2, 2] (sum 10); q (class 1, plus one) = [1, 3, 2, 3] (sum 9).
        let p: [Double] = [3, 3, 2, 2], q: [Double] = [1, 3, 2, 3]
        for f in 0..<4 {
            let expected = abs(log((p[f] / 10) / (q[f] / 9)))
            #expect(abs(Double(ratios[f]) - expected) < 1e-5, "feature \(f): \(ratios[f]) vs \(expected)")
        }
        // One class against the rest is symmetric for two classes: the same ratios with labels swapped.
        let swapped = BagBuilder.naiveBayesRatios(features, rows: rows, labelSets: labels.map { [1 - $0[0]] }, classes: 2)
        for f in 0..<4 { #expect(abs(ratios[f] - swapped[f]) < 1e-6) }
        // Power 0 keeps the idf weights; power 1 multiplies them by the ratios.
        #expect(BagBuilder.scaled(features, by: ratios, power: 0).idf == features.idf)
        #expect(BagBuilder.scaled(features, by: ratios, power: 1).idf == ratios)
    }

    /// The bag search's weightings share one copy of the indices: a reweighting (same features,
    /// other values) takes the plain rows' storage and keeps its own values; rows with other
    /// features (the words-only candidate) keep their own.
    @Test func reweightedRowsShareTheIndicesOnly() {
        func rows(_ perRow: [[Int32]], value: Float) -> SparseRows {
            var rows = SparseRows()
            for indices in perRow {
                rows.indices += indices
                rows.values += indices.map { Float($0) * value }
                rows.rowStart.append(rows.indices.count)
            }
            return rows
        }
        func storage(_ a: [Int32]) -> UnsafePointer<Int32>? { a.withUnsafeBufferPointer { $0.baseAddress } }
        let plain = rows([[0, 2, 5], [1], [3, 4]], value: 1)
        let reweighted = rows([[0, 2, 5], [1], [3, 4]], value: 0.5).sharingIndices(with: plain)
        #expect(storage(reweighted.indices) == storage(plain.indices))
        #expect(reweighted.indices == plain.indices && reweighted.rowStart == plain.rowStart)
        #expect(reweighted.values == [0, 1, 2.5, 0.5, 1.5, 2])
        let wordsOnly = rows([[0, 2], [1], [3, 4]], value: 1)
        let kept = wordsOnly.sharingIndices(with: plain)
        #expect(storage(kept.indices) == storage(wordsOnly.indices) && storage(kept.indices) != storage(plain.indices))
        #expect(kept.indices == [0, 2, 1, 3, 4] && kept.rowStart == [0, 2, 3, 5])
    }

    /// Keras's tf_idf weighting: raw counts, no norm, and every unigram or bigram that is not a
    /// feature counted as the OOV feature 1, including ids from `unigrams` on.
    @Test func kerasWeightingCountsUnknownUnigramsAndBigramsAsOOV() {
        let spec = BagSpec(unigrams: 5, bigrams: 2, termFrequency: .count, norm: .none, oovBigrams: true)
        // Ids 5 and 6 are in the vocabulary (7 ids) but not unigram features.
        let features = BagFeatures(spec: spec, bigramKeys: [BagSpec.key(2, 3), BagSpec.key(3, 6)], idf: [0, 1.5, 1.1, 1.2, 1.3, 2.0, 2.5])
        // Unigrams: 2 twice, 3 twice, 6 (not a feature: OOV), 1 (OOV). Bigrams: (2,3) twice,
        // (3,2), (3,6) once, (6,1): (3,2) and (6,1) are OOV.
        let ids: [Int32] = [2, 3, 2, 3, 6, 1]
        var scratch = BagScratch()
        ids.withUnsafeBufferPointer { features.features($0, scratch: &scratch) }
        #expect(scratch.indices == [1, 2, 3, 5, 6])
        let expected: [Float] = [4 * 1.5, 2 * 1.1, 2 * 1.2, 2 * 2.0, 1 * 2.5]
        for (value, wanted) in zip(scratch.values, expected) { #expect(abs(value - wanted) < 1e-6) }
    }

    /// The options survive manifest.json; a version 2 bundle's bag reads the truncated input
    /// with version 2's weighting and is written back as version 2.
    @Test func bagOptionsRoundTripAndVersion2StaysTruncated() throws {
        let contents = try Self.tinyBundle(spec: BagSpec(unigrams: 3, bigrams: 1, termFrequency: .count, norm: .none, oovBigrams: true))
        let (manifest, _) = try BundleWriter.encode(contents)
        let parsed = try manifest.withUnsafeBytes { try ManifestParser.parse($0) }
        #expect(parsed.bag == contents.bag)
        #expect(parsed.formatVersion == 3)
        var json = String(decoding: manifest, as: UTF8.self)
        json = json.replacingOccurrences(of: "\"format_version\": 3", with: "\"format_version\": 2")
        json = json.replacingOccurrences(of: "\"format_version\":3", with: "\"format_version\":2")
        let old = try Array(json.utf8).withUnsafeBytes { try ManifestParser.parse($0) }
        #expect(old.bag == BagSpec(unigrams: 3, bigrams: 1, wholeText: false))
        #expect(old.formatVersion == 2)
    }

    /// A bag without bigram features (tiny training data) has an empty `bag/bigrams`: such a
    /// bundle loads and predicts (it was once refused: tensor dimensions had to be at least 1).
    @Test func bagWithoutBigramsLoads() throws {
        let (manifest, weights) = try BundleWriter.encode(try Self.tinyBundle(spec: BagSpec(unigrams: 4, bigrams: 0)))
        let model = try manifest.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        let probabilities = try model.predict(text: "a b a")
        #expect(probabilities.count == 2 && abs(probabilities.reduce(0, +) - 1) < 1e-6)
    }

    /// The mix's one-standard-error rule: the most bag-weighted mix (the last) unless a lower
    /// loss is more than one standard error of the paired differences away.
    @Test func mixTakesTheBagUnlessTheGainIsClear() {
        // Paired differences by hand: d = [1, 3] has mean 2, population variance 1, SE √(1/2).
        let difference = PairedDifference([1.0, 3.0])
        #expect(difference.mean == 2 && abs(difference.standardError - 0.5.squareRoot()) < 1e-12)
        let rows = 100
        let bag = (0..<rows).map { 0.30 + 0.2 * Double($0 % 5) }  // mean 0.70
        // Lower by 0.01 on average but noisy (±0.3 per row): within one SE, so the bag.
        let noisy = (0..<rows).map { bag[$0] - 0.01 + ($0 % 2 == 0 ? 0.3 : -0.3) }
        #expect(TrainingSession.withinOneStandardError([noisy, bag]) == 1)
        // Lower by 0.05 on every row: far beyond one SE, so the mix.
        let clear = bag.map { $0 - 0.05 }
        #expect(TrainingSession.withinOneStandardError([clear, noisy, bag]) == 0)
        // Equal losses: the last (most preferred) of them.
        #expect(TrainingSession.withinOneStandardError([bag, bag, bag]) == 2)
    }

    /// A vocabulary of 4 ("", "[UNK]", "a", "b"), an Embedding(4, 2), a Dense(2, softmax), and
    /// the bag tensors for `spec`.
    static func tinyBundle(spec: BagSpec) throws -> BundleContents {
        let features = spec.features
        return BundleContents(
            producer: "test", text: TextPipelineConfig(sequenceLength: 2), vocabulary: ["", "[UNK]", "a", "b"].map { Array($0.utf8) },
            labels: ["x", "y"], output: .softmax,
            layers: [.embedding(inputDim: 4, outputDim: 2, maskZero: true), .globalAveragePooling, .dense(units: 2, activation: .softmax)],
            tensors: [
                BundleTensor(name: "0/embeddings", shape: [4, 2], values: (0..<8).map { Float($0) / 8 }),
                BundleTensor(name: "2/kernel", shape: [2, 2], values: [0.5, -0.5, 0.25, 0.75]),
                BundleTensor(name: "2/bias", shape: [2], values: [0.1, -0.1]),
                BundleTensor(name: BagSpec.idfTensor, shape: [features], values: (0..<features).map { 1 + Float($0) / 4 }),
                BundleTensor(name: BagSpec.bigramsTensor, shape: [spec.bigrams, 2], values: spec.bigrams == 0 ? [] : [2, 3]),
                BundleTensor(name: BagSpec.kernelTensor, shape: [features, 2], values: (0..<(2 * features)).map { Float($0 % 3) - 1 }),
            ],
            bag: spec)
    }

    /// Random sparse rows with unit-norm values, and targets for `loss`.
    static func problem(_ loss: LossKind, outputs: Int) -> (SparseRows, [Float], features: Int) {
        var rng = SeededGenerator(seed: 7)
        let features = 12, rows = 40
        let data = (0..<rows).map { _ in (0..<4).map { _ in Int32(rng.nextUnitFloat() * Float(features - 1)) } }
        var sparse = SparseRows()
        for row in data {
            let unique = Array(Set(row)).sorted()
            sparse.indices += unique
            sparse.values += unique.map { _ in rng.nextUnitFloat() + 0.1 }
            sparse.rowStart.append(sparse.indices.count)
        }
        let targets: [Float] = switch loss {
        case .sparseCategoricalCrossEntropy: (0..<rows).map { Float($0 % outputs) }
        case .binaryCrossEntropy: (0..<rows).map { Float($0 % 2) }
        case .multiLabelBinaryCrossEntropy: (0..<(rows * outputs)).map { Float(($0 * 7 / 3) % 2) }
        }
        return (sparse, targets, features)
    }

    @Test(arguments: [(LossKind.sparseCategoricalCrossEntropy, 3), (.binaryCrossEntropy, 1), (.multiLabelBinaryCrossEntropy, 3)])
    func objectiveGradientMatchesFiniteDifferences(_ loss: LossKind, _ outputs: Int) {
        let (rows, targets, features) = Self.problem(loss, outputs: outputs)
        var model = LinearClassifier(features: features, outputs: outputs, loss: loss)
        var rng = SeededGenerator(seed: 3)
        model.parameters = model.parameters.map { _ in rng.nextUnitFloat() - 0.5 }
        var gradient = model.parameters
        _ = model.objective(rows, targets, C: 2, model.parameters, &gradient)
        let epsilon: Float = 1e-2
        for i in model.parameters.indices {
            var plus = model.parameters, minus = model.parameters
            plus[i] += epsilon
            minus[i] -= epsilon
            var ignored = gradient
            let numeric = (model.objective(rows, targets, C: 2, plus, &ignored)
                - model.objective(rows, targets, C: 2, minus, &ignored)) / Double(2 * epsilon)
            #expect(abs(Double(gradient[i]) - numeric) <= 1e-3 + 1e-2 * abs(numeric), "parameter \(i): \(gradient[i]) vs \(numeric)")
        }
    }

    /// The objective walks the features in two fixed halves: the same bits on one thread or two,
    /// and the value of a row-by-row softmax cross-entropy summed in double.
    @Test func objectiveIsTheSameOnOneOrTwoThreadsAndMatchesRowByRow() {
        let (rows, targets, features) = Self.problem(.sparseCategoricalCrossEntropy, outputs: 3)
        var model = LinearClassifier(features: features, outputs: 3, loss: .sparseCategoricalCrossEntropy)
        var rng = SeededGenerator(seed: 5)
        model.parameters = model.parameters.map { _ in rng.nextUnitFloat() - 0.5 }
        var gradientOne = model.parameters, gradientTwo = model.parameters
        setComputeThreads(1)
        let one = model.objective(rows, targets, C: 2, model.parameters, &gradientOne)
        setComputeThreads(2)
        let two = model.objective(rows, targets, C: 2, model.parameters, &gradientTwo)
        #expect(one.bitPattern == two.bitPattern)
        #expect(gradientOne.map(\.bitPattern) == gradientTwo.map(\.bitPattern))
        var expected = 0.0, squares = 0.0
        let w = model.parameters.map(Double.init)
        for r in 0..<rows.count {
            var z = (0..<3).map { w[features * 3 + $0] }
            for i in rows.rowStart[r]..<rows.rowStart[r + 1] {
                for k in 0..<3 { z[k] += Double(rows.values[i]) * w[Int(rows.indices[i]) * 3 + k] }
            }
            expected += log(z.map(exp).reduce(0, +)) - z[Int(targets[r])]
        }
        for i in 0..<(features * 3) { squares += w[i] * w[i] }
        expected = expected / Double(rows.count) + squares / (2 * 2 * Double(rows.count))
        #expect(abs(one - expected) <= 1e-5 * abs(expected), "\(one) vs \(expected)")
    }

    /// The refit reads its training and validation rows as two blocks: the same objective, to
    /// the bit, as over one set holding the same rows in the same order, and so the same fit.
    @Test func twoBlocksAreTheirRowsInOneToTheBit() {
        let (rows, targets, features) = Self.problem(.sparseCategoricalCrossEntropy, outputs: 3)
        let first = SparseRows(rows, selecting: Array(0..<25)), second = SparseRows(rows, selecting: Array(25..<rows.count))
        var rng = SeededGenerator(seed: 5)
        let theta = [Float](repeating: 0, count: (features + 1) * 3).map { _ in rng.nextUnitFloat() - 0.5 }
        var oneGradient = theta, twoGradient = theta
        let one = LogisticObjective([rows], targets: targets, features: features, outputs: 3, loss: .sparseCategoricalCrossEntropy)
        let two = LogisticObjective([first, second], targets: targets, features: features, outputs: 3, loss: .sparseCategoricalCrossEntropy)
        let oneValue = one.value(C: 2, theta, &oneGradient), twoValue = two.value(C: 2, theta, &twoGradient)
        #expect(oneValue.bitPattern == twoValue.bitPattern)
        #expect(oneGradient.map(\.bitPattern) == twoGradient.map(\.bitPattern))
        var whole = LinearClassifier(features: features, outputs: 3, loss: .sparseCategoricalCrossEntropy), split = whole
        whole.fit(rows, targets: targets, C: 2)
        split.fit(first, second, targets: targets, C: 2)
        #expect(whole.parameters.map(\.bitPattern) == split.parameters.map(\.bitPattern))
    }

    @Test func lbfgsReachesAStationaryPoint() {
        let (rows, targets, features) = Self.problem(.sparseCategoricalCrossEntropy, outputs: 3)
        var model = LinearClassifier(features: features, outputs: 3, loss: .sparseCategoricalCrossEntropy)
        model.fit(rows, targets: targets, C: 4)
        var gradient = model.parameters
        let fitted = model.objective(rows, targets, C: 4, model.parameters, &gradient)
        let zero = [Float](repeating: 0, count: model.parameters.count)
        #expect(gradient.map(abs).max()! < 1e-4, "largest gradient \(gradient.map(abs).max()!)")
        #expect(fitted < model.objective(rows, targets, C: 4, zero, &gradient))
    }

    /// `fit` starts from the current parameters (a warm start): it must land where a cold start does.
    @Test func warmStartAtALargerCReachesTheColdStartOptimum() {
        let (rows, targets, features) = Self.problem(.binaryCrossEntropy, outputs: 1)
        var warm = LinearClassifier(features: features, outputs: 1, loss: .binaryCrossEntropy)
        warm.fit(rows, targets: targets, C: 1)
        warm.fit(rows, targets: targets, C: 100)
        var cold = LinearClassifier(features: features, outputs: 1, loss: .binaryCrossEntropy)
        cold.fit(rows, targets: targets, C: 100)
        var gradient = warm.parameters
        let warmValue = warm.objective(rows, targets, C: 100, warm.parameters, &gradient)
        let coldValue = cold.objective(rows, targets, C: 100, cold.parameters, &gradient)
        #expect(abs(warmValue - coldValue) <= 1e-5 * abs(coldValue), "warm \(warmValue) vs cold \(coldValue)")
    }

    /// L-BFGS's dot products: the same bits with one thread or two (the halves are fixed, not
    /// the threads'), and the exact sum to double precision.
    @Test func pairedDotIsTheSameOnOneOrTwoThreadsAndExact() {
        var generator = SeededGenerator(seed: 7)
        let count = 100_003  // odd, over the two-thread threshold
        let a = (0..<count).map { _ in Float(Double(generator.next() % 2001) / 1000 - 1) }
        let b = (0..<count).map { _ in Float(Double(generator.next() % 2001) / 1000 - 1) }
        var exact = 0.0
        for i in 0..<count { exact += Double(a[i]) * Double(b[i]) }  // products exact in double
        setComputeThreads(1)
        let one = pairedDot(a, b, count: count)
        setComputeThreads(2)
        let two = pairedDot(a, b, count: count)
        #expect(one.bitPattern == two.bitPattern)
        #expect(abs(one - exact) <= 1e-12 * Double(count), "\(one) vs \(exact)")
    }

    /// A model with the branch, trained and mixed (or stacked on it) on an ag_news_mini slice,
    /// gives the same probabilities in the trainer and in the runtime on the whole ag_news_mini
    /// test set; with character n-grams too (their spelling of words outside the vocabulary
    /// included: only the text path has it).
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func trainerAndRuntimeAgreeWithTheBag(stacked: Bool, characters: Bool) throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        // 1,200 rows, every class; 400 with character n-grams, whose fits dominate a debug build.
        let slice = full.subset(Array(stride(from: 0, to: full.count, by: characters ? 15 : 5)))
        var config = TrainingConfig()
        config.cell = .gru
        config.units = [8]
        config.embeddingDim = 8
        config.maxTokens = 4000
        config.epochs = 1
        config.validationSplit = 0
        config.pooling = .average
        // Most texts are longer: the bag reads all their tokens, the network the first 12.
        config.sequenceLength = 12
        config.bagStacking = stacked
        config.bagCharacterNgrams = characters
        let session = try TrainingSession(config: config, train: slice, log: { _ in })
        let split = slice.stratifiedSplit(validationFraction: 0.25, seed: 1)
        var train = try session.encode(split.train), validation: EncodedDataset? = try session.encode(split.validation)
        let regression = session.stackOnBag(train: &train, validation: &validation, log: { _ in })
        #expect((regression != nil) == stacked && (train.baseLogits != nil) == stacked && (validation?.baseLogits != nil) == stacked)
        _ = try session.fit(train: train, validation: validation, progress: ProgressReporter(quiet: true),
                            checkpoint: { _ in }, shouldStop: { false })
        // With character n-grams the search's fits dominate a debug build (a full search took 130 s
        // here): a budget stops the grid after some (BagSearch's budget rule). The words alone are
        // fitted last, so character n-grams stay chosen either way (they also won the full search).
        let deadline = Date().addingTimeInterval(20)
        try session.fitBag(train: train, validation: validation, reusing: regression,
                           secondsLeft: { characters ? deadline.timeIntervalSinceNow : .infinity }, log: { _ in })
        let bag = try #require(session.bag)
        #expect(bag.features.spec.bigrams > 0 && bag.stacked == stacked)
        // On this slice the validation loss keeps the character n-grams (the search may drop them).
        #expect((bag.features.spec.characters > 0) == characters && (bag.features.spec.norm == .l2Blocks) == characters)
        #expect(TrainingSession.bagCGrid.contains(bag.c))
        #expect(stacked ? bag.scales.bag == 1 && TrainingSession.bagMixGrid.contains(bag.scales.network)
                        : TrainingSession.bagMixGrid.contains(bag.scales.bag) && bag.scales.bag + bag.scales.network == 1)

        let test = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/test.csv"), labelMap: slice.labelMap)
        let encodedTest = try session.encode(test)
        let truncated = (0..<encodedTest.count).filter { encodedTest.tokenStarts[$0 + 1] - encodedTest.tokenStarts[$0] > 12 }.count
        #expect(truncated > encodedTest.count / 2, "\(truncated) of \(encodedTest.count) test texts are longer than the sequence")
        let scratch = PredictionScratch()
        /// The largest |runtime - trainer| over the test set's probabilities.
        func worstDifference(_ model: Model) throws -> Float {
            let trainer = try session.evaluate(encodedTest).probabilities
            var probabilities = [Float](repeating: 0, count: 4)
            var worst: Float = 0
            for (row, text) in test.texts.enumerated() {
                var text = text
                try text.withUTF8 { bytes in
                    try probabilities.withUnsafeMutableBufferPointer { try model.predict(text: bytes, into: $0, scratch: scratch) }
                }
                for k in 0..<4 { worst = max(worst, abs(probabilities[k] - trainer[row * 4 + k])) }
            }
            return worst
        }
        func load(_ contents: BundleContents) throws -> Model {
            let (manifest, weights) = try BundleWriter.encode(contents)
            return try manifest.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        }
        let model = try load(session.bundleContents(training: nil))
        #expect(model.manifest.bag == bag.features.spec && model.skipsNetwork == (bag.scales.network == 0))
        let worst = try worstDifference(model)
        #expect(worst <= 1e-5, "max |runtime - trainer| = \(worst)")
        // The mix may have given this small network no weight; with one, the runtime runs it.
        let kernel = tensorName(layer: session.plan.layers.count - 1, role: "kernel")
        let mixed = try session.network.store.tensor(named: kernel)
        try session.network.store.setTensor(named: kernel, to: mixed.indices.map { 0.3 * sinf(Float($0)) })
        let withNetwork = try load(session.bundleContents(training: nil))
        #expect(!withNetwork.skipsNetwork)
        let worstWithNetwork = try worstDifference(withNetwork)
        #expect(worstWithNetwork <= 1e-5, "max |runtime - trainer| = \(worstWithNetwork), network weighted")
        try session.network.store.setTensor(named: kernel, to: mixed)

        // Both read every token: the trainer's tokens are the runtime's, and the runtime's bag
        // given only the truncated ids predicts something else.
        let long = try #require((0..<encodedTest.count).first { encodedTest.tokenStarts[$0 + 1] - encodedTest.tokenStarts[$0] > 24 })
        let tokens = try model.pipeline.encodeTokens(test.texts[long]), window = try model.pipeline.encode(test.texts[long])
        #expect(encodedTest.withTokens(ofRow: long) { Array($0) } == tokens)
        var fromWindow = [Float](repeating: 0, count: 4), fromTokens = fromWindow
        try window.withUnsafeBufferPointer { ids in
            try fromWindow.withUnsafeMutableBufferPointer { try model.predict(tokenIDs: ids, into: $0, scratch: scratch) }
            try tokens.withUnsafeBufferPointer { all in
                try fromTokens.withUnsafeMutableBufferPointer { try model.predict(tokenIDs: ids, bagTokens: all, into: $0, scratch: scratch) }
            }
        }
        #expect(fromWindow != fromTokens)
        if characters {
            // The ids path spells only the words the vocabulary has; given the text's buckets
            // it is the text path.
            var buckets: [UInt32] = []
            encodedTest.withBagInput(ofRow: long) { buckets = Array($1) }
            #expect(!buckets.isEmpty)
            var withBuckets = fromTokens
            try window.withUnsafeBufferPointer { ids in
                try tokens.withUnsafeBufferPointer { all in
                    try buckets.withUnsafeBufferPointer { buckets in
                        try withBuckets.withUnsafeMutableBufferPointer {
                            try model.predict(tokenIDs: ids, bagTokens: all, bagCharacters: buckets, into: $0, scratch: scratch)
                        }
                    }
                }
            }
            #expect(withBuckets == (try model.predict(text: test.texts[long])))
            #expect(tokens.contains(Vocabulary.unknownID) == (withBuckets != fromTokens))
        } else {
            #expect(fromTokens == (try model.predict(text: test.texts[long])))
        }

        // A network given no weight (the mix's w = 1 zeroes the last Dense kernel): the runtime
        // skips it, float and int8; the float model still agrees with the trainer, which runs
        // every layer, and the int8 one with the float one.
        try session.network.store.setTensor(named: kernel, to: mixed.map { _ in 0 })
        let bagAlone = try session.bundleContents(training: nil)
        let skipping = try load(bagAlone)
        #expect(skipping.skipsNetwork)
        let worstSkipping = try worstDifference(skipping)
        #expect(worstSkipping <= 1e-5, "max |runtime - trainer| = \(worstSkipping), network skipped")
        let (floatManifest, floatWeights) = try BundleWriter.encode(bagAlone)
        let parsed = try floatManifest.withUnsafeBytes { try ManifestParser.parse($0) }
        let int8 = try load(floatWeights.withUnsafeBytes { Quantization.quantizedContents(manifest: parsed, weights: $0) })
        #expect(int8.skipsNetwork && int8.manifest.tensors.contains { $0.dtype == .int8 })
        let agreement = try BundleQuantizer.compare(floatModel: skipping, int8Model: int8, data: test)
        #expect(agreement.labelAgreement >= 0.99, "int8 and float labels agree on \(agreement.labelAgreement) of the test set")

        // A bigram table out of order is a damaged bundle, refused at load.
        var contents = try session.bundleContents(training: nil)
        let index = try #require(contents.tensors.firstIndex { $0.name == BagSpec.bigramsTensor })
        guard case .float32(var pairs) = contents.tensors[index].storage else { Issue.record("bigrams not float32"); return }
        pairs.swapAt(0, 2)
        pairs.swapAt(1, 3)
        contents.tensors[index].storage = .float32(pairs)
        let (damagedManifest, damagedWeights) = try BundleWriter.encode(contents)
        #expect(throws: TextRNNError.self) {
            try damagedManifest.withUnsafeBytes { m in try damagedWeights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        }
        // So is a character bucket table out of order.
        guard characters else { return }
        contents = try session.bundleContents(training: nil)
        let bucketIndex = try #require(contents.tensors.firstIndex { $0.name == BagSpec.characterBucketsTensor })
        guard case .float32(var buckets) = contents.tensors[bucketIndex].storage else { Issue.record("buckets not float32"); return }
        buckets.swapAt(0, 1)
        contents.tensors[bucketIndex].storage = .float32(buckets)
        let (unsortedManifest, unsortedWeights) = try BundleWriter.encode(contents)
        #expect(throws: TextRNNError.self) {
            try unsortedManifest.withUnsafeBytes { m in try unsortedWeights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        }
    }
}
