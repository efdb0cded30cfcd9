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
    /// Rows of the embedding: every token id must be below this.
    public let embeddingRows: Int
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
        self.layers = CompiledLayer.compile(manifest, tensors: tensors)
        if let spec = manifest.bag, case .dense(let outputs, _) = manifest.layers[manifest.layers.count - 1] {
            self.bag = try CompiledBag(spec: spec, pointers: tensors.pointers, outputs: outputs, vocabularySize: manifest.vocabulary.count)
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
        guard let bag, bag.features.spec.wholeText else {
            try pipeline.encode(text, into: &scratch.ids, scratch: &scratch.tokenizer)
            let ids = scratch.ids
            try ids.withUnsafeBufferPointer { ids throws(TextRNNError) in
                try predict(tokenIDs: ids, into: probabilities, scratch: scratch, splitDirections: splitDirections)
            }
            return
        }
        // The bag reads every token; the layers read the window of them.
        try pipeline.encodeTokens(text, into: &scratch.tokens, scratch: &scratch.tokenizer)
        let tokens = scratch.tokens
        tokens.withUnsafeBufferPointer { pipeline.window($0, into: &scratch.ids) }
        let ids = scratch.ids
        try ids.withUnsafeBufferPointer { ids throws(TextRNNError) in
            try tokens.withUnsafeBufferPointer { tokens throws(TextRNNError) in
                try predict(tokenIDs: ids, bagTokens: tokens, into: probabilities, scratch: scratch,
                            splitDirections: splitDirections)
            }
        }
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
    /// branch reads these ids too, unless `bagTokens` (every token of the text) are given.
    public func predict(
        tokenIDs ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>? = nil,
        into probabilities: UnsafeMutableBufferPointer<Float>, scratch: PredictionScratch, splitDirections: Bool = false
    ) throws(TextRNNError) {
        guard probabilities.count >= labelCount else {
            throw TextRNNError(.invalidArgument, "the probability buffer holds \(probabilities.count) values; the model has \(labelCount) labels")
        }
        try validate(ids: ids)
        let output = forward(ids: ids, bagTokens: bagTokens ?? ids, scratch: scratch, splitDirections: splitDirections)
        writeProbabilities(output, into: probabilities.baseAddress!)
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

    /// Runs the layers; returns the last layer's output (valid until the scratch is reused).
    private func forward(
        ids: UnsafeBufferPointer<Int32>, bagTokens: UnsafeBufferPointer<Int32>, scratch: PredictionScratch,
        splitDirections: Bool
    ) -> UnsafeMutablePointer<Float> {
        let steps = ids.count
        var mask: UnsafeMutablePointer<UInt8>? = nil
        var features = 0
        var current = scratch.current.pointer
        var projectionIDs: UnsafePointer<Int32>? = usesProjection ? ids.baseAddress : nil
        var layersLeft = layers.count
        for layer in layers {
            layersLeft -= 1
            defer { if case .embedding = layer {} else { projectionIDs = nil } }
            switch layer {
            case .embedding(let table, let maskZero):
                current = scratch.current.reserve(max(steps * table.dim, 1))
                // A first recurrent layer with a projection table reads the ids, not the vectors.
                if steps > 0 && !usesProjection { SequenceLayers.embed(table, ids: ids.baseAddress!, steps: steps, output: current) }
                if maskZero {
                    mask = scratch.mask.reserve(max(steps, 1))
                    for t in 0..<steps { mask![t] = ids[t] != 0 ? 1 : 0 }
                }
                features = table.dim
            case .recurrent(let recurrent):
                let output = scratch.next.reserve(max(steps, 1) * recurrent.spec.units)
                recurrent.forward(
                    input: current, mask: mask, steps: steps, output: output,
                    scratch: scratch.recurrent.reserve(recurrent.scratchCount(steps: steps)), ids: projectionIDs)
                // Keras passes the input mask on unchanged, even after go_backwards reversed the
                // outputs; so do we.
                if !recurrent.spec.returnSequences { mask = nil }
                features = recurrent.spec.units
                swap(&scratch.current, &scratch.next)
                current = output
            case .bidirectional(let forward, let backward, let mergeMode):
                let isSequence = forward.spec.returnSequences
                let rows = isSequence ? max(steps, 1) : 1
                let forwardOutput = scratch.next.reserve(rows * (forward.spec.units + backward.spec.units))
                let backwardOutput = scratch.backward.reserve(rows * backward.spec.units)
                if splitDirections {
                    let forwardWork = scratch.recurrent.reserve(forward.scratchCount(steps: steps))
                    let backwardWork = scratch.helperRecurrent.reserve(backward.scratchCount(steps: steps))
                    scratch.directionTask.run(
                        backward, input: current, mask: mask, steps: steps, output: backwardOutput,
                        scratch: backwardWork, ids: projectionIDs
                    ) {
                        forward.forward(input: current, mask: mask, steps: steps, output: forwardOutput, scratch: forwardWork, ids: projectionIDs)
                    }
                } else {
                    let work = scratch.recurrent.reserve(max(forward.scratchCount(steps: steps), backward.scratchCount(steps: steps)))
                    forward.forward(input: current, mask: mask, steps: steps, output: forwardOutput, scratch: work, ids: projectionIDs)
                    backward.forward(input: current, mask: mask, steps: steps, output: backwardOutput, scratch: work, ids: projectionIDs)
                }
                // Merge in place: concat writes row t after reading forward row t only.
                let merged = scratch.current.reserve(rows * (forward.spec.units + backward.spec.units))
                SequenceLayers.merge(
                    forward: forwardOutput, backward: backwardOutput, forwardUnits: forward.spec.units,
                    backwardUnits: backward.spec.units, steps: steps, isSequence: isSequence, mode: mergeMode,
                    output: merged)
                if !isSequence { mask = nil }
                features = mergeMode == .concat ? forward.spec.units + backward.spec.units : forward.spec.units
                current = merged
            case .globalMaxPooling(let masked):
                let output = scratch.next.reserve(features)
                SequenceLayers.maxPool(current, steps: steps, features: features, mask: mask, masked: masked, output: output)
                swap(&scratch.current, &scratch.next)
                current = output
                mask = nil
            case .globalAveragePooling:
                let output = scratch.next.reserve(features)
                SequenceLayers.averagePool(current, steps: steps, features: features, mask: mask, output: output)
                swap(&scratch.current, &scratch.next)
                current = output
                mask = nil
            case .dense(let kernel, let bias, let activation):
                let output = scratch.next.reserve(kernel.columns)
                let bag = layersLeft == 0 ? self.bag : nil
                SequenceLayers.dense(current, kernel: kernel, bias: bias, activation: activation, output: output,
                                     beforeActivation: bag.map { bag in { bag.addLogits(ids: bagTokens, scratch: &scratch.bag, into: $0) } })
                swap(&scratch.current, &scratch.next)
                current = output
                features = kernel.columns
            }
        }
        return current
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
