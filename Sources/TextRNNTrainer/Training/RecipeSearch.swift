import Dispatch
import Foundation
import TextRNNRuntime

/// `--autotune`: searches the recipe space on the validation data within a wall-clock budget (or
/// for a fixed number of trials, deterministically). Trial 1 is the no-flag recipe itself, so the
/// search never picks something that did worse than the defaults on the validation data. Each
/// later trial draws its hyperparameters from a seeded generator, leaving every key the user set
/// alone; a trial whose validation accuracy falls 3 points behind the most accurate trial's of
/// its kind (stacked on the bag or beside it) at the same epoch is stopped there (pruned). The
/// best trial's model (network, bag and mix) is kept as trained: nothing is retrained after
/// the search.
///
/// The space: cell, width, bidirectional, embedding size, pooling, the three dropouts, learning
/// rate and schedule, sequence length and which end of a long text it keeps, and the bag's place
/// (stacked under the network or mixed beside it). Epochs are early stopping's (the best epoch,
/// per trial), and every trial's mix decides the bag on or off (w = 0 is the network alone,
/// w = 1 the bag alone). Not drawn: the network's n-gram tokens, which change the vocabulary
/// the bag is built on (each such trial would refit the bag, most of a trial on long texts;
/// IMDB's 1-3-gram network earned no mix weight, docs/accuracy.md).
///
/// Choosing the best of many trials on one validation set overstates the winner: with dozens
/// of trials on a few hundred rows, the top score is mostly luck (seen on ag_news_mini, see
/// docs/accuracy.md). So a trial replaces the incumbent (first trial 1, the no-flag recipe) only
/// if it is right on more validation rows than the incumbent by more than z standard errors of
/// that paired difference, with z = max(1, √(2 ln k)) for the k-th trial: about the largest of
/// k draws of pure noise (`replaces(incumbent:)`).
public struct RecipeSearch {
    public struct Trial: Sendable {
        public let number: Int
        public var summary: String
        public var validationAccuracy: Double?
        public var epochs = 0
        public var seconds = 0.0
        public var status = "running"
        /// The trial whose model the search returned.
        public var isKept: Bool { status == RecipeSearch.keptStatus }
    }

    /// The status of the kept trial once the search has ended.
    static let keptStatus = "best"

    public let base: TrainingConfig
    /// Wall-clock budget in seconds (nil: `trials` decides).
    public let budget: Double?
    /// Exactly this many trials (a deterministic search), or nil.
    public let trials: Int?

    public init(base: TrainingConfig, budget: Double?, trials: Int?) {
        self.base = base
        self.budget = budget
        self.trials = trials
    }

    /// Accuracy a trial may trail the best trial's curve by, at the same epoch, before it is pruned.
    static let pruneMargin = 0.03
    /// Under a budget: the share trial 1's bag regression may use (it runs first), and where
    /// trial 1's network stops (counted from the start of the search, bag included). The bag
    /// gets most. On 20 Newsgroups' validation part (5 minutes): with half the budget its search
    /// stopped at C = 512 without the refit on the validation rows (92.76%, against the no-flag
    /// model's 93.46%); with 70% it reached C = 2048 but not the refit (92.93%); with 80% it
    /// refit, the network stopped after 5 epochs instead of 8, and the search scored 93.55%.
    static let bagShare = 0.8, firstNetworkShare = 0.9

    /// Trial `number`'s configuration: the base for trial 1, else a draw from the space.
    public func config(trial number: Int) -> TrainingConfig {
        var config = base
        guard number > 1 else { return config }
        var rng = SeededGenerator(seed: base.seed).split(UInt64(number))
        func pick<T>(_ path: WritableKeyPath<TrainingConfig, T>, _ options: [T]) {
            guard !base.isGiven(path) else { return }
            config[keyPath: path] = options[Int(rng.nextUnitFloat() * Float(options.count)) % options.count]
        }
        pick(\.cell, [.gru, .lstm])
        pick(\.units, [[32], [64], [48]])
        pick(\.embeddingDim, [64, 96, 128])
        pick(\.pooling, [.max, .average])
        pick(\.embeddingDropout, [0.2, 0.3, 0.5])
        pick(\.dropout, [0.1, 0.2, 0.3])
        pick(\.denseDropout, [0.3, 0.5])
        pick(\.learningRate, [0.001, 0.002, 0.003])
        pick(\.schedule, [.constant, .cosine])
        // Drawn after the above, so that their draws stay those of earlier versions. The
        // sequence: the automatic length (at most 256) or twice that much of a long text, its
        // start or its end. The bag reads every token either way, so its regression is reused.
        pick(\.bidirectional, [true, false])
        pick(\.sequenceLength, [0, 2 * TrainingSession.longestAutomaticLength])
        pick(\.truncating, [.post, .pre])
        if config.bag { pick(\.bagStacking, [false, true]) }
        return config
    }

    static func describe(_ c: TrainingConfig) -> String {
        String(format: "%@ %@%@ emb %d %@ drop %g/%g/%g lr %g %@ seq %@%@%@", c.cell.rawValue,
               c.bidirectional ? "bi" : "", c.units.map(String.init).joined(separator: ","), c.embeddingDim,
               c.pooling.rawValue, c.embeddingDropout, c.dropout, c.denseDropout, c.learningRate, c.schedule.rawValue,
               c.sequenceLength == 0 ? "auto" : String(c.sequenceLength), c.truncating == .pre ? " end" : "",
               c.bag && c.bagStacking ? " stacked" : "")
    }

    /// Runs the search. `shouldStop` (Ctrl-C) ends it early; the best trial so far is returned.
    /// Throws only when no trial finished.
    public func run(
        train: LabelledDataset, validation: LabelledDataset, log: (String) -> Void, shouldStop: () -> Bool
    ) throws -> (best: TrainingSession, trials: [Trial]) {
        let started = DispatchTime.now()
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        var results: [Trial] = []
        var best: (session: TrainingSession, correct: [Bool], number: Int)? = nil
        // Pruning compares a trial's validation curve with the most accurate finished trial's of
        // its kind: a network stacked on the bag is scored with the bag's logits from its first
        // epoch, one beside the bag without them, so their curves are not comparable.
        var referenceCurves: [Bool: (accuracy: Double, curve: [Double])] = [:]
        log(Self.tableHeader)
        var number = 0
        var bagRegression: BagRegression? = nil
        let skipGramCache = SkipGramCache()
        while true {
            number += 1
            if let trials, number > trials { break }
            if trials == nil, let budget, number > 1 {
                // Start another trial only if one as long as the longest so far still fits.
                let longest = results.map(\.seconds).max() ?? 0
                if elapsed() + longest > budget { break }
            }
            if shouldStop() { break }
            let config = self.config(trial: number)
            var trial = Trial(number: number, summary: Self.describe(config))
            let trialStart = elapsed()
            let session = try TrainingSession(config: config, train: train, skipGramCache: skipGramCache, log: { _ in })
            var encodedTrain = try session.encode(train), heldOut: EncodedDataset? = try session.encode(validation)
            // Under a budget the bag's regression comes first, within `bagShare` of it: every
            // trial reuses it, and it is most of the model on long texts (the mix gave it
            // weight 0.7–1 on IMDB's and 20 Newsgroups' validation parts), so a network cut
            // short costs less than a bag search cut short. Stacked, it comes first anyway; a
            // later stacked trial reuses the regression and fits its out-of-fold logits (once
            // per search) within what is left of the budget.
            let bagSecondsLeft: () -> Double = {
                (trials == nil ? budget : nil).map { (number == 1 ? Self.bagShare : 1) * $0 - elapsed() } ?? .infinity
            }
            if let stacked = session.stackOnBag(
                train: &encodedTrain, validation: &heldOut, reusing: bagRegression, secondsLeft: bagSecondsLeft, log: { _ in }) {
                bagRegression = stacked
            } else if number == 1, config.bag, trials == nil, budget != nil {
                bagRegression = session.fitBagRegression(train: encodedTrain, validation: heldOut, secondsLeft: bagSecondsLeft, log: { _ in })
            }
            let encodedValidation = heldOut!
            let stacked = encodedValidation.baseLogits != nil
            if config.bag && config.bagStacking && !stacked { trial.summary += " (out of time to stack: beside)" }
            var pruned = false, overBudget = false, budgetCut = false
            let bestCurve = referenceCurves[stacked]?.curve
            let outcome = try session.fit(
                train: encodedTrain, validation: encodedValidation, progress: ProgressReporter(interactive: false, level: .quiet),
                checkpoint: { _ in },
                shouldStop: {
                    if shouldStop() { return true }
                    // Over budget: a later trial cannot finish in time and stops. Trial 1 must
                    // give a model: its network stops at `firstNetworkShare` of the budget
                    // (keeping its best epoch), leaving time to mix it with the bag. Fixed-trials
                    // searches stop on Ctrl-C only.
                    if trials == nil, let budget {
                        if number > 1, elapsed() > budget { overBudget = true; return true }
                        if number == 1, elapsed() > Self.firstNetworkShare * budget, !session.history.epochs.isEmpty {
                            budgetCut = true
                            return true
                        }
                    }
                    if let bestCurve, let last = session.history.epochs.last, let accuracy = last.validationAccuracy,
                       last.epoch >= 2, last.epoch <= bestCurve.count, accuracy < bestCurve[last.epoch - 1] - Self.pruneMargin {
                        pruned = true
                        return true
                    }
                    return false
                })
            trial.epochs = session.history.epochs.count
            if case .diverged = outcome { trial.status = "diverged" }
            if pruned { trial.status = "pruned" }
            if overBudget || (outcome == .interrupted && !pruned && !budgetCut) { trial.status = overBudget ? "over budget" : "interrupted" }
            if trial.status == "running" {
                if outcome == .finished || budgetCut { session.restoreBest() }
                // Trials share the text pipeline and data, so the bag's regression is fitted once.
                if config.bag {
                    // Within the budget: trial 1 fits the regression the later trials reuse.
                    bagRegression = try session.fitBag(
                        train: encodedTrain, validation: encodedValidation, reusing: bagRegression,
                        secondsLeft: { (trials == nil ? budget : nil).map { $0 - elapsed() } ?? .infinity }, log: { _ in })
                }
                // The honest validation result: the bag's before it was refit with these rows.
                let probabilities = try session.bag?.validationResult?.probabilities ?? session.evaluate(encodedValidation).probabilities
                let correct = session.correctRows(probabilities, targets: encodedValidation.targets, batch: encodedValidation.count)
                let accuracy = Double(correct.lazy.filter { $0 }.count) / Double(max(correct.count, 1))
                trial.validationAccuracy = accuracy
                trial.status = "done"
                if accuracy > referenceCurves[stacked]?.accuracy ?? -1 {
                    referenceCurves[stacked] = (accuracy, session.history.epochs.map { $0.validationAccuracy ?? 0 })
                }
                if best == nil || Self.replaces(incumbent: best!.correct, with: correct, trial: number) {
                    best = (session, correct, number)
                    trial.status = "best so far"
                }
            }
            trial.seconds = elapsed() - trialStart
            results.append(trial)
            Self.tableLines(trial).forEach(log)
        }
        guard let best else { throw TrainingError("autotune: no trial finished; give it a longer budget") }
        for index in results.indices where results[index].status == "best so far" {
            results[index].status = results[index].number == best.number ? Self.keptStatus : "done"
        }
        return (best.session, results)
    }

    /// Whether trial `trial`, right on the validation rows marked in `challenger`, beats the
    /// incumbent's `incumbent`: by the paired difference d = challenger − incumbent per row (−1, 0
    /// or 1), mean(d) > z·SE(mean(d)) with z = max(1, √(2 ln trial)).
    static func replaces(incumbent: [Bool], with challenger: [Bool], trial: Int) -> Bool {
        let difference = PairedDifference(zip(challenger, incumbent).map { Double(($0 ? 1 : 0) - ($1 ? 1 : 0)) })
        let z = max(1, (2 * log(Double(max(trial, 2)))).squareRoot())
        return difference.mean > 0 && difference.mean > z * difference.standardError
    }

    /// The live table `run` logs: a header, then per trial its numbers on one line and its recipe
    /// under them, wrapped, so that it fits an 80-column terminal (a drawn recipe is up to 80
    /// characters, a given one longer).
    static let tableHeader = tableRow("trial", "val_acc", "epochs", "time", "status")

    static func tableLines(_ trial: Trial) -> [String] {
        [tableRow("\(trial.number)", trial.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-", "\(trial.epochs)",
                  String(format: "%.0fs", trial.seconds), trial.status)]
            + wordWrapped(trial.summary, indent: "    ")
    }

    /// Numbers right-aligned under their headings, the status last.
    private static func tableRow(_ trial: String, _ accuracy: String, _ epochs: String, _ time: String, _ status: String) -> String {
        zip([trial, accuracy, epochs, time], [5, 7, 6, 6]).map { String(repeating: " ", count: max($1 - $0.count, 0)) + $0 }
            .joined(separator: "  ") + "  " + status
    }

    /// The trials as manifest metadata.
    public static func json(_ trials: [Trial]) -> TextRNNRuntime.JSONValue {
        .array(trials.map { trial in
            .object([
                ("trial", .int(trial.number)), ("recipe", .string(trial.summary)),
                ("validation_accuracy", trial.validationAccuracy.map { .double($0) } ?? .null),
                ("epochs", .int(trial.epochs)), ("status", .string(trial.status)),
            ])
        })
    }
}

/// "90", "90s", "5m", "1.5h" -> seconds.
public func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    if let last = text.last, let scale = units[last], let value = Double(text.dropLast()), value > 0 { return value * scale }
    if let value = Double(text), value > 0 { return value }
    return nil
}
