import TextRNNRuntime

public enum NetworkError: Error, CustomStringConvertible {
    case invalidArchitecture(String)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .invalidArchitecture(let m): "invalid architecture: \(m)"
        case .shapeMismatch(let m): "shape mismatch: \(m)"
        }
    }
}

enum NetworkLayer {
    case embedding(EmbeddingLayer)
    case sequence(SequenceLayer)
    case maxPooling(GlobalMaxPoolingLayer)
    case averagePooling(GlobalAveragePoolingLayer)
    case dense(DenseLayer)
}

/// A Keras-style Sequential text classifier built from `[LayerSpec]`: Embedding, recurrent or
/// Bidirectional stack, optional global pooling, Dense head. Parameters live in `store` under the
/// LayerSpec tensor names; `forward` then `backward` (or `lossAndGradients`) fill `store.gradients`.
public final class Network {
    public let specs: [LayerSpec]
    public let store: ParameterStore
    public var options: TrainingOptions { didSet { applyOptions() } }
    public let outputDim: Int
    let layers: [NetworkLayer]
    /// Feature width entering each layer (the embedding row width for layer 1, ...).
    let inputDims: [Int]
    var batch = 0, time = 0

    /// Builds the network and initialises it with Keras's default initializers from `seed`.
    public init(layers specs: [LayerSpec], options: TrainingOptions = TrainingOptions(), seed: UInt64 = 0) throws {
        guard case .embedding = specs.first else { throw NetworkError.invalidArchitecture("the first layer must be an Embedding") }
        guard case .dense = specs.last else { throw NetworkError.invalidArchitecture("the last layer must be Dense") }
        var layout = ParameterLayout()
        var layers: [NetworkLayer] = [], inputDims: [Int] = []
        var dim = 0, isSequence = true
        for (i, spec) in specs.enumerated() {
            inputDims.append(dim)
            switch spec {
            case .embedding(let inputDim, let outputDim, let maskZero):
                guard i == 0 else { throw NetworkError.invalidArchitecture("Embedding must come first") }
                layers.append(.embedding(EmbeddingLayer(inputDim: inputDim, outputDim: outputDim, maskZero: maskZero, layer: i, layout: &layout)))
                dim = outputDim
            case .recurrent(let r):
                guard isSequence else { throw NetworkError.invalidArchitecture("layer \(i) needs a sequence; the layer before it has return_sequences false") }
                let l = SequenceLayer.recurrent(RecurrentLayer(spec: r, inputDim: dim, prefix: "\(i)/", layout: &layout))
                layers.append(.sequence(l))
                dim = l.outputDim; isSequence = r.returnSequences
            case .bidirectional(let f, let b, let merge):
                guard isSequence else { throw NetworkError.invalidArchitecture("layer \(i) needs a sequence") }
                let l = SequenceLayer.bidirectional(BidirectionalLayer(forward: f, backward: b, mergeMode: merge, inputDim: dim, layer: i, layout: &layout))
                layers.append(.sequence(l))
                dim = l.outputDim; isSequence = f.returnSequences
            case .globalMaxPooling(let masked):
                guard isSequence else { throw NetworkError.invalidArchitecture("pooling at layer \(i) needs a sequence") }
                layers.append(.maxPooling(GlobalMaxPoolingLayer(masked: masked)))
                isSequence = false
            case .globalAveragePooling:
                guard isSequence else { throw NetworkError.invalidArchitecture("pooling at layer \(i) needs a sequence") }
                layers.append(.averagePooling(GlobalAveragePoolingLayer()))
                isSequence = false
            case .dense(let units, let activation):
                guard !isSequence else { throw NetworkError.invalidArchitecture("Dense at layer \(i) needs a vector: end the recurrent stack with return_sequences false or add pooling") }
                layers.append(.dense(DenseLayer(units: units, activation: activation, inputDim: dim, layer: i, layout: &layout)))
                dim = units
            }
        }
        self.specs = specs
        self.layers = layers
        self.inputDims = inputDims
        outputDim = dim
        store = ParameterStore(layout: layout)
        self.options = options
        applyOptions()
        initializeParameters(seed: seed)
    }

    private func applyOptions() {
        for (i, layer) in layers.enumerated() {
            switch layer {
            case .embedding(let e): e.spatialDropout = options.embeddingDropout
            case .sequence(let s):
                let d = options.recurrentDropout[i] ?? RecurrentDropout()
                s.setDropout(d.dropout, recurrent: d.recurrentDropout)
            case .dense(let d): d.inputDropout = options.denseDropout[i] ?? 0
            case .maxPooling, .averagePooling: break
            }
        }
    }

    /// Re-draws every parameter from `seed` with Keras's default initializers.
    public func initializeParameters(seed: UInt64) {
        let sequences: [SequenceLayer] = layers.compactMap { if case .sequence(let s) = $0 { s } else { nil } }
        Initializers.initialize(store, lstmLayers: sequences.flatMap(\.recurrentLayers), seed: seed)
    }

    /// Lets the network use `threads` cores: unidirectional recurrent layers split their batch
    /// into two lanes when threads ≥ 2 (Bidirectional layers already run their directions on
    /// two). Also grants the threads to `runPair` (setComputeThreads).
    public func useThreads(_ threads: Int) {
        setComputeThreads(threads)
        for case .sequence(.recurrent(let r)) in layers { r.maximumLanes = threads >= 2 ? 2 : 1 }
    }

    /// The recurrent/Bidirectional layer at `index` in the spec array.
    public func sequenceLayer(at index: Int) -> SequenceLayer? {
        guard layers.indices.contains(index), case .sequence(let s) = layers[index] else { return nil }
        return s
    }

    /// Rows of the embedding table that received gradient in the last backward.
    public var embeddingTouchedRows: [Int] {
        guard case .embedding(let e) = layers[0] else { return [] }
        return e.touchedRows
    }

    private var head: DenseLayer {
        guard case .dense(let d) = layers[layers.count - 1] else { fatalError("validated in init") }
        return d
    }

    /// Output probabilities [B, outputDim] for token ids [B, T] (0 = padding).
    @discardableResult
    public func forward(
        tokenIds ids: UnsafePointer<Int32>, batch B: Int, time T: Int, training: Bool, rng: inout SeededGenerator
    ) throws -> UnsafePointer<Float> {
        batch = B; time = T
        let p = store.parameters
        var x: UnsafePointer<Float> = UnsafePointer(p)  // replaced by the Embedding output
        var mask: UnsafePointer<Float>?
        for (i, layer) in layers.enumerated() {
            switch layer {
            case .embedding(let e):
                x = UnsafePointer(try e.forward(ids: ids, batch: B, time: T, training: training, rng: &rng, parameters: p))
                mask = e.outputMask.map { UnsafePointer($0) }
            case .sequence(let s):
                x = UnsafePointer(s.forward(input: x, mask: mask, batch: B, time: T, training: training, rng: &rng, parameters: p))
                if !s.returnSequences { mask = nil }
            case .maxPooling(let m):
                x = UnsafePointer(m.forward(input: x, mask: mask, batch: B, time: T, dim: inputDims[i])); mask = nil
            case .averagePooling(let a):
                x = UnsafePointer(a.forward(input: x, mask: mask, batch: B, time: T, dim: inputDims[i])); mask = nil
            case .dense(let d):
                x = UnsafePointer(d.forward(input: x, batch: B, training: training, rng: &rng, parameters: p))
            }
        }
        return x
    }

    public func forward(tokenIds: [Int32], batch: Int, time: Int, training: Bool, rng: inout SeededGenerator) throws -> [Float] {
        guard tokenIds.count == batch * time else { throw NetworkError.shapeMismatch("\(tokenIds.count) token ids for [\(batch), \(time)]") }
        let out = try tokenIds.withUnsafeBufferPointer { try forward(tokenIds: $0.baseAddress!, batch: batch, time: time, training: training, rng: &rng) }
        return Array(UnsafeBufferPointer(start: out, count: batch * outputDim))
    }

    /// Pre-activations of the final Dense layer from the last forward, [B, outputDim].
    public var logits: UnsafePointer<Float> { UnsafePointer(head.logits.pointer) }

    /// Backpropagates dLoss/d(final logits) [B, outputDim] through the last forward and *adds* the
    /// parameter gradients into `store.gradients` (zero them first for a fresh step).
    public func backward(logitGradient dz: UnsafePointer<Float>) {
        let p = store.parameters, g = store.gradients
        var d = dz
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            switch layers[i] {
            case .dense(let l):
                d = UnsafePointer(i == layers.count - 1
                    ? l.backward(logitGradient: d, parameters: p, gradients: g)
                    : l.backward(outputGradient: d, parameters: p, gradients: g))
            case .maxPooling(let m): d = UnsafePointer(m.backward(outputGradient: d))
            case .averagePooling(let a): d = UnsafePointer(a.backward(outputGradient: d))
            case .sequence(let s): d = UnsafePointer(s.backward(outputGradient: d, parameters: p, gradients: g))
            case .embedding(let e): e.backward(outputGradient: d, gradients: g, squares: store.sparseGradientSquares)
            }
        }
    }

    private let lossGradient = FloatBuffer()  // [B, outputDim]
    private let stackedLogits = FloatBuffer()  // [B, outputDim]: base + network logits

    /// One training evaluation: zero gradients, forward, loss, backward. Returns the loss and the
    /// probabilities. `targets`: class ids [B] (sparse CE), 0/1 [B] (binary) or [B, N] (multi-label).
    public func lossAndGradients(
        tokenIds: [Int32], batch: Int, time: Int, targets: [Float], loss kind: LossKind,
        sampleWeights: [Float]? = nil, labelSmoothing: Float = 0, baseLogits: [Float]? = nil, training: Bool = true,
        rng: inout SeededGenerator
    ) throws -> (loss: Float, probabilities: [Float]) {
        guard head.activation == kind.outputActivation else {
            throw NetworkError.invalidArchitecture("\(kind) needs a \(kind.outputActivation) output layer, not \(head.activation)")
        }
        let expectedTargets = kind == .multiLabelBinaryCrossEntropy ? batch * outputDim : batch
        guard targets.count == expectedTargets, sampleWeights.map({ $0.count == batch }) ?? true,
              baseLogits.map({ $0.count == batch * outputDim }) ?? true else {
            throw NetworkError.shapeMismatch("targets/sample weights/base logits do not match batch \(batch)")
        }
        store.zeroGradients()
        var probabilities = try forward(tokenIds: tokenIds, batch: batch, time: time, training: training, rng: &rng)
        var logits = self.logits
        if let baseLogits {
            // z = base + network: the loss's gradient with respect to the network's logits is
            // the one with respect to z, so backward is unchanged.
            let z = stackedLogits.resize(batch * outputDim)
            for i in 0..<(batch * outputDim) { z[i] = baseLogits[i] + logits[i] }
            probabilities.withUnsafeMutableBufferPointer { activateRows(z, into: $0.baseAddress!, rows: batch, width: outputDim, kind.outputActivation) }
            logits = UnsafePointer(z)
        }
        let dz = lossGradient.resize(batch * outputDim)
        let loss = probabilities.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { y in
                let w = sampleWeights
                return w.withUnsafeOptionalBuffer { wp in
                    crossEntropy(kind, logits: logits, probabilities: p.baseAddress!, batch: batch, outputs: outputDim,
                                 targets: y.baseAddress!, sampleWeights: wp, labelSmoothing: labelSmoothing, logitGradient: dz)
                }
            }
        }
        backward(logitGradient: dz)
        return (loss, probabilities)
    }
}

extension Optional where Wrapped == [Float] {
    func withUnsafeOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        switch self {
        case .none: return try body(nil)
        case .some(let a): return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
        }
    }
}
