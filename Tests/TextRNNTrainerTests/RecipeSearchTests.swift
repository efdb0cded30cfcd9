import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// `--autotune-trials`: trial 1 is the recipe as given, later trials are seeded draws that leave
/// the user's keys alone, and a later trial replaces the incumbent only by a margin that grows with
/// the number of trials (`RecipeSearch.replaces`).
@Suite(.serialized) struct RecipeSearchTests {
    func base() -> TrainingConfig {
        var config = TrainingConfig()
        config.units = [8]
        config.embeddingDim = 8
        config.epochs = 2
        config.givenKeys = ["units", "embedding_dim", "epochs"]
        return config
    }

    @Test func trialsAreSeededAndKeepGivenKeys() {
        let search = RecipeSearch(base: base(), budget: nil, trials: 4)
        #expect(search.config(trial: 1) == base())
        let drawn = (2...4).map { search.config(trial: $0) }
        #expect(drawn == (2...4).map { RecipeSearch(base: base(), budget: nil, trials: 4).config(trial: $0) })
        #expect(drawn.allSatisfy { $0.units == [8] && $0.embeddingDim == 8 && $0.epochs == 2 })
        #expect(Set(drawn.map(RecipeSearch.describe)).count > 1, "draws differ")
    }

    /// The issue's space (item 4): beyond the network's shape, the sequence's length and end
    /// and the bag's place are drawn too; a key the user gave is never drawn.
    @Test func theSpaceDrawsTheSequenceAndTheBagsPlace() {
        let draws = (2...40).map { RecipeSearch(base: base(), budget: nil, trials: 40).config(trial: $0) }
        #expect(Set(draws.map(\.bidirectional)) == [true, false])
        #expect(Set(draws.map(\.sequenceLength)) == [0, 2 * TrainingSession.longestAutomaticLength])
        #expect(Set(draws.map(\.truncating)) == [.post, .pre])
        #expect(Set(draws.map(\.bagStacking)) == [false, true])
        #expect(draws.contains { RecipeSearch.describe($0).hasSuffix(" stacked") })
        var given = base()
        given.bagStacking = false
        given.sequenceLength = 64
        given.givenKeys.formUnion(["bag_stacking", "sequence_length"])
        let kept = (2...40).map { RecipeSearch(base: given, budget: nil, trials: 40).config(trial: $0) }
        #expect(kept.allSatisfy { !$0.bagStacking && $0.sequenceLength == 64 })
    }

    /// The live table fits an 80-column terminal: the no-flag recipe on one line under the trial's
    /// numbers, which stay under their headings; the longest recipe the space draws (80
    /// characters) and a longer one the user gave wrap at words.
    @Test func theLiveTableFitsEightyColumns() {
        var longest = TrainingConfig()
        (longest.cell, longest.bidirectional, longest.units, longest.embeddingDim) = (.lstm, true, [64], 128)
        (longest.pooling, longest.embeddingDropout, longest.dropout, longest.denseDropout) = (.average, 0.5, 0.3, 0.5)
        (longest.learningRate, longest.schedule, longest.sequenceLength, longest.truncating) = (0.003, .constant, 512, .pre)
        (longest.bag, longest.bagStacking) = (true, true)
        var given = longest
        (given.cell, given.units, given.embeddingDropout) = (.simpleRNN, [128, 128, 128], 0.25)
        let recipes = [RecipeSearch.describe(TrainingConfig()), RecipeSearch.describe(longest),
                       RecipeSearch.describe(given) + " (out of time to stack: beside)"]
        #expect(recipes[1] == "lstm bi64 emb 128 average drop 0.5/0.3/0.5 lr 0.003 constant seq 512 end stacked")
        #expect(recipes[2].hasPrefix("simple-rnn bi128,128,128 emb 128 average drop 0.25/0.3/0.5"), "given values as given")
        for (index, recipe) in recipes.enumerated() {
            var trial = RecipeSearch.Trial(number: 12, summary: recipe)
            (trial.validationAccuracy, trial.epochs, trial.seconds, trial.status) = (0.8783, 10, 1234, "best so far")
            let lines = RecipeSearch.tableLines(trial)
            #expect(lines.allSatisfy { $0.count <= 79 }, "\(lines)")
            #expect(lines.count == [2, 3, 3][index], "the numbers, then the recipe")
            #expect(lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ") == recipe)
            #expect(lines[0] == "   12   0.8783      10   1234s  best so far")
        }
        #expect(RecipeSearch.tableHeader == "trial  val_acc  epochs    time  status")
    }

    /// Trials that differ only in how the network's sequences are cut share one bag regression
    /// (the bag reads every token); a different vocabulary does not.
    @Test func theBagRegressionIsReusedAcrossSequenceLengthsNotVocabularies() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let split = full.subset(Array(stride(from: 0, to: full.count, by: 12))).stratifiedSplit(validationFraction: 0.2, seed: 3)
        func session(_ change: (inout TrainingConfig) -> Void) throws -> TrainingSession {
            var config = base()
            change(&config)
            return try TrainingSession(config: config, train: split.train, log: { _ in })
        }
        let first = try session { _ in }
        let regression = first.fitBagRegression(
            train: try first.encode(split.train), validation: try first.encode(split.validation), log: { _ in })
        let other = try session { $0.sequenceLength = 512; $0.truncating = .pre; $0.padding = .pre }
        #expect(other.fits(regression))
        // What reuse assumes: fitted afresh, the other session's regression is the same.
        let refit = other.fitBagRegression(
            train: try other.encode(split.train), validation: try other.encode(split.validation), log: { _ in })
        #expect(refit.parameters == regression.parameters && refit.c == regression.c)
        #expect(try !session { $0.ngrams = 2 }.fits(regression))
        #expect(try !session { $0.minCount = 3 }.fits(regression))
    }

    /// The paired rule: identical or barely better rows never replace the incumbent; a clear gain
    /// does; the same gain that wins at trial 2 loses at trial 40 (z = √(2 ln 40) ≈ 2.72 > 1.18).
    @Test func aTrialReplacesTheIncumbentOnlyByAMultiplicityAdjustedMargin() {
        func rows(wins: Int, losses: Int, ties: Int) -> (incumbent: [Bool], challenger: [Bool]) {
            let incumbent = [Bool](repeating: false, count: wins) + [Bool](repeating: true, count: losses)
                + (0..<ties).map { $0 % 5 != 0 }
            let challenger = [Bool](repeating: true, count: wins) + [Bool](repeating: false, count: losses)
                + (0..<ties).map { $0 % 5 != 0 }
            return (incumbent, challenger)
        }
        let same = rows(wins: 0, losses: 0, ties: 500)
        #expect(!RecipeSearch.replaces(incumbent: same.incumbent, with: same.challenger, trial: 2))
        let one = rows(wins: 1, losses: 0, ties: 499)
        #expect(!RecipeSearch.replaces(incumbent: one.incumbent, with: one.challenger, trial: 2))
        let clear = rows(wins: 30, losses: 0, ties: 470)
        #expect(RecipeSearch.replaces(incumbent: clear.incumbent, with: clear.challenger, trial: 40))
        // Wins 13, losses 3 of 500: mean 0.02, SE ≈ 0.0080.
        let modest = rows(wins: 13, losses: 3, ties: 484)
        #expect(RecipeSearch.replaces(incumbent: modest.incumbent, with: modest.challenger, trial: 2))
        #expect(!RecipeSearch.replaces(incumbent: modest.incumbent, with: modest.challenger, trial: 40))
        let worse = rows(wins: 3, losses: 13, ties: 484)
        #expect(!RecipeSearch.replaces(incumbent: worse.incumbent, with: worse.challenger, trial: 2))
    }

    @Test func returnsTheBestFinishedTrial() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let data = full.subset(Array(stride(from: 0, to: full.count, by: 12)))  // 500 rows
        let split = data.stratifiedSplit(validationFraction: 0.2, seed: 3)
        var lines: [String] = []
        let (best, trials) = try RecipeSearch(base: base(), budget: nil, trials: 2).run(
            train: split.train, validation: split.validation, log: { lines.append($0) }, shouldStop: { false })
        #expect(trials.count == 2 && lines.first == RecipeSearch.tableHeader)
        #expect(lines.count == 1 + trials.map { RecipeSearch.tableLines($0).count }.reduce(0, +), "the header, then each trial's lines")
        let finished = trials.compactMap(\.validationAccuracy)
        #expect(!finished.isEmpty && trials[0].validationAccuracy != nil, "trial 1 is never pruned")
        let winner = try #require(trials.first { $0.status == "best" })
        #expect(trials.filter { $0.status == "best" }.count == 1)
        let first = try #require(trials[0].validationAccuracy)
        // A trial that is not more accurate than trial 1 never replaces it.
        if (trials[1].validationAccuracy ?? 0) <= first { #expect(winner.number == 1) }
        #expect(RecipeSearch.describe(best.config) == winner.summary)
        #expect(best.bag?.validation?.mixed == winner.validationAccuracy)
    }

    /// A spent budget: trial 1 alone, with the first point of its bag search (which runs before
    /// its network) and one epoch of its network, mixed; nothing after it.
    @Test func aSpentBudgetStillGivesTrialOneWithItsBagAndOneEpoch() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let data = full.subset(Array(stride(from: 0, to: full.count, by: 12)))  // 500 rows
        let split = data.stratifiedSplit(validationFraction: 0.2, seed: 3)
        let (best, trials) = try RecipeSearch(base: base(), budget: 0.001, trials: nil).run(
            train: split.train, validation: split.validation, log: { _ in }, shouldStop: { false })
        #expect(trials.count == 1 && trials[0].status == "best" && trials[0].epochs == 1)
        #expect(best.history.epochs.count == 1)
        // The bag's regression was cut to its first fit: the first weighting at the start C.
        if let bag = best.bag {
            #expect(bag.c == TrainingSession.bagCStart && bag.weighting == FittedBag.Weighting.searchOrder[0])
        } else {
            Issue.record("the mix gave the bag no weight on this split; the bag search is not observable")
        }
    }
}
