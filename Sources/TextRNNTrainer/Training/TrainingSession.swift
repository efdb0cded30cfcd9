import Dispatch
import Foundation
@_spi(TextRNNInternal) import TextRNNRuntime

/// A model being trained: the fitted text pipeline, the network, its optimizer and history.
/// `fit` runs epochs; everything it needs to continue after a crash is in its checkpoints.
public final class TrainingSession {
    public let config: TrainingConfig
    public let labelNames: [String]
    public let multiLabel: Bool
    public let pipeline: TextPipeline
    public let plan: ModelPlan
    public let network: Network
    public private(set) var optimizer: any Optimizer
    public internal(set) var history = TrainingHistory()
    /// Where the next batch starts: epochs and batches already trained.
    public internal(set) var position = (epoch: 0, batch: 0)
    /// Early stopping: the best epoch so far, its monitored value and parameters.
    var best: (epoch: Int, value: Double, parameters: [Float])?
    var epochLoss = (sum: 0.0, correct: 0.0, rows: 0)
    var epochSeconds = 0.0
    private let stepsPerEpoch: Int
    /// The bag-of-n-grams branch, once `fitBag` has run; `evaluate` and the bundle include it.
    public internal(set) var bag: FittedBag?

    /// Fits the vocabulary on `train` (only), picks the sequence length, builds the network.
    /// `skipGramCache`: an autotune search's vectors, shared by its trials (same texts and
    /// vocabulary). `initialVectors: false` skips the pretrained or skip-gram vectors, for a
    /// session whose weights a checkpoint will replace.
    public init(
        config: TrainingConfig, train: LabelledDataset, skipGramCache: SkipGramCache? = nil, initialVectors: Bool = true,
        log: (String) -> Void
    ) throws {
        try config.validate()
        self.config = config
        labelNames = train.labelNames
        multiLabel = train.isMultiLabel
        guard labelNames.count >= 2 || multiLabel else {
            throw TrainingError("\(train.files.first ?? "training data"): needs at least 2 labels, found \(labelNames.count)")
        }
        var textConfig = config.pipelineConfig
        let builder = VocabularyBuilder(config: textConfig, maxTokens: config.maxTokens, minCount: config.minCount, threads: config.threads)
        let vocabulary = try builder.build(train.texts)
        if textConfig.sequenceLength == nil {
            textConfig.sequenceLength = TrainingSession.automaticLength(train.texts, tokenizer: Tokenizer(config: textConfig))
        }
        pipeline = TextPipeline(config: textConfig, vocabulary: vocabulary)
        log("vocabulary: \(vocabulary.count) tokens; sequence_length: \(textConfig.sequenceLength!) (\(textConfig.padding.rawValue)-padded)")
        plan = ModelPlan(config: config, vocabularySize: vocabulary.count, classes: labelNames.count, multiLabel: multiLabel)
        network = try Network(layers: plan.layers, options: plan.options, seed: config.seed)
        stepsPerEpoch = (train.count + config.batchSize - 1) / config.batchSize
        optimizer = config.makeOptimizer(stepsPerEpoch: stepsPerEpoch)
        network.useThreads(config.threads)
        if initialVectors {
            try startEmbedding(train: train, vocabulary: vocabulary, textConfig: textConfig, skipGramCache: skipGramCache, log: log)
        }
    }

    /// Writes the embedding's first values where they are not random: a `.vec` file's
    /// (--pretrained-vectors) or skip-gram vectors of the training texts (--skipgram-vectors;
    /// `validate` allows one of the two). Padding and [UNK] keep their rows.
    private func startEmbedding(
        train: LabelledDataset, vocabulary: Vocabulary, textConfig: TextPipelineConfig, skipGramCache: SkipGramCache?,
        log: (String) -> Void
    ) throws {
        guard config.pretrainedVectors != nil || config.skipgramVectors else { return }
        let name = tensorName(layer: 0, role: "embeddings"), dim = config.embeddingDim
        var table = try network.store.tensor(named: name)
        let frozen = config.freezeEmbeddings ? " (frozen)" : ""
        if let path = config.pretrainedVectors {
            let matched = try PretrainedVectors.load(
                path, dim: dim, vocabulary: vocabulary, tokenizer: Tokenizer(config: textConfig), into: &table)
            log("pretrained vectors: \(matched) of \(vocabulary.count - 2) vocabulary entries from \(path)\(frozen)")
        } else {
            let started = DispatchTime.now()
            let skipGram = SkipGram(dim: dim, seed: config.seed)
            let corpus = skipGramCache?.corpus
                ?? skipGram.withinBudget(SkipGram.Corpus(texts: train.texts, vocabulary: vocabulary, config: textConfig))
            skipGramCache?.corpus = corpus
            let vectors = skipGramCache?.vectors(dim: dim) ?? skipGram.train(corpus)
            skipGramCache?.store(vectors, dim: dim)
            let learned = (2..<vocabulary.count).filter { corpus.counts[$0] > 0 }
            for id in learned { table.replaceSubrange((id * dim)..<(id * dim + dim), with: vectors[(id * dim)..<(id * dim + dim)]) }
            let epochs = skipGram.epochs(over: corpus)
            let texts = corpus.ends.count == train.count
                ? "the training texts" : "a sample of \(corpus.ends.count) of the \(train.count) training texts (a budget of \(skipGram.wordBudget) words)"
            log(String(format: "skip-gram vectors: %d of %d vocabulary entries from %d words of %@, %d epoch%@ (%.0f s)%@",
                       learned.count, vocabulary.count - 2, corpus.ids.count, texts, epochs, epochs == 1 ? "" : "s",
                       seconds(since: started), frozen))
        }
        try network.store.setTensor(named: name, to: table)
    }

    /// The 95th percentile of training token counts, rounded up to a multiple of 8, in
    /// 8...`longestAutomaticLength`.
    static func automaticLength(_ texts: [String], tokenizer: Tokenizer) -> Int {
        let counts = sortedTokenCounts(texts, tokenizer: tokenizer)
        let percentile = counts.isEmpty ? 8 : counts[min(counts.count - 1, counts.count * 95 / 100)]
        return min(longestAutomaticLength, max(8, (percentile + 7) / 8 * 8))
    }

    /// The longest sequence the trainer picks by itself. The bag branch reads every token of a
    /// text anyway; on validation data 256 tokens cost IMDB's no-flag model one review of 2,500
    /// against its 95th percentile (600) and gained 20 Newsgroups five messages of 1,132 (808),
    /// and made IMDB's int8 model 18% faster per text (docs/accuracy.md, bench/README.md).
    static let longestAutomaticLength = 256

    /// The token count of every text, ascending.
    static func sortedTokenCounts(_ texts: [String], tokenizer: Tokenizer) -> [Int] {
        var counts: [Int] = []
        counts.reserveCapacity(texts.count)
        var scratch = TokenizerScratch()
        for var text in texts {
            var count = 0
            text.withUTF8 { tokenizer.forEachToken(in: $0, scratch: &scratch) { _ in count += 1 } }
            counts.append(count)
        }
        return counts.sorted()
    }

    public func encode(_ dataset: LabelledDataset) throws -> EncodedDataset {
        try EncodedDataset(dataset, pipeline: pipeline, multiLabel: multiLabel, threads: config.threads,
                           characterSizes: config.bag && config.bagCharacterNgrams ? CharacterNgrams.defaultSizes : nil)
    }

    /// Per-class sample weights for `class_weight: balanced` (n / (classes * count_c)), else nil.
    func classWeights(_ data: EncodedDataset) -> [Float]? {
        guard config.classWeight == .balanced, !multiLabel else { return nil }
        var counts = [Int](repeating: 0, count: labelNames.count)
        for label in data.labels { counts[label] += 1 }
        return counts.map { $0 == 0 ? 0 : Float(data.count) / Float(labelNames.count * $0) }
    }

    /// The dropout and shuffling randomness of batch `batch` of epoch `epoch`: derived, not
    /// carried, so a resumed run draws exactly what an uninterrupted one would.
    func generator(epoch: Int, batch: Int) -> SeededGenerator {
        SeededGenerator(seed: config.seed).split(UInt64(epoch) << 32 | UInt64(batch))
    }

    /// Fault injection for tests: TEXTRNN_FAULT_NAN_AT=EPOCH:BATCH (1-based) makes that batch's
    /// loss NaN, before its update. Real divergence depends on numerics that change with every
    /// kernel improvement; this makes the divergence path testable deterministically.
    static let injectedNaN: (Int, Int)? = {
        guard let text = ProcessInfo.processInfo.environment["TEXTRNN_FAULT_NAN_AT"] else { return nil }
        let parts = text.split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }()

    public enum StopReason: Sendable, Equatable { case finished, earlyStopped(bestEpoch: Int), interrupted, diverged(String) }

    /// Trains until `config.epochs`, early stopping, divergence or `shouldStop()`. Calls
    /// `checkpoint` after every epoch (and on interruption) and `progress` as batches finish.
    public func fit(
        train: EncodedDataset, validation: EncodedDataset?, progress: ProgressReporter,
        checkpoint: (TrainingSession) throws -> Void, shouldStop: () -> Bool
    ) throws -> StopReason {
        let weights = classWeights(train)
        var ids: [Int32] = []
        var targets: [Float] = []
        var sampleWeights: [Float] = []
        var baseLogits: [Float] = []
        while position.epoch < config.epochs {
            let epoch = position.epoch
            var shuffle = generator(epoch: epoch, batch: Int(UInt32.max))
            let batches = train.epochBatches(batchSize: config.batchSize, bucket: config.bucketByLength, rng: &shuffle)
            if position.batch == 0 { epochLoss = (0, 0, 0); epochSeconds = 0 }
            progress.beginEpoch(epoch + 1, of: config.epochs, batches: batches.count, rows: train.count)
            let started = DispatchTime.now()
            for index in position.batch..<batches.count {
                if shouldStop() {
                    epochSeconds += seconds(since: started)
                    try checkpoint(self)
                    return .interrupted
                }
                let rows = batches[index]
                let (batch, time) = train.batch(rows, ids: &ids, targets: &targets)
                if let weights { sampleWeights = rows.map { weights[train.labels[$0]] } }
                train.baseLogits(rows, into: &baseLogits)
                var rng = generator(epoch: epoch, batch: index)
                var (loss, probabilities) = try network.lossAndGradients(
                    tokenIds: ids, batch: batch, time: time, targets: targets, loss: plan.loss,
                    sampleWeights: weights == nil ? nil : sampleWeights, labelSmoothing: config.labelSmoothing,
                    baseLogits: train.baseLogits == nil ? nil : baseLogits, training: true, rng: &rng)
                if TrainingSession.injectedNaN.map({ $0 == (epoch + 1, index + 1) }) ?? false { loss = .nan }
                guard loss.isFinite else {
                    return .diverged("loss became \(loss) at epoch \(epoch + 1), batch \(index + 1); the last checkpoint holds the last good weights (try a lower --learning-rate or --clipnorm)")
                }
                if config.freezeEmbeddings {
                    // A gradient that is always zero leaves Adam, RMSprop and SGD (with momentum) still.
                    let view = try network.store.view(named: tensorName(layer: 0, role: "embeddings"))
                    (network.store.gradients + view.offset).update(repeating: 0, count: view.count)
                }
                optimizer.step(network.store)
                epochLoss.sum += Double(loss) * Double(batch)
                epochLoss.correct += correctCount(probabilities, targets: targets, batch: batch)
                epochLoss.rows += batch
                position.batch = index + 1
                progress.batchDone(index + 1, loss: epochLoss.sum / Double(epochLoss.rows), accuracy: epochLoss.correct / Double(epochLoss.rows))
            }
            epochSeconds += seconds(since: started)
            // Robustness (issue 6): a finite last loss does not mean finite weights (the last
            // optimizer step may overflow). Never checkpoint or export non-finite weights.
            let store = network.store
            if let bad = firstNonFinite(store.parameters, count: store.count) {
                return .diverged("weight \(bad) became \(store.parameters[bad]) in epoch \(epoch + 1); the last checkpoint holds the last good weights (try a lower --learning-rate or --clipnorm)")
            }
            var record = EpochRecord(
                epoch: epoch + 1, trainLoss: epochLoss.sum / Double(max(epochLoss.rows, 1)),
                trainAccuracy: epochLoss.correct / Double(max(epochLoss.rows, 1)), seconds: epochSeconds)
            if let validation {
                let result = try evaluate(validation)
                record.validationLoss = result.loss
                record.validationAccuracy = result.accuracy
            }
            history.append(record)
            position = (epoch + 1, 0)
            progress.endEpoch(record)
            let stop = updateEarlyStopping(record)
            try checkpoint(self)
            if let stop { return stop }
        }
        return .finished
    }

    /// Keras EarlyStopping(monitor=val_loss or val_accuracy (loss/accuracy without validation),
    /// patience, restore_best_weights=True). Lower is better: accuracy is negated.
    private func updateEarlyStopping(_ record: EpochRecord) -> StopReason? {
        guard config.earlyStopping > 0 else { return nil }
        let value = config.monitor == .valAccuracy
            ? -(record.validationAccuracy ?? record.trainAccuracy) : (record.validationLoss ?? record.trainLoss)
        if best == nil || value < best!.value {
            best = (record.epoch, value, network.store.allParameters)
            return nil
        }
        guard record.epoch - best!.epoch >= config.earlyStopping else { return nil }
        restoreBest()
        return .earlyStopped(bestEpoch: best!.epoch)
    }

    /// Puts the best epoch's weights back (when early stopping tracked one).
    public func restoreBest() {
        guard let best else { return }
        best.parameters.withUnsafeBufferPointer { network.store.parameters.update(from: $0.baseAddress!, count: network.store.count) }
    }

    func correctCount(_ probabilities: [Float], targets: [Float], batch: Int) -> Double {
        Double(correctRows(probabilities, targets: targets, batch: batch).lazy.filter { $0 }.count)
    }

    /// Whether each row's prediction is right: the top label (softmax, sigmoid) or, multi-label,
    /// exactly the set of labels over the threshold (LabelOrder's one rule).
    func correctRows(_ probabilities: [Float], targets: [Float], batch: Int) -> [Bool] {
        let width = network.outputDim
        return (0..<batch).map { row in
            let p = probabilities[(row * width)..<((row + 1) * width)]
            if plan.loss == .multiLabelBinaryCrossEntropy {
                return LabelOrder.chosen(p) == (0..<width).filter { targets[row * width + $0] == 1 }
            }
            return LabelOrder.top(networkOutput: p, plan.output) == Int(targets[row])
        }
    }

    /// Probabilities [count, outputs] of the network (training off) and the mean loss.
    public func evaluate(_ data: EncodedDataset, batchSize: Int = 256) throws -> (loss: Double, accuracy: Double, probabilities: [Float]) {
        let width = network.outputDim
        var probabilities = [Float](repeating: 0, count: data.count * width)
        var order = Array(0..<data.count)
        order.sort { data.tokenCounts[$0] != data.tokenCounts[$1] ? data.tokenCounts[$0] < data.tokenCounts[$1] : $0 < $1 }
        var ids: [Int32] = []
        var targets: [Float] = []
        var gradient = [Float](repeating: 0, count: batchSize * width)
        var lossSum = 0.0
        var correct = 0.0
        var rng = SeededGenerator(seed: 0)
        let mixedLogits = FloatBuffer(), mixedProbabilities = FloatBuffer()
        var bagScratch = BagScratch()
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let rows = order[start..<min(start + batchSize, data.count)]
            let (batch, time) = data.batch(rows, ids: &ids, targets: &targets)
            var output = try ids.withUnsafeBufferPointer {
                try network.forward(tokenIds: $0.baseAddress!, batch: batch, time: time, training: false, rng: &rng)
            }
            var logits = network.logits
            if bag != nil || data.baseLogits != nil {
                // The network's logits plus the bag's (or, before the bag is fitted, the base
                // logits it is stacked on), then the output activation again.
                let z = mixedLogits.resize(batch * width), p = mixedProbabilities.resize(batch * width)
                z.update(from: network.logits, count: batch * width)
                for (offset, row) in rows.enumerated() {
                    if let bag {
                        data.withBagInput(ofRow: row) { bag.addLogits($0, characters: $1, scratch: &bagScratch, into: z + offset * width) }
                    } else if let base = data.baseLogits {
                        for j in 0..<width { z[offset * width + j] += base[row * width + j] }
                    }
                }
                activateRows(z, into: p, rows: batch, width: width, plan.loss.outputActivation)
                (output, logits) = (UnsafePointer(p), UnsafePointer(z))
            }
            let loss = targets.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { dz in
                    crossEntropy(plan.loss, logits: logits, probabilities: output, batch: batch, outputs: width,
                                 targets: y.baseAddress!, sampleWeights: nil, labelSmoothing: config.labelSmoothing,
                                 logitGradient: dz.baseAddress!)
                }
            }
            lossSum += Double(loss) * Double(batch)
            let batchProbabilities = Array(UnsafeBufferPointer(start: output, count: batch * width))
            correct += correctCount(batchProbabilities, targets: targets, batch: batch)
            for (offset, row) in rows.enumerated() {
                for j in 0..<width { probabilities[row * width + j] = output[offset * width + j] }
            }
        }
        return (lossSum / Double(max(data.count, 1)), correct / Double(max(data.count, 1)), probabilities)
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
