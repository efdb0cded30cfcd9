/// A layer of the graph with its weights resolved to pointers, ready to run.
enum CompiledLayer: @unchecked Sendable {  // pointers into immutable weights
    case embedding(table: Matrix, maskZero: Bool)
    case recurrent(RecurrentLayer)
    case bidirectional(forward: RecurrentLayer, backward: RecurrentLayer, mergeMode: MergeMode)
    case globalMaxPooling(masked: Bool)
    case globalAveragePooling
    case dense(kernel: Matrix, bias: UnsafePointer<Float>, activation: Activation)
}

/// Float32 views of the weights file's tensors. float32 tensors point into the (mapped) file;
/// int8 tensors are dequantized into owned memory here.
final class ResolvedTensors: @unchecked Sendable {
    // Immutable after init; the owned buffers are only read after that.
    private(set) var pointers: [String: UnsafePointer<Float>] = [:]
    private var owned: [UnsafeMutablePointer<Float>] = []

    init(manifest: Manifest, storage: WeightStorage) throws(TextRNNError) {
        let base = storage.bytes.baseAddress
        var entries: [String: Manifest.TensorEntry] = [:]
        for tensor in manifest.tensors { entries[tensor.name] = tensor }
        for tensor in manifest.tensors where tensor.dtype == .float32 {
            let values = UnsafeRawPointer(base! + tensor.offset).assumingMemoryBound(to: Float.self)
            for index in 0..<tensor.elementCount where !values[index].isFinite {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(tensor.name)\" holds a non-finite value at element \(index)")
            }
            pointers[tensor.name] = values
        }
        for tensor in manifest.tensors where tensor.dtype == .int8 {
            let scales = pointers[tensor.scales!]!
            let axis = tensor.scaleAxis!
            for index in 0..<tensor.shape[axis] where !(scales[index].isFinite && scales[index] > 0) {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(tensor.scales!)\" holds scale \(scales[index]) at \(index); int8 scales must be finite and positive")
            }
            // Element i lies at index (i / inner) % shape[axis] along the scale axis.
            let inner = tensor.shape[(axis + 1)...].reduce(1, *)
            let values = UnsafeRawPointer(base! + tensor.offset).assumingMemoryBound(to: Int8.self)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tensor.elementCount)
            owned.append(buffer)
            for index in 0..<tensor.elementCount {
                buffer[index] = Float(values[index]) * scales[(index / inner) % tensor.shape[axis]]
            }
            pointers[tensor.name] = UnsafePointer(buffer)
        }
        _ = entries
    }

    deinit { for buffer in owned { buffer.deallocate() } }
}

extension CompiledLayer {
    /// Resolves every layer's weights. The manifest has been validated, so every name exists
    /// with the expected shape.
    static func compile(_ manifest: Manifest, tensors: ResolvedTensors) -> [CompiledLayer] {
        var features = 0
        var compiled: [CompiledLayer] = []
        for (index, layer) in manifest.layers.enumerated() {
            let names = manifest.layerWeights[index]
            func pointer(_ role: String) -> UnsafePointer<Float>? { names[role].flatMap { tensors.pointers[$0] } }
            func recurrent(_ spec: RecurrentSpec, prefix: String) -> RecurrentLayer {
                let width = spec.cell.gateCount * spec.units
                let bias = pointer(prefix + "bias")
                let splitBias = spec.cell == .gru && spec.resetAfter
                return RecurrentLayer(
                    spec: spec,
                    weights: RecurrentWeights(
                        kernel: Matrix(base: pointer(prefix + "kernel")!, rows: features, columns: width),
                        recurrentKernel: Matrix(base: pointer(prefix + "recurrent_kernel")!, rows: spec.units, columns: width),
                        inputBias: bias,
                        recurrentBias: splitBias ? bias.map { $0 + width } : nil))
            }
            switch layer {
            case .embedding(let rows, let dim, let maskZero):
                compiled.append(.embedding(table: Matrix(base: pointer("embeddings")!, rows: rows, columns: dim), maskZero: maskZero))
            case .recurrent(let spec):
                compiled.append(.recurrent(recurrent(spec, prefix: "")))
            case .bidirectional(let forward, let backward, let mergeMode):
                compiled.append(.bidirectional(
                    forward: recurrent(forward, prefix: "forward/"), backward: recurrent(backward, prefix: "backward/"),
                    mergeMode: mergeMode))
            case .globalMaxPooling(let masked):
                compiled.append(.globalMaxPooling(masked: masked))
            case .globalAveragePooling:
                compiled.append(.globalAveragePooling)
            case .dense(let units, let activation):
                compiled.append(.dense(
                    kernel: Matrix(base: pointer("kernel")!, rows: features, columns: units), bias: pointer("bias")!,
                    activation: activation))
            }
            features = Manifest.expectedWeights(of: layer, inputFeatures: features).outputFeatures
        }
        return compiled
    }
}
