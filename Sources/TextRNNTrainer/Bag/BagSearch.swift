import Dispatch
import Foundation
import TextRNNRuntime

/// The bag's logistic regression as `fitBagRegression` chose and fitted it; it depends on the
/// encoded data only (the text pipeline, the rows), not on the network.
public struct BagRegression: Sendable {
    let pipeline: TextPipelineConfig
    let vocabularySize: Int
    let features: BagFeatures
    let weighting: FittedBag.Weighting
    let c: Float
    /// The training rows the weighting and C were chosen on, when a random subset (nil: all).
    var searchRows: Int? = nil
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
    /// The C grid of the bag's logistic regression (scikit-learn's C).
    static let bagCGrid: [Float] = [0.5, 2, 8, 32, 128, 512, 2048]
    /// Where the walk over `bagCGrid` starts (it needs a neighbour on each side).
    static let bagCStart: Float = 32
    /// The training rows the bag's search fits when there are more than twice as many: the
    /// weighting and C are then chosen on a seeded random subset of this many, and the choice is
    /// fitted on every row (one more fit, so a subset of more than half the rows saves little).
    /// Ranking them needs fewer rows than the model does: on 240,662 short texts the same
    /// held-out accuracy in three quarters of the time (docs/accuracy.md, "At scale").
    public static let bagSearchRows = 50_000
    /// L-BFGS iterations of a search fit, and of the refit on train + validation.
    static let bagFitIterations = 150
    static let bagRefitIterations = 200

    /// The bag's logistic regression: features, their weighting and C chosen by validation loss
    /// (each fitted on `train` only), then refit with the validation rows too, as scikit-learn's
    /// LogisticRegressionCV refits on everything: 10% more data. Without validation data nothing
    /// can be chosen honestly: idf weights and C = 8. On more than twice `searchRows` training
    /// rows the search fits a random subset of that many (`bagSearchRows`).
    ///
    /// `secondsLeft` is a time budget (a recipe search's): a grid point starts only if one as
    /// long as the longest so far still fits, and the refit only if twice that does; otherwise
    /// the best train-only fit is kept. Without a budget the search is always the same.
    public func fitBagRegression(
        train: EncodedDataset, validation: EncodedDataset?, searchRows: Int = bagSearchRows,
        secondsLeft: () -> Double = { .infinity }, log: (String) -> Void
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
        // The rows the search fits: all, or a seeded random subset (`bagSearchRows`); features,
        // idf and naive-Bayes ratios are the full training set's either way.
        let sample: [Int]? = train.count <= 2 * searchRows ? nil : {
            var rng = SeededGenerator(seed: config.seed).split(0x5345_4152)
            return Array(0..<train.count).shuffled(using: &rng).prefix(searchRows).sorted()
        }()
        let searchTargets = sample.map(train.targets(ofRows:)) ?? train.targets
        /// A block's unweighted rows (`plainRows`, or the words alone), those the search fits.
        func searched(_ unweighted: SparseRows) -> SparseRows { sample.map { SparseRows(unweighted, selecting: $0) } ?? unweighted }
        /// `features`' rows of `train` (those `selected`), over the same rows unweighted: those
        /// themselves for idf weights, else new values sharing their indices.
        func rows(_ weighting: FittedBag.Weighting, _ features: BagFeatures, over unweighted: SparseRows, selecting selected: [Int]?) -> SparseRows {
            weighting == .idf ? unweighted : SparseRows(train, features: features, selecting: selected).sharingIndices(with: unweighted)
        }
        let plainSearchRows = searched(plainRows)
        var wordRows: SparseRows? = nil  // the words alone, unweighted, kept for the fit on every row after a subset
        let fullFitScale = Double(train.count) / Double(plainSearchRows.count)  // a fit on every row against a search fit
        if let sample { log("bag: weighting and C are chosen on \(sample.count) of the \(train.count) training texts (a random subset), then fitted on all") }
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
            // final fit (`bagFitIterations`).
            var classifier = fresh(candidate.features)
            classifier.fit(candidate.trainRows, targets: searchTargets, C: c, maxIterations: Self.bagFitIterations)
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
            let candidate = (weighting, features, rows(weighting, features, over: plainSearchRows, selecting: sample),
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
                let unweighted = SparseRows(train, features: words)
                if sample != nil { wordRows = unweighted }
                let weighted = current.weighting.features(words, ratios: BagBuilder.naiveBayesRatios(
                    words, rows: unweighted, labelSets: train.labelSets, classes: bagClasses(train)))
                _ = walk((current.weighting, weighted, rows(current.weighting, weighted, over: searched(unweighted), selecting: sample),
                          SparseRows(validation, features: weighted)), from: index)
            }
        }
        var chosen = best!
        candidates.removeAll()  // the other weightings' rows
        if sample != nil, secondsLeft() >= fullFitScale * longestFit {
            // The choice on every training row, from where the subset's fit ended; its validation
            // logits are the ones the mix is chosen with.
            let features = chosen.candidate.features
            let all = rows(chosen.candidate.weighting, features,
                           over: features.spec.characters == plain.spec.characters ? plainRows : wordRows!, selecting: nil)
            wordRows = nil
            var classifier = chosen.classifier
            classifier.fit(all, targets: train.targets, C: chosen.c, maxIterations: Self.bagFitIterations)
            let logits = classifier.logits(chosen.candidate.rows)
            let (loss, accuracy) = score(logits, validation)
            log("bag: the choice fitted on all \(train.count) training texts: " + String(format: "validation accuracy %.4f, loss %.4f", accuracy, loss))
            chosen.candidate.trainRows = all
            (chosen.loss, chosen.accuracy, chosen.logits, chosen.classifier) = (loss, accuracy, logits, classifier)
        }
        var classifier = chosen.classifier
        if secondsLeft() >= 2 * fullFitScale * longestFit {
            // From the train-only fit, as LogisticRegressionCV's refit starts from the folds'
            // mean: the problem is strictly convex, so the start changes only how soon the
            // optimum is reached. Warm, 200 iterations reached the objective a cold start
            // reached in 300 (20 Newsgroups: 0.0061686 both; IMDB and ag_news_mini converged
            // earlier either way). The training and validation rows are read as two blocks.
            classifier.fit(chosen.candidate.trainRows, chosen.candidate.rows, targets: train.targets + validation.targets,
                           C: chosen.c, maxIterations: Self.bagRefitIterations)
        } else {
            let fitted = chosen.candidate.trainRows.count
            let rowsFitted = fitted == train.count ? "the training rows" : "the \(fitted) training rows of the search's subset"
            log("bag: time budget reached; kept the fit on \(rowsFitted) (no refit with the validation rows)")
        }
        return BagRegression(pipeline: pipeline.config, vocabularySize: vocabularySize, features: chosen.candidate.features,
                             weighting: chosen.candidate.weighting, c: chosen.c, searchRows: sample?.count, parameters: classifier.parameters,
                             validationLogits: chosen.logits, validationAccuracy: chosen.accuracy)
    }
}
