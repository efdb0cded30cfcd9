import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// Stacking the network on the bag (Bag/OutOfFold.swift): the training rows' base logits come
/// from fits that did not see them, and the network starts as nothing added to the bag.
@Suite(.serialized) struct StackingTests {
    /// Accuracy of logits [rows, outputs] against single labels.
    static func accuracy(_ logits: [Float], _ data: EncodedDataset) -> Double {
        let width = logits.count / data.count
        let correct = (0..<data.count).filter { row in
            let z = logits[(row * width)..<((row + 1) * width)]
            return z.indices.max { z[$0] < z[$1] }! - row * width == data.labels[row]
        }.count
        return Double(correct) / Double(data.count)
    }

    /// On labels drawn at random, a fit recalls its own training rows but cannot predict a row
    /// it did not see: out-of-fold logits are at chance where in-sample ones are near perfect.
    @Test func outOfFoldLogitsComeFromFitsThatDidNotSeeTheRow() throws {
        // BagSearchTests' data (ag_news_mini, every 10th row, split 75/25), labels redrawn.
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let slice = full.subset(Array(stride(from: 0, to: full.count, by: 10)))
        let (session, _, validation) = try BagSearchTests.encoded()
        var split = slice.stratifiedSplit(validationFraction: 0.25, seed: 1).train
        var rng = SeededGenerator(seed: 11)
        split.labelSets = split.labelSets.map { _ in [Int.random(in: 0..<4, using: &rng)] }
        split.labels = split.labelSets.map { $0[0] }
        let random = try session.encode(split)
        // The first grid point alone (no time for more): the search is BagSearchTests' subject.
        let regression = session.fitBagRegression(train: random, validation: validation, secondsLeft: { 0 }, log: { _ in })
        let outOfFold = try #require(session.outOfFoldLogits(random, regression: regression))
        var inSample = LinearClassifier(features: regression.features.spec.features, outputs: 4, loss: .sparseCategoricalCrossEntropy)
        let rows = SparseRows(random, features: regression.features)
        inSample.fit(rows, targets: random.targets, C: regression.c)
        #expect(Self.accuracy(inSample.logits(rows), random) > 0.9, "the fit recalls its training rows")
        // 450 rows at chance 1/4: a standard deviation of 0.02.
        #expect(Self.accuracy(outOfFold, random) < 0.4, "out-of-fold accuracy \(Self.accuracy(outOfFold, random))")
    }

    /// On the real labels, the out-of-fold logits predict the training rows about as well as
    /// the train-only fit predicts the validation rows.
    @Test func outOfFoldLogitsPredictLikeHeldOutOnes() throws {
        let (session, train, validation) = try BagSearchTests.encoded()
        let regression = session.fitBagRegression(train: train, validation: validation, secondsLeft: { 0 }, log: { _ in })
        let outOfFold = Self.accuracy(try #require(session.outOfFoldLogits(train, regression: regression)), train)
        #expect(outOfFold > 0.6 && abs(outOfFold - regression.validationAccuracy) < 0.1,
                "out-of-fold \(outOfFold), validation \(regression.validationAccuracy)")
        // Out of time, there are none.
        #expect(session.outOfFoldLogits(train, regression: regression, secondsLeft: { -1 }) == nil)
    }

    /// Stacked, the datasets carry the bag's logits, evaluation adds them to the network's, and
    /// the untrained network adds nothing: the model before its first step is the bag.
    @Test func theStackedNetworkStartsAsTheBag() throws {
        let (session, encodedTrain, encodedValidation) = try BagSearchTests.encoded(bagStacking: true)
        var train = encodedTrain, validation: EncodedDataset? = encodedValidation
        let fitted = session.fitBagRegression(train: train, validation: encodedValidation, secondsLeft: { 0 }, log: { _ in })
        let regression = try #require(session.stackOnBag(train: &train, validation: &validation, reusing: fitted, log: { _ in }))
        let held = try #require(validation)
        #expect(held.baseLogits == regression.validationLogits && train.baseLogits?.count == train.count * 4)
        #expect(Set(try session.networkLogits(held)).count == 1, "a zero output layer: every class alike on every row")
        #expect(try session.evaluate(held).accuracy == regression.validationAccuracy)
        // Without validation data, or with stacking off, nothing is stacked.
        var none: EncodedDataset? = nil
        #expect(session.stackOnBag(train: &train, validation: &none, log: { _ in }) == nil)
        let (off, offTrain, offValidation) = try BagSearchTests.encoded()
        var (plainTrain, plainValidation): (EncodedDataset, EncodedDataset?) = (offTrain, offValidation)
        #expect(off.stackOnBag(train: &plainTrain, validation: &plainValidation, log: { _ in }) == nil && plainTrain.baseLogits == nil)
    }
}
