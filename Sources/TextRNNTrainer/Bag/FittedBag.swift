import Dispatch
import Foundation
import TextRNNRuntime

/// The bag branch of a trained model: a logistic regression on the bag features (its C chosen
/// on the validation data), combined with the network in logit space, z = a·z_bag + b·z_network.
/// Stacked (the network trained on top of the bag's out-of-fold logits, OutOfFold.swift): a = 1
/// and b in [0, 1]; beside it (the network trained alone): a = w, b = 1 − w. The scales are
/// chosen on the validation data and folded into the weights: `kernel` and `bias` carry a, the
/// network's last Dense is scaled by b, so the bundle's Dense over [network features ‖ bag
/// features] gives z exactly.
public struct FittedBag: Sendable {
    /// How the features are weighted (stored in the bundle as the `bag/idf` weights either way).
    /// idf times a power of the naive-Bayes ratio (BagBuilder.naiveBayesRatios): 0 is plain
    /// TF-IDF, 1 NBSVM's scaling, ½ between (on IMDB's and ag_news_mini's validation parts the
    /// last two beat plain TF-IDF, and neither beat the other on both).
    public enum Weighting: String, Sendable, CaseIterable {
        case idf
        case idfSqrtNaiveBayes = "idf x sqrt(naive-Bayes)"
        case idfNaiveBayes = "idf x naive-Bayes"
        var naiveBayesPower: Float { self == .idf ? 0 : self == .idfSqrtNaiveBayes ? 0.5 : 1 }
        /// The order they are tried in at the start C, most often best first (validation parts
        /// of IMDB and ag_news_mini): it matters only when a time budget cuts the search short,
        /// since each point is fitted from scratch and the lowest validation loss wins.
        static let searchOrder: [Weighting] = [.idfSqrtNaiveBayes, .idfNaiveBayes, .idf]
        /// `plain` (idf weights) weighted this way, with each feature's naive-Bayes ratio.
        func features(_ plain: BagFeatures, ratios: @autoclosure () -> [Float]) -> BagFeatures {
            self == .idf ? plain : BagBuilder.scaled(plain, by: ratios(), power: naiveBayesPower)
        }
    }

    public let features: BagFeatures
    public let outputs: Int
    var kernel: [Float]  // [features, outputs], times scales.bag
    var bias: [Float]  // [outputs], times scales.bag: added to the last Dense's bias
    /// What was chosen, and the validation accuracy of each part and of the mix.
    public let weighting: Weighting
    public let c: Float
    /// The training rows the weighting and C were chosen on, when a random subset (nil: all).
    public let searchRows: Int?
    /// Whether the network was trained on top of the bag, and the chosen scales (a, b).
    public let stacked: Bool
    public let scales: (bag: Float, network: Float)
    public let validation: (network: Double, bag: Double, mixed: Double)?
    /// The mixed model's loss and probabilities [rows, outputs] on the validation data, before
    /// the regression was refit with those rows: the honest validation result.
    public let validationResult: (loss: Double, probabilities: [Float])?

    /// The training log's lines: what the bag reads, how it is weighted and mixed, and the
    /// validation accuracies, wrapped to 79 columns.
    public var summary: [String] {
        let features = String(format: "%d unigram + %d bigram ", features.spec.unigrams, features.spec.bigrams)
            + (features.spec.characters > 0 ? "+ \(features.spec.characters) character n-gram " : "") + "features"
        var lines = [features, "\(weighting.rawValue) weights" + String(format: ", C = %g, ", c) + scaleSummary]
        if let validation {
            // Stacked, the network alone is a correction to the bag, not a classifier.
            lines.append(stacked
                ? String(format: "validation accuracy: bag %.4f, bag + network %.4f", validation.bag, validation.mixed)
                : String(format: "validation accuracy: network %.4f, bag %.4f, mixed %.4f", validation.network, validation.bag, validation.mixed))
        }
        return lines.flatMap { wordWrapped($0, head: "bag: ", indent: "     ") }
    }

    /// How the two are combined, for logs and the report.
    public var scaleSummary: String {
        (stacked ? String(format: "stacked: bag + %.1f × network", scales.network) : String(format: "mix w = %.1f", scales.bag))
            + (scales.network == 0 ? " (the bag alone: predictions skip the network)" : "")
    }

    /// The tensors of the bundle's bag branch.
    var tensors: [BundleTensor] {
        let shapes = features.spec.weightShapes(outputs: outputs)
        let pairs = features.bigramKeys.flatMap { [Float($0 >> 32), Float($0 & 0xFFFF_FFFF)] }
        let values = [features.idf, pairs, kernel] + (shapes.count > 3 ? [features.characterBuckets.map { Float($0) }] : [])
        return zip(shapes, values).map { BundleTensor(name: $0.name, shape: $0.shape, values: $1) }
    }

    /// Adds the branch's logits for `ids` and the character n-gram `buckets` to `z` [outputs].
    func addLogits(
        _ ids: UnsafeBufferPointer<Int32>, characters buckets: UnsafeBufferPointer<UInt32>, scratch: inout BagScratch,
        into z: UnsafeMutablePointer<Float>
    ) {
        kernel.withUnsafeBufferPointer {
            features.addLogits(ids, characters: buckets, kernel: .float($0.baseAddress!), outputs: outputs, scratch: &scratch, into: z)
        }
    }
}

extension TrainingSession {
    /// The mixing weights tried.
    static let bagMixGrid: [Float] = (0...10).map { Float($0) / 10 }
    /// Most floats of the bag kernel (features × outputs): 24 MB of float32.
    static let bagKernelBudget = 6_000_000

    /// Fits the bag branch and folds the mix into the network's last Dense (leaves `bag` nil when
    /// the mix gives it no weight). The regression (`fitBagRegression`) does not depend on the
    /// network: pass one fitted on the same encoded data as `reusing` to only choose the mix
    /// (a recipe search does, for every trial after the first). Returns the regression used.
    @discardableResult
    public func fitBag(
        train: EncodedDataset, validation: EncodedDataset?, reusing fitted: BagRegression? = nil,
        secondsLeft: () -> Double = { .infinity }, log: (String) -> Void
    ) throws -> BagRegression {
        let regression = fitted.flatMap { fits($0) ? $0 : nil } ?? fitBagRegression(train: train, validation: validation, secondsLeft: secondsLeft, log: log)
        let stacked = validation?.baseLogits != nil
        var scales: (bag: Float, network: Float) = (0.5, 0.5)
        var scores: (network: Double, bag: Double, mixed: Double)? = nil
        var validationResult: (loss: Double, probabilities: [Float])? = nil
        if let validation, let bagLogits = regression.validationLogits {
            let networkLogits = try networkLogits(validation)
            // The mix by validation loss (smoother than accuracy on a few hundred rows, and it
            // weighs how confident each part is), with the one-standard-error rule (Breiman et
            // al. 1984): the most bag-weighted mix whose loss is within one standard error of the
            // lowest, the error of their paired per-row differences. On a hundred rows the
            // lowest-loss mix is mostly noise: on a 1,000-text task made from the shared train
            // splits it cost 1.4 points against the bag alone, averaged over six splits
            // (docs/accuracy.md); the bag, a convex fit, is the steadier part.
            // Stacked, the bag alone (b = 0) is the most preferred, as w = 1 is beside it.
            let candidates: [(bag: Float, network: Float)] = stacked
                ? Self.bagMixGrid.reversed().map { (1, $0) } : Self.bagMixGrid.map { ($0, 1 - $0) }
            let mixes = candidates.map { s in zip(bagLogits, networkLogits).map { s.bag * $0 + s.network * $1 } }
            let losses = mixes.map { rowLosses($0, validation) }
            let chosen = Self.withinOneStandardError(losses)
            scales = candidates[chosen]
            log("bag: validation loss by " + (stacked ? "network scale: " : "mix w: ") + zip(candidates, losses).map { s, rows in
                String(format: "%.1f %.4f", stacked ? s.network : s.bag, PairedDifference(rows).mean)
            }.joined(separator: ", "))
            let (loss, accuracy) = score(mixes[chosen], validation)
            validationResult = (loss, probabilities(mixes[chosen]))
            scores = (score(networkLogits, validation).accuracy, regression.validationAccuracy, accuracy)
        }
        if scales.bag == 0 {
            log("bag: the network alone did best on the validation data; no bag branch")
            return regression
        }
        let outputs = network.outputDim
        let weights = regression.features.spec.features * outputs
        bag = FittedBag(
            features: regression.features, outputs: outputs, kernel: regression.parameters[..<weights].map { scales.bag * $0 },
            bias: regression.parameters[weights...].map { scales.bag * $0 }, weighting: regression.weighting, c: regression.c,
            searchRows: regression.searchRows, stacked: stacked, scales: scales,
            validation: scores, validationResult: validationResult)
        // Fold: the last Dense's kernel and bias times b, plus the bag's bias.
        let last = plan.layers.count - 1
        let kernelName = tensorName(layer: last, role: "kernel"), biasName = tensorName(layer: last, role: "bias")
        try network.store.setTensor(named: kernelName, to: try network.store.tensor(named: kernelName).map { scales.network * $0 })
        try network.store.setTensor(named: biasName, to: zip(try network.store.tensor(named: biasName), bag!.bias).map { scales.network * $0 + $1 })
        return regression
    }

    /// Classes the naive-Bayes ratios are computed over: the outputs, or more if labels say so.
    func bagClasses(_ train: EncodedDataset) -> Int { max(network.outputDim, (train.labelSets.joined().max() ?? 0) + 1) }

    /// Whether `regression` was fitted on this session's tokens: the same text pipeline and
    /// vocabulary. The bag reads every token of a text, so how the network's sequences are cut
    /// and padded does not matter (a recipe search draws those, and reuses one regression).
    func fits(_ regression: BagRegression) -> Bool {
        func tokens(_ config: TextPipelineConfig) -> TextPipelineConfig {
            var config = config
            (config.sequenceLength, config.padding, config.truncating) = (nil, .post, .post)
            return config
        }
        return tokens(regression.pipeline) == tokens(pipeline.config) && regression.vocabularySize == pipeline.vocabulary.count
    }

    /// The bag's features before any weighting by labels: unigrams, and the most frequent bigrams
    /// (and character n-grams, when `train` has them) that keep the kernel within
    /// `bagKernelBudget`, with idf weights. Bigrams and character n-grams share what the
    /// unigrams leave of the budget, half each. `characters: false`: words only.
    func plainBagFeatures(_ train: EncodedDataset, characters: Bool = true) -> BagFeatures {
        let vocabularySize = pipeline.vocabulary.count
        let room = max(0, Self.bagKernelBudget / network.outputDim - vocabularySize)
        let characters = characters && !train.characters.isEmpty
        let maxBigrams = min(500_000, characters ? room / 2 : room)
        return BagBuilder.fit(train, vocabularySize: vocabularySize, maxBigrams: maxBigrams,
                              maxCharacters: characters ? min(500_000, room - maxBigrams) : 0)
    }

    /// The network's logits for `data`, recovered from its probabilities: log p for softmax
    /// (softmax is shift-invariant), log(p / (1 − p)) for sigmoids.
    func networkLogits(_ data: EncodedDataset) throws -> [Float] {
        var alone = data
        alone.baseLogits = nil
        let probabilities = try evaluate(alone).probabilities
        return probabilities.map { p in
            let q = min(max(p, 1e-7), 1 - 1e-7)
            return plan.loss == .sparseCategoricalCrossEntropy ? logf(q) : logf(q / (1 - q))
        }
    }

    /// Mean cross-entropy and accuracy of logits [count, outputs] against `data`.
    func score(_ logits: [Float], _ data: EncodedDataset) -> (loss: Double, accuracy: Double) {
        let width = network.outputDim
        let probabilities = self.probabilities(logits)
        var gradient = [Float](repeating: 0, count: logits.count)
        let loss = crossEntropy(plan.loss, logits: logits, probabilities: probabilities, batch: data.count, outputs: width,
                                targets: data.targets, sampleWeights: nil, logitGradient: &gradient)
        return (Double(loss), correctCount(probabilities, targets: data.targets, batch: data.count) / Double(max(data.count, 1)))
    }

    /// The one-standard-error rule: of candidates ordered from least to most preferred, each with
    /// its per-row validation losses, the last whose mean loss is within one standard error of
    /// the lowest mean (the error of the paired per-row differences).
    static func withinOneStandardError(_ losses: [[Double]]) -> Int {
        let lowest = losses.indices.min { PairedDifference(losses[$0]).mean < PairedDifference(losses[$1]).mean }!
        return losses.indices.last { i in
            let difference = PairedDifference(zip(losses[i], losses[lowest]).map { $0 - $1 })
            return difference.mean <= difference.standardError
        }!
    }

    /// Each row's cross-entropy under logits [rows, outputs].
    func rowLosses(_ logits: [Float], _ data: EncodedDataset) -> [Double] {
        let width = network.outputDim, targetWidth = plan.loss == .multiLabelBinaryCrossEntropy ? width : 1
        let probabilities = self.probabilities(logits)
        var gradient = [Float](repeating: 0, count: width)
        return logits.withUnsafeBufferPointer { z in
            probabilities.withUnsafeBufferPointer { p in
                data.targets.withUnsafeBufferPointer { y in
                    (0..<data.count).map { row in
                        Double(crossEntropy(plan.loss, logits: z.baseAddress! + row * width, probabilities: p.baseAddress! + row * width,
                                            batch: 1, outputs: width, targets: y.baseAddress! + row * targetWidth,
                                            sampleWeights: nil, logitGradient: &gradient))
                    }
                }
            }
        }
    }

    /// The output activation of logits [rows, outputs].
    func probabilities(_ logits: [Float]) -> [Float] {
        let width = network.outputDim
        var result = logits
        result.withUnsafeMutableBufferPointer { y in
            logits.withUnsafeBufferPointer { z in
                activateRows(z.baseAddress!, into: y.baseAddress!, rows: logits.count / width, width: width, plan.loss.outputActivation)
            }
        }
        return result
    }
}
