import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// The bag regression's search: every weighting at the start C, then a walk over C for the best
/// of them (contiguous Cs around the start), then the other weightings where it ended, until the
/// choice is a local minimum of the validation loss in C and in the weighting; a time budget
/// stops it after what fits, keeping the train-only fit.
@Suite(.serialized) struct BagSearchTests {
    /// ag_news_mini, every 10th row (600, every class), split 75/25; no network training needed.
    static func encoded(bagStacking: Bool = false) throws -> (TrainingSession, EncodedDataset, EncodedDataset) {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let slice = full.subset(Array(stride(from: 0, to: full.count, by: 10)))
        var config = TrainingConfig()
        config.units = [8]
        config.embeddingDim = 8
        config.maxTokens = 4000
        config.validationSplit = 0
        config.bagStacking = bagStacking
        let session = try TrainingSession(config: config, train: slice, log: { _ in })
        let split = slice.stratifiedSplit(validationFraction: 0.25, seed: 1)
        return (session, try session.encode(split.train), try session.encode(split.validation))
    }

    /// (weighting, C, loss) of every "bag: W weights, C = c: validation accuracy a, loss l" line.
    static func fits(_ lines: [String]) -> [(weighting: String, c: Float, loss: Double)] {
        lines.compactMap { line in
            guard line.hasPrefix("bag: "), let weights = line.range(of: " weights, C = "), let colon = line.range(of: ": validation accuracy"),
                  let lossRange = line.range(of: ", loss ") else { return nil }
            let weighting = String(line[line.index(line.startIndex, offsetBy: 5)..<weights.lowerBound])
            guard let c = Float(line[weights.upperBound..<colon.lowerBound]), let loss = Double(line[lossRange.upperBound...]) else { return nil }
            return (weighting, c, loss)
        }
    }

    @Test func everyWeightingIsFittedAtTheStartAndTheChoiceIsALocalMinimumInBoth() throws {
        let (session, train, validation) = try Self.encoded()
        var lines: [String] = []
        let regression = session.fitBagRegression(train: train, validation: validation, log: { lines.append($0) })
        let fits = Self.fits(lines)
        let grid = TrainingSession.bagCGrid
        let start = grid.firstIndex(of: TrainingSession.bagCStart)!
        // Every weighting at the start C, in the search order, first.
        let opening = Array(fits.prefix(FittedBag.Weighting.allCases.count))
        #expect(opening.map(\.weighting) == FittedBag.Weighting.searchOrder.map(\.rawValue))
        #expect(opening.allSatisfy { $0.c == TrainingSession.bagCStart })
        // Then the weighting best there is walked over contiguous Cs around the start.
        let walked = try #require(opening.min { $0.loss < $1.loss }).weighting
        let firstWalk = fits.dropFirst(opening.count).prefix { $0.weighting == walked }
        let indices = ([opening.first { $0.weighting == walked }!] + firstWalk).map { grid.firstIndex(of: $0.c)! }.sorted()
        #expect(indices.count >= 3 && Set(indices).count == indices.count)
        #expect(indices == Array(indices.first!...indices.last!), "contiguous: \(indices)")
        #expect(indices.contains(start - 1) && indices.contains(start + 1))
        // Nothing is fitted twice.
        #expect(Set(fits.map { "\($0.weighting) \($0.c)" }).count == fits.count)
        // The choice is the lowest loss over every fit, and a local minimum in both directions:
        // its weighting's neighbouring Cs and the other weightings at its C were fitted, higher.
        let chosen = fits.min { $0.loss < $1.loss }!
        #expect(regression.weighting.rawValue == chosen.weighting && regression.c == chosen.c)
        let at = grid.firstIndex(of: chosen.c)!
        for neighbour in [at - 1, at + 1] where grid.indices.contains(neighbour) {
            let fitted = try #require(fits.first { $0.weighting == chosen.weighting && $0.c == grid[neighbour] },
                                      "C = \(grid[neighbour]) beside the choice was not tried")
            #expect(fitted.loss > chosen.loss)
        }
        for other in FittedBag.Weighting.allCases.map(\.rawValue) where other != chosen.weighting {
            let fitted = try #require(fits.first { $0.weighting == other && $0.c == chosen.c }, "\(other) at C = \(chosen.c) was not tried")
            #expect(fitted.loss > chosen.loss)
        }
    }

    /// Beyond twice `searchRows` training rows the weighting and C are chosen on a random subset
    /// of `searchRows`, and the choice is then fitted on every row: its validation logits (the
    /// ones the mix is chosen with) are where a fit on all of them lands. Below, nothing changes.
    @Test func beyondTheSearchRowsTheChoiceIsMadeOnASubsetAndFittedOnEveryRow() throws {
        let (session, train, validation) = try Self.encoded()
        var lines: [String] = []
        let regression = session.fitBagRegression(train: train, validation: validation, searchRows: 150, log: { lines.append($0) })
        #expect(lines.contains("bag: weighting and C are chosen on 150 of the \(train.count) training texts (a random subset), then fitted on all"))
        let chosen = try #require(Self.fits(lines).min { $0.loss < $1.loss })
        #expect(regression.weighting.rawValue == chosen.weighting && regression.c == chosen.c)
        #expect(regression.searchRows == 150)  // the manifest's training.bag.search_rows
        let outputs = session.network.outputDim
        var all = LinearClassifier(features: regression.features.spec.features, outputs: outputs, loss: session.plan.loss)
        all.fit(SparseRows(train, features: regression.features), targets: train.targets, C: regression.c)
        let validationRows = SparseRows(validation, features: regression.features)
        let logits = try #require(regression.validationLogits)
        let worst = zip(all.logits(validationRows), logits).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-2, "largest validation logit difference \(worst)")
        let (loss, accuracy) = session.score(logits, validation)
        #expect(lines.contains("bag: the choice fitted on all \(train.count) training texts: " + String(format: "validation accuracy %.4f, loss %.4f", accuracy, loss)))

        var unsampled: [String] = []
        let whole = session.fitBagRegression(train: train, validation: validation, searchRows: train.count / 2, log: { unsampled.append($0) })
        #expect(!unsampled.contains { $0.contains("random subset") } && whole.searchRows == nil)
        #expect(whole.weighting.rawValue == Self.fits(unsampled).min { $0.loss < $1.loss }!.weighting)
        #expect(whole.parameters != regression.parameters)
    }

    @Test func aSpentBudgetStopsAfterTheFirstFitAndKeepsItsTrainOnlyWeights() throws {
        let (session, train, validation) = try Self.encoded()
        var lines: [String] = []
        // No time at all: the first fit always runs (a model is needed), nothing after it.
        let regression = session.fitBagRegression(train: train, validation: validation, secondsLeft: { 0 }, log: { lines.append($0) })
        let fits = Self.fits(lines)
        #expect(fits.count == 1)
        #expect(fits.first?.weighting == FittedBag.Weighting.searchOrder[0].rawValue && fits.first?.c == TrainingSession.bagCStart)
        #expect(lines.contains("bag: time budget reached; the grid stops here"))
        #expect(lines.contains("bag: time budget reached; kept the fit on the training rows (no refit with the validation rows)"))
        #expect(regression.c == TrainingSession.bagCStart && regression.weighting == FittedBag.Weighting.searchOrder[0])
        // The kept weights are the train-only fit whose validation logits were scored.
        var classifier = LinearClassifier(features: regression.features.spec.features, outputs: session.network.outputDim, loss: session.plan.loss)
        classifier.parameters = regression.parameters
        let rows = SparseRows(validation, features: regression.features)
        #expect(classifier.logits(rows) == regression.validationLogits)
    }
}
