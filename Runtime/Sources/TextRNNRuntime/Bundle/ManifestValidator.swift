/// Structural checks of a decoded manifest: the layer graph is one the runtime can run, every
/// weight a layer needs is a tensor of the right shape, and the tensor table describes disjoint,
/// aligned ranges inside the weights file. Byte contents are checked by `WeightsValidator`.
enum ManifestValidator {
    /// Largest tensor accepted, in elements (2^31: 8 GiB of float32).
    static let maxTensorElements = 1 << 31

    static func validate(_ manifest: Manifest) throws(TextRNNError) {
        let tensors = try validateTensorTable(manifest)
        try validateGraph(manifest, tensors: tensors)
        try validateScratch(manifest)
    }

    /// Most floats of per-thread scratch one prediction may use (2^28 floats, 1 GiB). Time steps
    /// times the floats a step needs must fit, so neither a manifest (sequence_length x units)
    /// nor a text (its token count) chooses the size of an allocation.
    public static let maxScratchFloats = 1 << 28

    /// Floats of prediction scratch per time step: an upper bound over Model.forward's buffers
    /// (layer input and output, a Bidirectional's backward output, the recurrent gates, the ids
    /// and mask).
    public static func scratchFloatsPerStep(_ layers: [LayerSpec]) -> Int {
        var features = 0, widest = 1, backward = 0, gates = 0
        for layer in layers {
            switch layer {
            case .embedding(_, let dim, _):
                features = dim
            case .recurrent(let spec):
                features = spec.units
                gates = max(gates, spec.cell.gateCount * spec.units)
            case .bidirectional(let forward, let backward_, let mergeMode):
                widest = max(widest, forward.units + backward_.units)
                backward = max(backward, backward_.units)
                gates = max(gates, forward.cell.gateCount * forward.units, backward_.cell.gateCount * backward_.units)
                features = mergeMode == .concat ? forward.units + backward_.units : forward.units
            case .globalMaxPooling, .globalAveragePooling, .dense:
                break
            }
            widest = max(widest, features)
        }
        return 2 * widest + backward + gates + 2
    }

    /// The most time steps one prediction may run with these layers: what fits
    /// `maxScratchFloats`, and at most `TextLimits.maxTokens`.
    public static func maxSteps(_ layers: [LayerSpec]) -> Int {
        min(TextLimits.maxTokens, maxScratchFloats / scratchFloatsPerStep(layers))
    }

    private static func validateScratch(_ manifest: Manifest) throws(TextRNNError) {
        guard let length = manifest.text.sequenceLength else { return }
        let limit = maxSteps(manifest.layers)
        guard length <= limit else {
            throw TextRNNError(.limitExceeded, "manifest.json: text.sequence_length: \(length) steps x \(scratchFloatsPerStep(manifest.layers)) scratch floats per step exceed the limit of \(maxScratchFloats) floats per prediction (at most \(limit) steps with these layers)")
        }
    }

    private static func fail(_ message: String) -> TextRNNError {
        TextRNNError(.invalidBundle, "manifest.json: \(message)")
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func validateTensorTable(_ manifest: Manifest) throws(TextRNNError) -> [String: Manifest.TensorEntry] {
        var byName: [String: Manifest.TensorEntry] = [:]
        for (index, tensor) in manifest.tensors.enumerated() {
            let field = "tensors[\(index)] (\"\(tensor.name)\")"
            guard byName.updateValue(tensor, forKey: tensor.name) == nil else {
                throw fail("\(field): the name appears twice")
            }
            var elements = 1
            for dimension in tensor.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= maxTensorElements else {
                    throw TextRNNError(.limitExceeded, "manifest.json: \(field).shape: more than \(maxTensorElements) elements")
                }
                elements = product
            }
            guard tensor.length == elements * tensor.dtype.byteCount else {
                throw fail("\(field).length: \(tensor.length) bytes do not match shape \(tensor.shape) of \(tensor.dtype.rawValue) (\(elements * tensor.dtype.byteCount) bytes)")
            }
            guard tensor.offset % Manifest.tensorAlignment == 0 else {
                throw fail("\(field).offset: \(tensor.offset) is not a multiple of \(Manifest.tensorAlignment)")
            }
            let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.length)
            guard !overflow, end <= manifest.weightsLength else {
                throw fail("\(field): offset \(tensor.offset) + length \(tensor.length) is out of range of the \(manifest.weightsLength)-byte weights file")
            }
        }
        let sorted = manifest.tensors.sorted { $0.offset < $1.offset }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.offset + previous.length > next.offset {
            throw fail("tensors \"\(previous.name)\" and \"\(next.name)\" overlap in the weights file")
        }
        for tensor in manifest.tensors {
            switch tensor.dtype {
            case .float32:
                guard tensor.scales == nil else { throw fail("tensor \"\(tensor.name)\": float32 tensors have no scales") }
            case .int8:
                guard let scalesName = tensor.scales, let axis = tensor.scaleAxis else {
                    throw fail("tensor \"\(tensor.name)\": an int8 tensor needs \"scales\" and \"scale_axis\"")
                }
                guard let scales = byName[scalesName], scales.dtype == .float32, scales.shape == [tensor.shape[axis]] else {
                    throw fail("tensor \"\(tensor.name)\".scales: \"\(scalesName)\" must be a float32 tensor of shape [\(tensor.shape[axis])]")
                }
            }
        }
        return byName
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func validateGraph(_ manifest: Manifest, tensors: [String: Manifest.TensorEntry]) throws(TextRNNError) {
        let layers = manifest.layers
        guard case .embedding(let vocabularyRows, _, _) = layers[0] else {
            throw fail("layers[0]: the first layer must be an Embedding")
        }
        guard manifest.vocabulary.count <= vocabularyRows else {
            throw fail("text.vocabulary: \(manifest.vocabulary.count) entries but the Embedding has only \(vocabularyRows) rows")
        }
        guard manifest.vocabulary.count >= 2 else {
            throw fail("text.vocabulary: needs at least the entries \"\" and \"[UNK]\"")
        }
        var features = 0
        var isSequence = true
        var used: Set<String> = []
        for (index, layer) in layers.enumerated() {
            let field = "layers[\(index)] (\(layer.className))"
            switch layer {
            case .embedding:
                guard index == 0 else { throw fail("\(field): only the first layer may be an Embedding") }
            case .recurrent(let spec):
                guard isSequence else { throw fail("\(field): needs a sequence, but the layer before returns one vector (set return_sequences)") }
                isSequence = spec.returnSequences
            case .bidirectional(let forward, let backward, let mergeMode):
                guard isSequence else { throw fail("\(field): needs a sequence, but the layer before returns one vector (set return_sequences)") }
                guard !forward.goBackwards, backward.goBackwards else {
                    throw fail("\(field): the forward layer must have go_backwards false and the backward layer true")
                }
                guard forward.returnSequences == backward.returnSequences else {
                    throw fail("\(field): both directions must agree on return_sequences")
                }
                guard mergeMode == .concat || forward.units == backward.units else {
                    throw fail("\(field): merge_mode \(mergeMode.rawValue) needs equal units in both directions")
                }
                isSequence = forward.returnSequences
            case .globalMaxPooling, .globalAveragePooling:
                guard isSequence else { throw fail("\(field): pooling needs a sequence input") }
                isSequence = false
            case .dense:
                guard !isSequence else {
                    throw fail("\(field): Dense needs one vector per text; end the recurrent stack with return_sequences false or a pooling layer")
                }
            }
            let (roles, outputFeatures) = Manifest.expectedWeights(of: layer, inputFeatures: features)
            let given = manifest.layerWeights[index]
            for (role, shape) in roles {
                guard let name = given[role] else { throw fail("\(field).weights: missing \"\(role)\"") }
                guard let tensor = tensors[name] else { throw fail("\(field).weights.\(role): no tensor named \"\(name)\"") }
                guard tensor.shape == shape else {
                    throw fail("\(field).weights.\(role): tensor \"\(name)\" has shape \(tensor.shape), expected \(shape)")
                }
                guard used.insert(name).inserted else { throw fail("\(field).weights.\(role): tensor \"\(name)\" is used twice") }
            }
            let expectedRoles = Set(roles.map(\.0))
            if let extra = given.keys.sorted().first(where: { !expectedRoles.contains($0) }) {
                throw fail("\(field).weights: unexpected \"\(extra)\"")
            }
            features = outputFeatures
        }
        guard case .dense(let units, let activation) = layers[layers.count - 1] else {
            throw fail("layers: the last layer must be a Dense output layer")
        }
        if let bag = manifest.bag {
            guard bag.unigrams <= manifest.vocabulary.count else {
                throw fail("bag.unigrams: \(bag.unigrams), more than the vocabulary size \(manifest.vocabulary.count)")
            }
            for (name, shape) in bag.weightShapes(outputs: units) {
                guard let tensor = tensors[name] else { throw fail("bag: no tensor named \"\(name)\"") }
                // The kernel may be int8 (per output column, read as int8); the idf and the bigram ids must be exact.
                guard tensor.shape == shape, tensor.dtype == .float32 || name == BagSpec.kernelTensor else {
                    throw fail("bag: tensor \"\(name)\" must be float32 of shape \(shape), not \(tensor.dtype.rawValue) \(tensor.shape)")
                }
            }
        }
        let labels = manifest.labels.count
        switch manifest.output {
        case .softmax:
            guard activation == .softmax, units == labels, labels >= 2 else {
                throw fail("output softmax needs a last Dense with softmax and one unit per label (\(labels) labels, \(units) units, \(activation.rawValue))")
            }
        case .binarySigmoid:
            guard activation == .sigmoid, units == 1, labels == 2 else {
                throw fail("output binary_sigmoid needs a last Dense(1, sigmoid) and 2 labels (\(labels) labels, \(units) units, \(activation.rawValue))")
            }
        case .multiLabelSigmoid:
            guard activation == .sigmoid, units == labels else {
                throw fail("output multi_label_sigmoid needs a last Dense with sigmoid and one unit per label (\(labels) labels, \(units) units)")
            }
        }
    }
}
