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
    /// Whether the network was trained on top of the bag, and the chosen scales (a, b).
    public let stacked: Bool
    public let scales: (bag: Float, network: Float)
    public let validation: (network: Double, bag: Double, mixed: Double)?
    /// The mixed model's loss and probabilities [rows, outputs] on the validation data, before
    /// the regression was refit with those rows: the honest validation result.
    public let validationResult: (loss: Double, probabilities: [Float])?

    /// One line for the training log.
    public var summary: String {
        var line = String(format: "bag: %d unigram + %d bigram ", features.spec.unigrams, features.spec.bigrams)
            + (features.spec.characters > 0 ? "+ \(features.spec.characters) character n-gram " : "") + "features, "
            + "\(weighting.rawValue) weights" + String(format: ", C = %g, ", c) + scaleSummary
        if let validation {
            // Stacked, the network alone is a correction to the bag, not a classifier.
            line += stacked
                ? String(format: "; validation accuracy: bag %.4f, bag + network %.4f", validation.bag, validation.mixed)
                : String(format: "; validation accuracy: network %.4f, bag %.4f, mixed %.4f", validation.network, validation.bag, validation.mixed)
        }
        return line
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

/// The bag's logistic regression as `fitBagRegression` chose and fitted it; it depends on the
/// encoded data only (the text pipeline, the rows), not on the network.
public struct BagRegression: Sendable {
    let pipeline: TextPipelineConfig
    let vocabularySize: Int
    let features: BagFeatures
    let weighting: FittedBag.Weighting
    let c: Float
    /// W [features, outputs] then the bias [outputs], refit on train + validation.
    let parameters: [Float]
    /// The train-only fit's logits on the validation rows (nil without validation data), and its accuracy there.
    let validationLogits: [Float]?
    let validationAccuracy: Double
    /// Out-of-fold logits on the training rows, once stacking has fitted them (kept so a recipe
    /// search's trials reuse them with the regression).
    var trainLogits: [Float]? = nil
}

extension TrainingSession {
    /// The C grid of the bag's logistic regression (scikit-learn's C) and the mixing weights tried.
    static let bagCGrid: [Float] = [0.5, 2, 8, 32, 128, 512, 2048]
    /// Where the walk over `bagCGrid` starts (it needs a neighbour on each side).
    static let bagCStart: Float = 32
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
            stacked: stacked, scales: scales,
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

    /// Whether `regression` was fitted on this session's text pipeline (so on the same encoded data).
    func fits(_ regression: BagRegression) -> Bool {
        regression.pipeline == pipeline.config && regression.vocabularySize == pipeline.vocabulary.count
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

    /// The bag's logistic regression: features, their weighting and C chosen by validation loss
    /// (each fitted on `train` only), then refit with the validation rows too, as scikit-learn's
    /// LogisticRegressionCV refits on everything: 10% more data. Without validation data nothing
    /// can be chosen honestly: idf weights and C = 8.
    ///
    /// `secondsLeft` is a time budget (a recipe search's): a grid point starts only if one as
    /// long as the longest so far still fits, and the refit only if twice that does; otherwise
    /// the best train-only fit is kept. Without a budget the search is always the same.
    public func fitBagRegression(
        train: EncodedDataset, validation: EncodedDataset?, secondsLeft: () -> Double = { .infinity }, log: (String) -> Void
    ) -> BagRegression {
        let outputs = network.outputDim
        let vocabularySize = pipeline.vocabulary.count
        // Counting and the first fit take a minute and more on a few hundred thousand texts:
        // say what is happening before it starts.
        log("bag: counting words, word pairs\(train.characters.isEmpty ? "" : " and character n-grams") in \(train.count) texts, then "
            + (validation == nil ? "fitting the regression" : "one regression per weighting and C tried (a line each)"))
        let plain = plainBagFeatures(train)
        let plainRows = SparseRows(train, features: plain)
        func fresh(_ features: BagFeatures) -> LinearClassifier {
            LinearClassifier(features: features.spec.features, outputs: outputs, loss: plan.loss)
        }
        guard let validation else {
            var classifier = fresh(plain)
            classifier.fit(plainRows, targets: train.targets, C: 8)
            return BagRegression(pipeline: pipeline.config, vocabularySize: vocabularySize, features: plain, weighting: .idf,
                                 c: 8, parameters: classifier.parameters, validationLogits: nil, validationAccuracy: 0)
        }
        let ratios = BagBuilder.naiveBayesRatios(plain, rows: plainRows, labelSets: train.labelSets, classes: bagClasses(train))
        typealias Candidate = (weighting: FittedBag.Weighting, features: BagFeatures, trainRows: SparseRows, rows: SparseRows)
        var best: (loss: Double, accuracy: Double, c: Float, candidate: Candidate, logits: [Float], classifier: LinearClassifier)? = nil
        var longestFit = 0.0
        /// The validation loss of `candidate` at grid point `index` (nil when out of time).
        func fit(_ candidate: Candidate, _ index: Int) -> Double? {
            if best != nil, secondsLeft() < longestFit {
                log("bag: time budget reached; the grid stops here")
                return nil
            }
            let c = Self.bagCGrid[index]
            let started = DispatchTime.now().uptimeNanoseconds
            // A cold start per C: warm starts at large C stalled on IMDB (identical validation
            // scores for C = 32, 128, 512). Comparing C values needs less precision than the
            // final fit: 150 iterations.
            var classifier = fresh(candidate.features)
            classifier.fit(candidate.trainRows, targets: train.targets, C: c, maxIterations: 150)
            let logits = classifier.logits(candidate.rows)
            let (loss, accuracy) = score(logits, validation)
            let blocks = plain.spec.characters == 0 ? "" : candidate.features.spec.characters > 0 ? "words + characters, " : "words only, "
            log("bag: \(blocks)\(candidate.weighting.rawValue) weights, " + String(format: "C = %g: validation accuracy %.4f, loss %.4f", c, accuracy, loss))
            // By validation loss, as the mix: on a few thousand rows, accuracy moves by
            // single texts between C values that fit almost alike.
            if best == nil || loss < best!.loss { best = (loss, accuracy, c, candidate, logits, classifier) }
            longestFit = max(longestFit, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            return loss
        }
        // Every weighting is fitted at the middle C and C is walked for the best of them only (a
        // fit is most of the training time on 20 classes). Then the other weightings are fitted
        // where the walk ended, and a better one is walked in turn: the weighting that is best
        // at C = 32 need not be best at the C the walk finds. On short texts plain idf won at
        // C = 32 and the walk went to C = 2, where the naive-Bayes weightings do better
        // (docs/accuracy.md). `best` keeps the lowest validation loss of every fit.
        let start = Self.bagCGrid.firstIndex(of: Self.bagCStart)!
        var candidates: [Candidate] = []
        var losses: [String: Double] = [:]
        /// `fit`, once per (features, weighting, C).
        func loss(_ candidate: Candidate, _ index: Int) -> Double? {
            let key = "\(candidate.features.spec.characters) \(candidate.weighting.rawValue) \(index)"
            if let known = losses[key] { return known }
            let value = fit(candidate, index)
            losses[key] = value
            return value
        }
        /// The validation loss has been unimodal in C in every logged run (docs/accuracy.md):
        /// from `index`, fit both neighbours and go on towards the lower one until the loss
        /// rises. Returns where it stopped.
        func walk(_ candidate: Candidate, from index: Int) -> Int {
            guard let here = loss(candidate, index) else { return index }
            let neighbours = [index - 1, index + 1].filter { Self.bagCGrid.indices.contains($0) }
            let fitted = neighbours.compactMap { i in loss(candidate, i).map { (index: i, loss: $0) } }
            guard fitted.count == neighbours.count, let lower = fitted.min(by: { $0.loss < $1.loss }), lower.loss < here else { return index }
            let step = lower.index - index
            var (at, lowest) = lower
            while Self.bagCGrid.indices.contains(at + step), let next = loss(candidate, at + step), next < lowest {
                (at, lowest) = (at + step, next)
            }
            return at
        }
        for weighting in FittedBag.Weighting.searchOrder {
            let features = weighting.features(plain, ratios: ratios)
            let candidate = (weighting, features,
                             weighting == .idf ? plainRows : SparseRows(train, features: features).sharingIndices(with: plainRows),
                             SparseRows(validation, features: features))
            guard loss(candidate, start) != nil else { break }
            candidates.append(candidate)
        }
        if var current = candidates.min(by: { loss($0, start)! < loss($1, start)! }) {
            var index = walk(current, from: start)
            for _ in 0..<FittedBag.Weighting.allCases.count {
                let here = loss(current, index) ?? .infinity
                let others = candidates.filter { $0.weighting != current.weighting }.compactMap { c in loss(c, index).map { (c, $0) } }
                guard let better = others.min(by: { $0.1 < $1.1 }), better.1 < here else { break }
                current = better.0
                index = walk(current, from: index)
            }
            // Character n-grams must earn their place: the words alone, weighted as chosen, walk
            // C from where the search ended, and the lower validation loss wins (`best`).
            if plain.spec.characters > 0 {
                let words = plainBagFeatures(train, characters: false)
                let wordRows = SparseRows(train, features: words)
                let weighted = current.weighting.features(words, ratios: BagBuilder.naiveBayesRatios(
                    words, rows: wordRows, labelSets: train.labelSets, classes: bagClasses(train)))
                _ = walk((current.weighting, weighted, current.weighting == .idf ? wordRows : SparseRows(train, features: weighted),
                          SparseRows(validation, features: weighted)), from: index)
            }
        }
        let chosen = best!
        candidates.removeAll()  // the other weightings' rows: the refit below copies the chosen ones
        var classifier = chosen.classifier
        if secondsLeft() >= 2 * longestFit {
            var all = chosen.candidate.trainRows
            all.append(chosen.candidate.rows)
            // From the train-only fit, as LogisticRegressionCV's refit starts from the folds'
            // mean: the problem is strictly convex, so the start changes only how soon the
            // optimum is reached. Warm, 200 iterations reached the objective a cold start
            // reached in 300 (20 Newsgroups: 0.0061686 both; IMDB and ag_news_mini converged
            // earlier either way).
            classifier.fit(all, targets: train.targets + validation.targets, C: chosen.c, maxIterations: 200)
        } else {
            log("bag: time budget reached; kept the fit on the training rows (no refit with the validation rows)")
        }
        return BagRegression(pipeline: pipeline.config, vocabularySize: vocabularySize, features: chosen.candidate.features,
                             weighting: chosen.candidate.weighting, c: chosen.c, parameters: classifier.parameters,
                             validationLogits: chosen.logits, validationAccuracy: chosen.accuracy)
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
