/// int8 quantization of a bundle's weights (docs/bundle-format.md, "Tensors").
///
/// Scheme: symmetric int8 (no zero point, values in -127...127) with one float32 scale per
/// output unit: per vocabulary row for an embedding (axis 0), per output column for input,
/// recurrent and dense kernels (axis 1, the Keras [inputs, outputs] layout). Biases stay float32.
/// scale = max |w| over the row or column / 127, so the largest weight maps to ±127 exactly.
public enum Quantization {
    /// Manifest name of the scheme, recorded in the training metadata.
    public static let scheme = "int8-symmetric-per-output-unit"

    /// Reads every tensor of a bundle as float32 values (int8 tensors dequantized), keyed by name.
    /// `weights` is the whole weights file, already checked against the manifest.
    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    public static func floatTensors(manifest: Manifest, weights: UnsafeRawBufferPointer) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        let base = weights.baseAddress!
        for tensor in manifest.tensors where tensor.dtype == .float32 {
            let pointer = UnsafeRawPointer(base + tensor.offset).assumingMemoryBound(to: Float.self)
            result[tensor.name] = Array(UnsafeBufferPointer(start: pointer, count: tensor.elementCount))
        }
        for tensor in manifest.tensors where tensor.dtype == .int8 {
            let scales = result[tensor.scales!]!
            let axis = tensor.scaleAxis!
            let inner = tensor.shape[(axis + 1)...].reduce(1, *)
            let values = UnsafeRawPointer(base + tensor.offset).assumingMemoryBound(to: Int8.self)
            result[tensor.name] = (0..<tensor.elementCount).map { Float(values[$0]) * scales[($0 / inner) % tensor.shape[axis]] }
        }
        return result
    }

    /// Symmetric int8 of a row-major [rows, columns] matrix with one scale per index along `axis`
    /// (0: per row, 1: per column).
    public static func quantize(_ values: [Float], rows: Int, columns: Int, axis: Int) -> (values: [Int8], scales: [Float]) {
        var largest = [Float](repeating: 0, count: axis == 0 ? rows : columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let index = axis == 0 ? r : c
                largest[index] = max(largest[index], abs(values[r * columns + c]))
            }
        }
        // An all-zero row keeps scale 1 (scales must be finite and positive); its values are 0.
        let scales = largest.map { $0 > 0 ? $0 / 127 : 1 }
        var quantized = [Int8](repeating: 0, count: values.count)
        for r in 0..<rows {
            for c in 0..<columns {
                let scale = scales[axis == 0 ? r : c]
                let q = (values[r * columns + c] / scale).rounded(.toNearestOrEven)
                quantized[r * columns + c] = Int8(max(-127, min(127, q)))
            }
        }
        return (quantized, scales)
    }

    /// The contents of an int8 version of the bundle: embeddings and kernels int8, biases (and
    /// anything else) float32. Layers, text pipeline, labels and training metadata are kept;
    /// `training` replaces the metadata when given.
    @_optimize(size)  // once per quantization: libtextrnn.so has a size budget (docs/packaging.md)
    public static func quantizedContents(
        manifest: Manifest, weights: UnsafeRawBufferPointer, training: JSONValue? = nil
    ) -> BundleContents {
        let floats = floatTensors(manifest: manifest, weights: weights)
        var tensors: [BundleTensor] = []
        var features = 0
        for (index, layer) in manifest.layers.enumerated() {
            let (roles, outputFeatures) = Manifest.expectedWeights(of: layer, inputFeatures: features)
            for (role, shape) in roles {
                let name = manifest.layerWeights[index][role]!
                let values = floats[name]!
                let newName: String
                let parts = role.split(separator: "/")
                newName = parts.count == 2
                    ? tensorName(layer: index, direction: String(parts[0]), role: String(parts[1]))
                    : tensorName(layer: index, role: role)
                let leaf = parts.last.map(String.init) ?? role
                if shape.count == 2 && (leaf == "embeddings" || leaf == "kernel" || leaf == "recurrent_kernel") {
                    let axis = leaf == "embeddings" ? 0 : 1
                    let (q, scales) = quantize(values, rows: shape[0], columns: shape[1], axis: axis)
                    tensors.append(BundleTensor(name: newName, shape: shape, storage: .int8(q, scales: scales, axis: axis)))
                } else {
                    tensors.append(BundleTensor(name: newName, shape: shape, values: values))
                }
            }
            features = outputFeatures
        }
        // The bag branch: its kernel int8 per output column like the layers' kernels (the runtime
        // reads it as int8, `BagKernel`); the bigram table (exact ids) and idf stay float32.
        if let bag = manifest.bag, case .dense(let outputs, _) = manifest.layers[manifest.layers.count - 1] {
            for (name, shape) in bag.weightShapes(outputs: outputs) {
                let values = floats[name]!
                if name == BagSpec.kernelTensor {
                    let (q, scales) = quantize(values, rows: shape[0], columns: shape[1], axis: 1)
                    tensors.append(BundleTensor(name: name, shape: shape, storage: .int8(q, scales: scales, axis: 1)))
                } else {
                    tensors.append(BundleTensor(name: name, shape: shape, values: values))
                }
            }
        }
        return BundleContents(
            producer: manifest.producer, text: manifest.text, vocabulary: manifest.vocabulary, labels: manifest.labels,
            output: manifest.output, layers: manifest.layers, tensors: tensors, training: training ?? manifest.training,
            bag: manifest.bag)
    }

    /// Reads a bundle directory's manifest and weights (validated, checksum checked).
    public static func readBundle(_ path: String) throws(TextRNNError) -> (manifest: Manifest, weights: [UInt8]) {
        var directory = path
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        let manifestBytes = try readFile(directory + "/" + Manifest.manifestFileName, limit: Model.maxManifestBytes)
        let manifest = try withBytes(manifestBytes) { bytes throws(TextRNNError) in try ManifestParser.parse(bytes) }
        let weights = try readFile(directory + "/" + manifest.weightsFile, limit: Int.max)
        guard weights.count == manifest.weightsLength, CRC32.checksum(weights) == manifest.weightsCRC32 else {
            throw TextRNNError(.invalidBundle, "\(directory)/\(manifest.weightsFile): length or checksum does not match manifest.json")
        }
        return (manifest, weights)
    }

    /// Adds (or replaces) `key` in a JSON object; a non-object becomes {"previous": value, key: ...}.
    public static func setting(_ key: String, _ value: JSONValue, in object: JSONValue?) -> JSONValue {
        switch object {
        case .object(var members)?:
            members.removeAll { $0.0 == key }
            members.append((key, value))
            return .object(members)
        case nil, .null?:
            return .object([(key, value)])
        case let other?:
            return .object([("previous", other), (key, value)])
        }
    }
}
