import CTextRNNKernels

/// A loaded bundle: text pipeline, labels and layers. Immutable once loaded, so one `Model`
/// serves any number of threads; each thread brings its own `PredictionScratch`.
public final class Model: Sendable {
    public let manifest: Manifest
    public let pipeline: TextPipeline
    let layers: [CompiledLayer]
    /// The bag-of-n-grams branch, added to the last Dense layer's pre-activation.
    let bag: CompiledBag?
    private let storage: WeightStorage
    private let tensors: ResolvedTensors
    /// The first recurrent layer reads token ids through its projection table(s).
    let usesProjection: Bool
    /// Some recurrent layer takes several texts of a batch in lockstep (`predictBatch`).
    let sharesProducts: Bool
    /// Rows of the embedding: every token id must be below this.
    public let embeddingRows: Int
    /// The last Dense layer's kernel is all zeros: the layers before it cannot change the output,
    /// so a prediction runs that layer alone (its bias, plus the bag). The trainer writes such a
    /// bundle when its mix gave the network no weight (w = 1, seen on IMDB): the bag alone
    /// predicted best on the validation data, and the runtime then pays for the bag alone.
    public let skipsNetwork: Bool
    /// Most token ids one prediction accepts: the per-thread scratch stays within
    /// `ManifestValidator.maxScratchFloats` (robustness: a long text cannot choose the allocation).
    public let maxSteps: Int

    /// Largest manifest.json accepted (a 1M-token vocabulary is about 10 MiB).
    public static let maxManifestBytes = 256 << 20

    /// Loads the bundle directory at `path` (or the directory of a manifest.json path).
    public convenience init(bundlePath path: String) throws(TextRNNError) {
        var directory = path
        if directory.hasSuffix("/" + Manifest.manifestFileName) {
            directory.removeLast(Manifest.manifestFileName.utf8.count + 1)
        } else if directory == Manifest.manifestFileName {
            directory = "."
        }
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        let manifestBytes = try readFile(directory + "/" + Manifest.manifestFileName, limit: Model.maxManifestBytes)
        let manifest = try withBytes(manifestBytes) { bytes throws(TextRNNError) in try ManifestParser.parse(bytes) }
        let storage = try WeightStorage(mapping: directory + "/" + manifest.weightsFile)
        try self.init(manifest: manifest, storage: storage, weightsName: directory + "/" + manifest.weightsFile)
    }

    /// Loads from memory: the bytes of manifest.json and of the weights file. Both are copied
    /// (or parsed) before this returns.
    public convenience init(manifestJSON: UnsafeRawBufferPointer, weights: UnsafeRawBufferPointer) throws(TextRNNError) {
        let manifest = try ManifestParser.parse(manifestJSON)
        try self.init(manifest: manifest, storage: try WeightStorage(copying: weights), weightsName: "weights")
    }

    private init(manifest: Manifest, storage: WeightStorage, weightsName: String) throws(TextRNNError) {
        guard storage.bytes.count == manifest.weightsLength else {
            throw TextRNNError(.invalidBundle, "\(weightsName): \(storage.bytes.count) bytes, but manifest.json says weights.length is \(manifest.weightsLength) (truncated or wrong file)")
        }
        let crc = CRC32.checksum(storage.bytes)
        guard crc == manifest.weightsCRC32 else {
            throw TextRNNError(.invalidBundle, "\(weightsName): checksum mismatch: CRC-32 is \(hex8(crc)), manifest.json says \(hex8(manifest.weightsCRC32))")
        }
        self.manifest = manifest
        self.storage = storage
        self.tensors = try ResolvedTensors(manifest: manifest, storage: storage)
        self.pipeline = try TextPipeline(config: manifest.text, tokens: manifest.vocabulary)
        _ = trk_kernel_level()  // CPU detection, once per process
        (self.layers, self.sharesProducts) = CompiledLayer.compile(manifest, tensors: tensors)
        if let spec = manifest.bag, case .dense(let outputs, _) = manifest.layers[manifest.layers.count - 1] {
            self.bag = try CompiledBag(spec: spec, tensors: tensors, outputs: outputs, vocabularySize: manifest.vocabulary.count)
        } else {
            self.bag = nil
        }
        if layers.count > 1, case .recurrent(let layer) = layers[1] {
            usesProjection = layer.projection != nil
        } else if layers.count > 1, case .bidirectional(let forward, let backward, _) = layers[1] {
            usesProjection = forward.projection != nil && backward.projection != nil
        } else {
            usesProjection = false
        }
        if case .dense(let kernel, _, _) = layers[layers.count - 1] { skipsNetwork = kernel.isZero } else { skipsNetwork = false }
        guard case .embedding(let rows, _, _) = manifest.layers[0] else { fatalError("validated: first layer is an Embedding") }
        self.embeddingRows = rows
        self.maxSteps = ManifestValidator.maxSteps(manifest.layers)
    }

    public var labels: [String] { manifest.labels }
    public var labelCount: Int { manifest.labels.count }

    /// Probabilities for one text: `labelCount` values. Softmax: they sum to 1. Binary sigmoid:
    /// [1 - p, p]. Multi-label: one independent probability per label.
    ///
    /// `splitDirections`: a Bidirectional layer runs its backward direction on a helper thread
    /// (textrnn_helpers.h) while this thread runs the forward one. The result is the same bits.
    public func predict(
        text: UnsafeBufferPointer<UInt8>, into probabilities: UnsafeMutableBufferPointer<Float>,
        scratch: PredictionScratch, splitDirections: Bool = false
    ) throws(TextRNNError) {
        guard try encode(text, scratch: scratch) else {
            let ids = scratch.ids
            try ids.withUnsafeBufferPointer { ids throws(TextRNNError) in
                try predict(tokenIDs: ids, into: probabilities, scratch: scratch, splitDirections: splitDirections)
            }
            return
        }
        let ids = scratch.ids, tokens = scratch.tokens, characters = scratch.characters
        try ids.withUnsafeBufferPointer { ids throws(TextRNNError) in
            try tokens.withUnsafeBufferPointer { tokens throws(TextRNNError) in
                try characters.withUnsafeBufferPointer { characters throws(TextRNNError) in
                    try predict(tokenIDs: ids, bagTokens: tokens, bagCharacters: characters, into: probabilities, scratch: scratch,
                                splitDirections: splitDirections)
                }
            }
        }
    }

    /// Encodes `text` into `scratch.ids`, the layers' input. Returns true if the bag branch reads
    /// every token of the text instead, in `scratch.tokens` (the ids are then their window), and
    /// its words' character n-grams, in `scratch.characters` (empty unless the bag reads them).
    func encode(_ text: UnsafeBufferPointer<UInt8>, scratch: PredictionScratch) throws(TextRNNError) -> Bool {
        scratch.characters.removeAll(keepingCapacity: true)
        guard let bag, bag.features.spec.wholeText else {
            try pipeline.encode(text, into: &scratch.ids, scratch: &scratch.tokenizer)
            return false
        }
        try pipeline.encodeTokens(text, into: &scratch.tokens, scratch: &scratch.tokenizer)
        if bag.features.spec.characters > 0 {
            CharacterNgrams.appendBuckets(ofWordsIn: scratch.tokenizer, sizes: bag.features.spec.characterSizes,
                                          into: &scratch.characters, scratch: &scratch.characterScratch)
        }
        let tokens = scratch.tokens
        tokens.withUnsafeBufferPointer { pipeline.window($0, into: &scratch.ids) }
        return true
    }

    public func predict(text: String) throws(TextRNNError) -> [Float] {
        var probabilities = [Float](repeating: 0, count: labelCount)
        var text = text
        let scratch = PredictionScratch()
        let result: Result<Void, TextRNNError> = text.withUTF8 { bytes in
            probabilities.withUnsafeMutableBufferPointer { output in
                do throws(TextRNNError) {
                    try predict(text: bytes, into: output, scratch: scratch)
                    return .success(())
                } catch { return .failure(error) }
            }
        }
        try result.get()
        return probabilities
    }

    /// Probabilities from token ids (already padded or not: ids are used as given). A bag
    /// branch reads these ids too, unless `bagTokens` (every token of the text) are given, and
    /// a bag that reads character n-grams reads `bagCharacters`, or without them the n-grams of
    /// the words among its ids as the vocabulary spells them (`CharacterNgrams`).
    public func predict(
        tokenIDs ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>? = nil,
        bagCharacters: UnsafeBufferPointer<UInt32>? = nil,
        into probabilities: UnsafeMutableBufferPointer<Float>, scratch: PredictionScratch, splitDirections: Bool = false
    ) throws(TextRNNError) {
        guard probabilities.count >= labelCount else {
            throw TextRNNError(.invalidArgument, "the probability buffer holds \(probabilities.count) values; the model has \(labelCount) labels")
        }
        try validate(ids: ids)
        guard bagCharacters == nil, let bag, bag.features.spec.characters > 0 else {
            runLayers(ids: ids, bagTokens: bagTokens ?? ids, bagCharacters: bagCharacters ?? .init(start: nil, count: 0),
                      into: probabilities, scratch: scratch, splitDirections: splitDirections)
            return
        }
        scratch.characters.removeAll(keepingCapacity: true)
        CharacterNgrams.appendBuckets(ofIDs: bagTokens ?? ids, vocabulary: pipeline.vocabulary, sizes: bag.features.spec.characterSizes,
                                      into: &scratch.characters, scratch: &scratch.characterScratch)
        let characters = scratch.characters
        characters.withUnsafeBufferPointer { characters in
            runLayers(ids: ids, bagTokens: bagTokens ?? ids, bagCharacters: characters, into: probabilities, scratch: scratch,
                      splitDirections: splitDirections)
        }
    }

    private func runLayers(
        ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>, bagCharacters: UnsafeBufferPointer<UInt32>,
        into probabilities: UnsafeMutableBufferPointer<Float>, scratch: PredictionScratch, splitDirections: Bool
    ) {
        var lane = LayerLane(scratch: scratch, ids: ids, bagTokens: bagTokens, bagCharacters: bagCharacters)
        withUnsafeMutablePointer(to: &lane) { lane in
            forward(UnsafeMutableBufferPointer(start: lane, count: 1), splitDirections: splitDirections)
        }
        writeProbabilities(lane.current, into: probabilities.baseAddress!)
    }

    /// Throws unless there are at most `maxSteps` ids and each indexes the embedding.
    func validate(ids: UnsafeBufferPointer<Int32>) throws(TextRNNError) {
        guard ids.count <= maxSteps else {
            throw TextRNNError(.limitExceeded, "\(ids.count) token ids exceed this model's limit of \(maxSteps) (\(ManifestValidator.maxScratchFloats) scratch floats per prediction)")
        }
        for (index, id) in ids.enumerated() where id < 0 || Int(id) >= embeddingRows {
            throw TextRNNError(.invalidArgument, "token id \(id) at position \(index) is outside 0..<\(embeddingRows)")
        }
    }

    /// The `labelCount` probabilities from the last layer's output.
    @inline(__always)
    func writeProbabilities(_ output: UnsafePointer<Float>, into probabilities: UnsafeMutablePointer<Float>) {
        switch manifest.output {
        case .softmax, .multiLabelSigmoid:
            for index in 0..<labelCount { probabilities[index] = output[index] }
        case .binarySigmoid:
            probabilities[0] = 1 - output[0]
            probabilities[1] = output[0]
        }
    }
}

/// Runs `body` on the bytes of `array`, keeping the typed error.
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(TextRNNError) -> R) throws(TextRNNError) -> R {
    let result: Result<R, TextRNNError> = array.withUnsafeBytes { bytes in
        do throws(TextRNNError) { return .success(try body(bytes)) } catch { return .failure(error) }
    }
    return try result.get()
}

func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
