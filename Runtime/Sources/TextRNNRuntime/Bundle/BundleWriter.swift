import Glibc

/// One tensor to write: float32 values, or int8 values with one float32 scale per index along
/// `axis` (value = Float(q) * scale).
public struct BundleTensor: Sendable {
    public enum Storage: Sendable {
        case float32([Float])
        case int8([Int8], scales: [Float], axis: Int)
    }

    public var name: String
    public var shape: [Int]
    public var storage: Storage

    public init(name: String, shape: [Int], values: [Float]) {
        self.init(name: name, shape: shape, storage: .float32(values))
    }

    public init(name: String, shape: [Int], storage: Storage) {
        self.name = name
        self.shape = shape
        self.storage = storage
    }
}

/// Everything a bundle holds, before it is laid out into bytes.
public struct BundleContents: Sendable {
    public var producer: String
    public var text: TextPipelineConfig
    public var vocabulary: [[UInt8]]
    public var labels: [String]
    public var output: Manifest.OutputKind
    public var layers: [LayerSpec]
    /// Every weight of every layer, named as `tensorName(layer:direction:role:)` says.
    public var tensors: [BundleTensor]
    public var training: JSONValue?
    /// The bag-of-n-grams branch; its tensors (BagSpec.weightShapes) are among `tensors`.
    public var bag: BagSpec?

    public init(
        producer: String = "textrnn \(TextRNNVersion.string)", text: TextPipelineConfig, vocabulary: [[UInt8]],
        labels: [String], output: Manifest.OutputKind, layers: [LayerSpec], tensors: [BundleTensor],
        training: JSONValue? = nil, bag: BagSpec? = nil
    ) {
        self.bag = bag
        self.producer = producer
        self.text = text
        self.vocabulary = vocabulary
        self.labels = labels
        self.output = output
        self.layers = layers
        self.tensors = tensors
        self.training = training
    }
}

public enum BundleWriter {
    /// Lays out the weights file (tensors in the order given, each 64-byte aligned, little-endian)
    /// and the manifest, validating the result exactly as a loader would.
    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    public static func encode(_ contents: BundleContents) throws(TextRNNError) -> (manifest: [UInt8], weights: [UInt8]) {
        var weights: [UInt8] = []
        var entries: [Manifest.TensorEntry] = []
        func align() {
            while weights.count % Manifest.tensorAlignment != 0 { weights.append(0) }
        }
        func appendFloats(_ values: [Float]) {
            for value in values {
                let bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { weights.append(contentsOf: $0) }
            }
        }
        for tensor in contents.tensors {
            let elements = tensor.shape.reduce(1, *)
            switch tensor.storage {
            case .float32(let values):
                guard values.count == elements else {
                    throw TextRNNError(.invalidArgument, "tensor \"\(tensor.name)\": \(values.count) values for shape \(tensor.shape)")
                }
                align()
                entries.append(.init(name: tensor.name, dtype: .float32, shape: tensor.shape, offset: weights.count, length: 4 * elements))
                appendFloats(values)
            case .int8(let values, let scales, let axis):
                guard values.count == elements, axis >= 0, axis < tensor.shape.count, scales.count == tensor.shape[axis] else {
                    throw TextRNNError(.invalidArgument, "tensor \"\(tensor.name)\": int8 values or scales do not match shape \(tensor.shape)")
                }
                align()
                let scalesName = tensor.name + ":scales"
                entries.append(.init(
                    name: tensor.name, dtype: .int8, shape: tensor.shape, offset: weights.count, length: elements,
                    scales: scalesName, scaleAxis: axis))
                weights.append(contentsOf: values.map { UInt8(bitPattern: $0) })
                align()
                entries.append(.init(name: scalesName, dtype: .float32, shape: [scales.count], offset: weights.count, length: 4 * scales.count))
                appendFloats(scales)
            }
        }
        var layerWeights: [[String: String]] = []
        var features = 0
        for (index, layer) in contents.layers.enumerated() {
            let (roles, outputFeatures) = Manifest.expectedWeights(of: layer, inputFeatures: features)
            var map: [String: String] = [:]
            for (role, _) in roles {
                let parts = role.split(separator: "/")
                map[role] = parts.count == 2
                    ? tensorName(layer: index, direction: String(parts[0]), role: String(parts[1]))
                    : tensorName(layer: index, role: role)
            }
            layerWeights.append(map)
            features = outputFeatures
        }
        let manifest = Manifest(
            producer: contents.producer, text: contents.text, vocabulary: contents.vocabulary, labels: contents.labels,
            output: contents.output, layers: contents.layers, layerWeights: layerWeights, tensors: entries,
            weightsLength: weights.count, weightsCRC32: CRC32.checksum(weights), training: contents.training, bag: contents.bag)
        try ManifestValidator.validate(manifest)
        return (Array(ManifestEncoder.json(manifest).serialized().utf8), weights)
    }

    /// Writes the bundle directory at `path` (conventionally NAME.textrnn). The files are written
    /// into a temporary directory beside it and swapped in, so a crash never leaves a
    /// half-written bundle at `path`. Only a bundle (or an empty directory) at `path` is replaced;
    /// anything else there is refused untouched (OutputCheck.bundle).
    public static func write(_ contents: BundleContents, to path: String) throws(TextRNNError) {
        try OutputCheck.bundle(path)
        let (manifest, weights) = try encode(contents)
        try write(manifest: manifest, weights: weights, to: path)
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    public static func write(manifest: [UInt8], weights: [UInt8], to path: String) throws(TextRNNError) {
        let target = OutputCheck.trimmed(path)
        try OutputCheck.bundle(target)
        let temporary = try uniqueDirectory(beside: target, "tmp")
        chmod(temporary, 0o755)  // mkdtemp makes it private; a bundle is as readable as a file
        do throws(TextRNNError) {
            try AtomicFile.create(weights, at: temporary + "/" + Manifest.defaultWeightsFileName)
            try AtomicFile.create(manifest, at: temporary + "/" + Manifest.manifestFileName)
            AtomicFile.syncDirectory(temporary)
            var info = stat()
            var previous: String? = nil
            if lstat(target, &info) == 0 {
                // rename(2) replaces the empty directory made for the purpose: a unique name.
                let aside = try uniqueDirectory(beside: target, "old")
                guard rename(target, aside) == 0 else {
                    rmdir(aside)
                    throw AtomicFile.ioError(target, "cannot move the previous bundle aside")
                }
                previous = aside
            }
            guard rename(temporary, target) == 0 else {
                let error = AtomicFile.ioError(target, "cannot rename \(temporary) into place")
                if let previous { rename(previous, target) }
                throw error
            }
            AtomicFile.syncDirectory(AtomicFile.parentDirectory(of: target))
            // Held only a bundle's files when checked; anything added since is left in place.
            if let previous { removeBundleDirectory(previous) }
        } catch {
            removeBundleDirectory(temporary)
            throw error
        }
    }

    /// A new empty directory named TARGET.KIND-XXXXXX beside `target`.
    private static func uniqueDirectory(beside target: String, _ kind: String) throws(TextRNNError) -> String {
        guard let (path, _) = AtomicFile.makeUnique("\(target).\(kind)-", directory: true) else {
            throw AtomicFile.ioError(target, "cannot create a temporary directory beside it")
        }
        return path
    }

    /// Removes a bundle directory this writer made or replaced: its two files, then the
    /// directory if that left it empty.
    private static func removeBundleDirectory(_ path: String) {
        for name in [Manifest.manifestFileName, Manifest.defaultWeightsFileName] { unlink(path + "/" + name) }
        rmdir(path)
    }
}
