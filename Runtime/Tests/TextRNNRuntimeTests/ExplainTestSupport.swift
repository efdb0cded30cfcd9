import Testing

@testable import TextRNNRuntime

/// Models with seeded random weights, and an independent occlusion reference to check
/// `Model.explain` against.

/// A model over `words` (ids 2...) with `layers` after the embedding and seeded random weights.
func randomModel(
    _ layers: [LayerSpec], text: TextPipelineConfig = TextPipelineConfig(), words: [String],
    labels: [String] = ["a", "b", "c"], output: Manifest.OutputKind = .softmax, int8: Bool = false, seed: UInt64 = 1
) throws -> Model {
    let vocabulary = ["", "[UNK]"] + (text.startToken.map { [$0] } ?? []) + words
    var all = layers
    if case .embedding = layers.first {} else {
        all.insert(.embedding(inputDim: vocabulary.count, outputDim: 6, maskZero: true), at: 0)
    }
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    func random() -> Float {  // xorshift64*, uniform in [-0.6, 0.6)
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Float((state &* 0x2545_F491_4F6C_DD1D) >> 40) / Float(1 << 24) * 1.2 - 0.6
    }
    var tensors: [BundleTensor] = []
    var features = 0
    for (index, layer) in all.enumerated() {
        let (roles, outputFeatures) = Manifest.expectedWeights(of: layer, inputFeatures: features)
        for (role, shape) in roles {
            let values = (0..<shape.reduce(1, *)).map { _ in random() }
            tensors.append(BundleTensor(name: tensorName(layer: index, role: role), shape: shape, values: values))
        }
        features = outputFeatures
    }
    let contents = BundleContents(
        text: text, vocabulary: vocabulary.map { Array($0.utf8) }, labels: labels, output: output, layers: all,
        tensors: tensors)
    var (manifest, weights) = try BundleWriter.encode(contents)
    if int8 {
        let parsed = try manifest.withUnsafeBytes { try ManifestParser.parse($0) }
        let quantized = weights.withUnsafeBytes { Quantization.quantizedContents(manifest: parsed, weights: $0) }
        (manifest, weights) = try BundleWriter.encode(quantized)
    }
    return try load(manifest, weights)
}

/// What occluding each word should give, computed the plain way: build every token with the
/// words it holds, look each up, truncate and pad, replace the occluded word's tokens and call
/// `predict(tokenIDs:)` once per word.
struct OcclusionReference {
    let probability: Float
    let contributions: [Float]
    let seen: [Bool]

    init(model: Model, text: String, label: Int, replacement: Int32) throws {
        var unigramConfig = model.pipeline.config
        unigramConfig.ngrams = 1
        let words = Tokenizer(config: unigramConfig).tokens(of: text)
        var tokens: [(text: String, words: Range<Int>)] = []
        for width in 1...model.pipeline.config.ngrams where width <= words.count {
            for first in 0...(words.count - width) {
                tokens.append((words[first..<(first + width)].joined(separator: " "), first..<(first + width)))
            }
        }
        #expect(tokens.map(\.text) == model.pipeline.tokenizer.tokens(of: text))
        var input = tokens.map { (id: model.pipeline.vocabulary.id(of: $0.text), words: $0.words) }
        if let start = model.pipeline.vocabulary.startID { input.insert((id: start, words: 0..<0), at: 0) }
        let config = model.pipeline.config
        if let length = config.sequenceLength {
            if input.count > length {
                input = config.truncating == .post ? Array(input.prefix(length)) : Array(input.suffix(length))
            }
            let padding = Array(repeating: (id: Int32(0), words: 0..<0), count: length - input.count)
            input = config.padding == .post ? input + padding : padding + input
        }
        let ids = input.map(\.id)
        let encoded = try model.pipeline.encode(text)
        #expect(ids == encoded, "the reference encodes as the pipeline does")
        func predict(_ ids: [Int32]) throws -> [Float] {
            var probabilities = [Float](repeating: 0, count: model.labelCount)
            try ids.withUnsafeBufferPointer { ids in
                try probabilities.withUnsafeMutableBufferPointer { output in
                    try model.predict(tokenIDs: ids, into: output, scratch: PredictionScratch())
                }
            }
            return probabilities
        }
        probability = try predict(ids)[label]
        var contributions: [Float] = []
        var seen: [Bool] = []
        for word in words.indices {
            let occluded = input.map { $0.words.contains(word) ? replacement : $0.id }
            contributions.append(probability - (try predict(occluded))[label])
            seen.append(input.contains { $0.words.contains(word) })
        }
        self.contributions = contributions
        self.seen = seen
    }
}

/// `model.explain` equals the reference exactly, for `label` (nil = predicted) and `occlusion`.
func expectExplanationMatchesReference(
    _ model: Model, _ text: String, label: Int? = nil, occlusion: Occlusion = .oov, threads: Int = 2,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let explanation = try model.explain(text: text, label: label, occlusion: occlusion, threads: threads)
    let predicted = try model.predict(text: text)
    #expect(explanation.probability == predicted[explanation.label], sourceLocation: sourceLocation)
    if label == nil {
        #expect(explanation.label == LabelOrder.top(predicted), sourceLocation: sourceLocation)
    } else {
        #expect(explanation.label == label, sourceLocation: sourceLocation)
    }
    let reference = try OcclusionReference(
        model: model, text: text, label: explanation.label, replacement: occlusion.replacementID(in: model.pipeline.vocabulary))
    #expect(explanation.probability == reference.probability, sourceLocation: sourceLocation)
    #expect(explanation.wordCount == reference.contributions.count, sourceLocation: sourceLocation)
    #expect(explanation.words.map(\.contribution) == reference.contributions, sourceLocation: sourceLocation)
    #expect(explanation.words.map(\.seen) == reference.seen, sourceLocation: sourceLocation)
}
