import CTextRNNKernels

/// A layer of the graph with its weights resolved to pointers, ready to run.
enum CompiledLayer: @unchecked Sendable {  // pointers into immutable weights
    case embedding(table: EmbeddingTable, maskZero: Bool)
    case recurrent(RecurrentLayer)
    case bidirectional(forward: RecurrentLayer, backward: RecurrentLayer, mergeMode: MergeMode)
    case globalMaxPooling(masked: Bool)
    case globalAveragePooling
    case dense(kernel: WeightMatrix, bias: UnsafePointer<Float>, activation: Activation)
}

/// Views of the weights file's tensors. float32 tensors point into the (mapped) file; int8
/// tensors stay int8 (pointers into the file, with their scales). Buffers derived at load
/// (packed int8 recurrent kernels) are owned here.
final class ResolvedTensors: @unchecked Sendable {
    // Immutable after the model is compiled; the owned buffers are only read after that.
    private(set) var pointers: [String: UnsafePointer<Float>] = [:]
    private(set) var int8Pointers: [String: (values: UnsafePointer<Int8>, scales: UnsafePointer<Float>)] = [:]
    private var owned: [UnsafeMutableRawPointer] = []

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    init(manifest: Manifest, storage: WeightStorage) throws(TextRNNError) {
        let base = storage.bytes.baseAddress
        for tensor in manifest.tensors where tensor.dtype == .float32 {
            let values = UnsafeRawPointer(base! + tensor.offset).assumingMemoryBound(to: Float.self)
            if let bad = firstNonFinite(values, count: tensor.elementCount) {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(tensor.name)\" holds a non-finite value at element \(bad)")
            }
            pointers[tensor.name] = values
        }
        // int8 stays int8 where the kernels read it (embeddings scaled per row, kernels per
        // output column, as writers lay them out); anything else is dequantized here.
        var kernelAxis: [String: Int] = [:]
        for roles in manifest.layerWeights {
            for (role, name) in roles {
                if role == "embeddings" { kernelAxis[name] = 0 }
                if role.hasSuffix("kernel") { kernelAxis[name] = 1 }
            }
        }
        if manifest.bag != nil { kernelAxis[BagSpec.kernelTensor] = 1 }
        for tensor in manifest.tensors where tensor.dtype == .int8 {
            let scales = pointers[tensor.scales!]!
            let axis = tensor.scaleAxis!
            for index in 0..<tensor.shape[axis] where !(scales[index].isFinite && scales[index] > 0) {
                throw TextRNNError(.invalidBundle, "weights: tensor \"\(tensor.scales!)\" holds scale \(scales[index]) at \(index); int8 scales must be finite and positive")
            }
            let values = UnsafeRawPointer(base! + tensor.offset).assumingMemoryBound(to: Int8.self)
            if tensor.shape.count == 2 && kernelAxis[tensor.name] == axis {
                int8Pointers[tensor.name] = (values, scales)
            } else {
                let inner = tensor.shape[(axis + 1)...].reduce(1, *)
                let buffer = allocate(Float.self, tensor.elementCount)
                for index in 0..<tensor.elementCount {
                    buffer[index] = Float(values[index]) * scales[(index / inner) % tensor.shape[axis]]
                }
                pointers[tensor.name] = UnsafePointer(buffer)
            }
        }
    }

    func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        owned.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// The matrix under `name`, float32 or int8, with a packed copy for recurrent products if
    /// `packed` (int8: for integer dot products; float32: in panels, for several texts at once,
    /// when the kernel is too large for L1).
    func matrix(_ name: String, rows: Int, columns: Int, packed: Bool = false) -> WeightMatrix {
        if let float = pointers[name] {
            var matrix = WeightMatrix(Matrix(base: float, rows: rows, columns: columns))
            if packed && trk_panels_f32_size(Int32(rows), Int32(columns)) > 0 && trk_lanes_worthwhile(Int32(rows), Int32(columns)) != 0 {
                let panels = allocate(Float.self, trk_panels_f32_size(Int32(rows), Int32(columns)))
                trk_pack_panels_f32(float, Int32(rows), Int32(columns), panels)
                matrix.panels = UnsafePointer(panels)
            }
            return matrix
        }
        let (values, scales) = int8Pointers[name]!
        var matrix = WeightMatrix(int8: values, scales: scales, rows: rows, columns: columns)
        if packed {
            let buffer = allocate(Int8.self, trk_packed_size(Int32(rows), Int32(columns)))
            let sums = allocate(Int32.self, columns)
            trk_pack_s8(values, Int32(rows), Int32(columns), Int32(columns), buffer, sums)
            matrix.packed = UnsafePointer(buffer)
            matrix.columnSums = UnsafePointer(sums)
        }
        return matrix
    }

    deinit { for buffer in owned { buffer.deallocate() } }
}

extension CompiledLayer {
    /// Resolves every layer's weights. The manifest has been validated, so every name exists
    /// with the expected shape. `sharesProducts`: whether some recurrent layer can take several
    /// texts in lockstep (`RecurrentLayer.forward(lanes:)`).
    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    static func compile(_ manifest: Manifest, tensors: ResolvedTensors) -> (layers: [CompiledLayer], sharesProducts: Bool) {
        var features = 0
        var compiled: [CompiledLayer] = []
        var sharesProducts = false
        var embedding: EmbeddingTable? = nil
        for (index, layer) in manifest.layers.enumerated() {
            let names = manifest.layerWeights[index]
            func pointer(_ role: String) -> UnsafePointer<Float>? { names[role].flatMap { tensors.pointers[$0] } }
            func recurrent(_ spec: RecurrentSpec, prefix: String, zeroOutputForMask: Bool = false) -> RecurrentLayer {
                let width = spec.cell.gateCount * spec.units
                let bias = pointer(prefix + "bias")
                let splitBias = spec.cell == .gru && spec.resetAfter
                let input = tensors.matrix(names[prefix + "kernel"]!, rows: features, columns: width)
                // reset_after false multiplies column blocks separately: float activations there,
                // one text at a time.
                let recurrentKernel = tensors.matrix(
                    names[prefix + "recurrent_kernel"]!, rows: spec.units, columns: width,
                    packed: spec.cell != .gru || spec.resetAfter)
                var layer = RecurrentLayer(
                    spec: spec,
                    weights: RecurrentWeights(
                        input: input, recurrent: recurrentKernel, inputBias: bias,
                        recurrentBias: splitBias ? bias.map { $0 + width } : nil),
                    zeroOutputForMask: zeroOutputForMask)
                if index == 1, let embedding {
                    layer.projection = ProjectionTable(
                        rows: embedding.rows, dim: embedding.dim, embeddingFloat: embedding.float,
                        embeddingInt8: embedding.int8, embeddingScales: embedding.scales, kernel: input, bias: bias)
                }
                sharesProducts = sharesProducts || layer.sharesProducts
                return layer
            }
            switch layer {
            case .embedding(let rows, let dim, let maskZero):
                let name = names["embeddings"]!
                let table: EmbeddingTable
                if let float = tensors.pointers[name] {
                    table = EmbeddingTable(rows: rows, dim: dim, float: float, int8: nil, scales: nil)
                } else {
                    let (values, scales) = tensors.int8Pointers[name]!
                    table = EmbeddingTable(rows: rows, dim: dim, float: nil, int8: values, scales: scales)
                }
                embedding = table
                compiled.append(.embedding(table: table, maskZero: maskZero))
            case .recurrent(let spec):
                compiled.append(.recurrent(recurrent(spec, prefix: "")))
            case .bidirectional(let forward, let backward, let mergeMode):
                compiled.append(.bidirectional(
                    forward: recurrent(forward, prefix: "forward/", zeroOutputForMask: true),
                    backward: recurrent(backward, prefix: "backward/", zeroOutputForMask: true),
                    mergeMode: mergeMode))
            case .globalMaxPooling(let masked):
                compiled.append(.globalMaxPooling(masked: masked))
            case .globalAveragePooling:
                compiled.append(.globalAveragePooling)
            case .dense(let units, let activation):
                compiled.append(.dense(
                    kernel: tensors.matrix(names["kernel"]!, rows: features, columns: units), bias: pointer("bias")!,
                    activation: activation))
            }
            features = Manifest.expectedWeights(of: layer, inputFeatures: features).outputFeatures
        }
        return (compiled, sharesProducts)
    }
}
