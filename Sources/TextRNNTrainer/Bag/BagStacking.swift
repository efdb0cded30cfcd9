import Dispatch
import TextRNNRuntime

/// Stacking the network on the bag branch (`--bag-stacking true`): the bag's regression is
/// fitted first and the network is trained on top of its logits, z = z_bag + z_network, so it
/// learns what the bag leaves rather than the whole task again. The training rows' bag logits
/// come from fits that did not see them (out-of-fold): the bag's near-perfect fit of its own
/// training rows would leave the network nothing to learn. The validation rows' come from the
/// train-only fit, the one the mix is chosen with.
///
/// Off by default: on the validation parts it was within noise of the mix beside the bag, up
/// on some sets and down on others (IMDB +0.2, 20 Newsgroups −0.5 points; docs/accuracy.md).
extension TrainingSession {
    /// Folds of the out-of-fold fits (scikit-learn's cross_val_predict default).
    static let stackingFolds = 5

    /// Before `fit`, when the config asks for stacking and there is validation data: fits the
    /// bag's regression (or reuses `fitted`), sets the base logits the network's are added to
    /// (out-of-fold on `train`, the train-only fit's on `validation`) and zeroes the network's
    /// output layer, so training starts from the bag. Returns the regression for `fitBag` (nil
    /// when the config does not ask for stacking or there is no validation data). Out of time
    /// for the out-of-fold fits, nothing is stacked (the regression is still returned) and the
    /// network is mixed beside the bag.
    public func stackOnBag(
        train: inout EncodedDataset, validation: inout EncodedDataset?, reusing fitted: BagRegression? = nil,
        secondsLeft: () -> Double = { .infinity }, log: (String) -> Void
    ) -> BagRegression? {
        guard config.bag, config.bagStacking, let held = validation else { return nil }
        var regression = fitted.flatMap { fits($0) ? $0 : nil }
            ?? fitBagRegression(train: train, validation: held, secondsLeft: secondsLeft, log: log)
        if regression.trainLogits == nil { regression.trainLogits = outOfFoldLogits(train, regression: regression, secondsLeft: secondsLeft) }
        guard let validationLogits = regression.validationLogits, let trainLogits = regression.trainLogits else {
            log("bag: time budget reached; the network is mixed beside the bag, not stacked on it")
            return regression
        }
        train.baseLogits = trainLogits
        validation!.baseLogits = validationLogits
        // Zero output weights, as the last layer of a residual branch (Goyal et al. 2017): the
        // network starts as nothing added to the bag.
        let last = plan.layers.count - 1
        for role in ["kernel", "bias"] {
            let name = tensorName(layer: last, role: role)
            if let count = try? network.store.tensor(named: name).count {
                try? network.store.setTensor(named: name, to: [Float](repeating: 0, count: count))
            }
        }
        log("bag: fitted first; the network learns what its out-of-fold logits leave (stacking)")
        return regression
    }

    /// The bag's logits [rows, outputs] for each training row from a fit on the other folds:
    /// `regression`'s weighting and C, with the naive-Bayes ratios (which read the labels)
    /// recomputed on each fit's own rows. Folds are a seeded shuffle of the rows. Nil when a
    /// next fold would not fit in `secondsLeft` (each takes about as long as the first).
    func outOfFoldLogits(_ train: EncodedDataset, regression: BagRegression, secondsLeft: () -> Double = { .infinity }) -> [Float]? {
        let outputs = network.outputDim, folds = min(Self.stackingFolds, train.count)
        let plain = plainBagFeatures(train), plainRows = SparseRows(train, features: plain)
        var order = Array(0..<train.count)
        var rng = SeededGenerator(seed: config.seed).split(0x5743_4B)
        order.shuffle(using: &rng)
        var logits = [Float](repeating: 0, count: train.count * outputs)
        let started = DispatchTime.now().uptimeNanoseconds
        for fold in 0..<folds {
            let foldSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(max(fold, 1))
            if secondsLeft() < foldSeconds { return nil }
            let heldOut = order.indices.filter { $0 % folds == fold }.map { order[$0] }.sorted()
            let fitted = order.indices.filter { $0 % folds != fold }.map { order[$0] }.sorted()
            let features = regression.weighting.features(plain, ratios: BagBuilder.naiveBayesRatios(
                plain, rows: SparseRows(plainRows, selecting: fitted), labelSets: fitted.map { train.labelSets[$0] }, classes: bagClasses(train)))
            let rows = regression.weighting == .idf ? plainRows : SparseRows(train, features: features)
            var classifier = LinearClassifier(features: features.spec.features, outputs: outputs, loss: plan.loss)
            classifier.fit(SparseRows(rows, selecting: fitted), targets: train.targets(ofRows: fitted), C: regression.c,
                           maxIterations: Self.bagFitIterations)
            let heldOutLogits = classifier.logits(SparseRows(rows, selecting: heldOut))
            for (i, row) in heldOut.enumerated() {
                logits[(row * outputs)..<((row + 1) * outputs)] = heldOutLogits[(i * outputs)..<((i + 1) * outputs)]
            }
        }
        return logits
    }
}
