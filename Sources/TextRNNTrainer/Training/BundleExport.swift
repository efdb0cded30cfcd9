import TextRNNRuntime

extension TrainingSession {
    /// The trained model as a bundle: the fitted pipeline, labels, layer graph and every weight
    /// under its LayerSpec tensor name. `training` is stored as the manifest's training metadata.
    public func bundleContents(training: TextRNNRuntime.JSONValue?) throws -> BundleContents {
        var tensors = try network.bundleTensors()
        if let bag { tensors += bag.tensors }
        let vocabulary = (0..<pipeline.vocabulary.count).map { Array(pipeline.vocabulary.tokenBytes($0)) }
        return BundleContents(
            text: pipeline.config, vocabulary: vocabulary, labels: labelNames, output: plan.output, layers: plan.layers,
            tensors: tensors, training: training, bag: bag?.features.spec)
    }

    /// The deterministic part of a run, for the manifest: every hyperparameter the table records
    /// there (enough to train the bundle again) and per-epoch numbers (no wall-clock times, so
    /// the same seed gives the same bytes).
    public func trainingMetadata(
        dataset: String, trainRows: Int, validationRows: Int, metrics: TextRNNRuntime.JSONValue?, recipe: DataAwareRecipe? = nil,
        autotune: TextRNNRuntime.JSONValue? = nil
    ) -> TextRNNRuntime.JSONValue {
        let hyperparameters = Hyperparameter.all.filter { $0.recorded.contains(.manifest) }.map { ($0.name, $0.json(config)) }
        var members: [(String, TextRNNRuntime.JSONValue)] = [
            ("dataset", .string(dataset)), ("train_rows", .int(trainRows)), ("validation_rows", .int(validationRows)),
            ("hyperparameters", .object(hyperparameters)),
            ("history", .array(history.epochs.map { record in
                .object([
                    ("epoch", .int(record.epoch)), ("loss", .double(record.trainLoss)), ("accuracy", .double(record.trainAccuracy)),
                    ("val_loss", record.validationLoss.map { .double($0) } ?? .null),
                    ("val_accuracy", record.validationAccuracy.map { .double($0) } ?? .null),
                ])
            })),
        ]
        if let keptEpoch { members.append(("kept_epoch", .int(keptEpoch))) }
        if let recipe, !recipe.choices.isEmpty {
            members.append(("recipe", .array(recipe.choices.map { choice in
                .object([("key", .string(choice.key)), ("value", .string(choice.value)), ("reason", .string(choice.reason))])
            })))
        }
        if let autotune { members.append(("autotune", autotune)) }
        if let bag {
            var chosen: [(String, TextRNNRuntime.JSONValue)] = [
                ("unigrams", .int(bag.features.spec.unigrams)), ("bigrams", .int(bag.features.spec.bigrams)),
                ("character_ngrams", .int(bag.features.spec.characters)),
                ("weighting", .string(bag.weighting.rawValue)), ("c", .double(Double(bag.c))), ("stacked", .bool(bag.stacked)),
                ("bag_scale", .double(Double(bag.scales.bag))), ("network_scale", .double(Double(bag.scales.network))),
            ]
            // Only when the weighting and C were chosen on a random subset of the training rows.
            if let searchRows = bag.searchRows { chosen.append(("search_rows", .int(searchRows))) }
            if let scores = bag.validation {
                // Stacked, the network alone is a correction to the bag, not a classifier.
                let network: [(String, TextRNNRuntime.JSONValue)] = bag.stacked ? [] : [("network", .double(scores.network))]
                chosen.append(("validation_accuracy", .object(network + [("bag", .double(scores.bag)), ("mixed", .double(scores.mixed))])))
            }
            members.append(("bag", .object(chosen)))
        }
        if let metrics { members.append(("metrics", metrics)) }
        return .object(members)
    }
}

extension Network {
    /// Every weight of the layers, under its bundle tensor name, in layer order.
    public func bundleTensors() throws -> [BundleTensor] {
        var tensors: [BundleTensor] = []
        var features = 0
        for (index, layer) in specs.enumerated() {
            let (roles, outputFeatures) = Manifest.expectedWeights(of: layer, inputFeatures: features)
            for (role, shape) in roles {
                let parts = role.split(separator: "/").map(String.init)
                let name = parts.count == 2
                    ? tensorName(layer: index, direction: parts[0], role: parts[1]) : tensorName(layer: index, role: role)
                tensors.append(BundleTensor(name: name, shape: shape, values: try store.tensor(named: name)))
            }
            features = outputFeatures
        }
        return tensors
    }
}
