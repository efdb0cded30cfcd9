import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// `--autotune-trials`: trial 1 is the recipe as given, later trials are seeded draws that leave
/// the user's keys alone, and the search returns the trial with the best validation accuracy.
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

    /// Trial 2 wins only by beating trial 1 by more than one standard error of the accuracy.
    @Test func returnsTheBestFinishedTrial() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let data = full.subset(Array(stride(from: 0, to: full.count, by: 12)))  // 500 rows
        let split = data.stratifiedSplit(validationFraction: 0.2, seed: 3)
        var lines: [String] = []
        let (best, trials) = try RecipeSearch(base: base(), budget: nil, trials: 2).run(
            train: split.train, validation: split.validation, log: { lines.append($0) }, shouldStop: { false })
        #expect(trials.count == 2 && lines.count == 3, "a header and one line per trial")
        let finished = trials.compactMap(\.validationAccuracy)
        #expect(!finished.isEmpty && trials[0].validationAccuracy != nil, "trial 1 is never pruned")
        let winner = try #require(trials.first { $0.status == "best" })
        #expect(trials.filter { $0.status == "best" }.count == 1)
        let first = try #require(trials[0].validationAccuracy)
        let margin = (first * (1 - first) / Double(split.validation.count)).squareRoot()
        let secondWins = trials[1].validationAccuracy.map { $0 > first + margin } ?? false
        #expect(winner.number == (secondWins ? 2 : 1))
        #expect(RecipeSearch.describe(best.config) == winner.summary)
        #expect(best.bag?.validation?.mixed == winner.validationAccuracy)
    }
}
