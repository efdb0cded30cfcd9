import CTextRNN

/// What manifest.json says, decoded and checked for internal consistency (see
/// docs/bundle-format.md). Tensor contents are checked separately, against the weights file.
public struct Manifest: Sendable {
    public static let formatName = "textrnn-bundle"
    /// Version 2 added the optional `bag` branch (over the model input); version 3 made the bag
    /// read the whole text with its weighting options, and added the text pipeline's
    /// `start_token` and `oov_token` (a version 2 reader would misread either). Older bundles
    /// read unchanged, and writers write the lowest version that describes the bundle
    /// (`formatVersion`). Version 4 added the bag's character n-grams and its `l2_blocks` norm.
    /// The newest version is written once, in include/textrnn.h.
    public static let formatVersion = Int(TEXTRNN_BUNDLE_FORMAT_VERSION)
    public static let readableVersions = 1...formatVersion
    public static let manifestFileName = "manifest.json"
    public static let defaultWeightsFileName = "weights.bin"
    /// Every tensor's offset in the weights file is a multiple of this.
    public static let tensorAlignment = 64

    public enum OutputKind: String, Sendable, CaseIterable {
        /// One softmax over the labels: exactly one label per text.
        case softmax
        /// One sigmoid unit: labels[1] with probability p, labels[0] with 1 - p.
        case binarySigmoid = "binary_sigmoid"
        /// One independent sigmoid per label: any number of labels per text.
        case multiLabelSigmoid = "multi_label_sigmoid"
    }

    public enum DType: String, Sendable, CaseIterable {
        case float32, int8

        public var byteCount: Int { self == .float32 ? 4 : 1 }
    }

    public struct TensorEntry: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var offset: Int
        public var length: Int
        /// int8 only: the float32 tensor holding one scale per index along `scaleAxis`.
        public var scales: String?
        public var scaleAxis: Int?

        public init(name: String, dtype: DType, shape: [Int], offset: Int, length: Int, scales: String? = nil, scaleAxis: Int? = nil) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.offset = offset
            self.length = length
            self.scales = scales
            self.scaleAxis = scaleAxis
        }

        public var elementCount: Int { shape.reduce(1, *) }
    }

    public var producer: String
    public var text: TextPipelineConfig
    /// Id order: "" (padding), "[UNK]", then the learned tokens (or ids as `text.oovToken` and
    /// `text.startToken` say). Raw bytes, as matched.
    public var vocabulary: [[UInt8]]
    public var labels: [String]
    public var output: OutputKind
    public var layers: [LayerSpec]
    /// For each layer, weight role ("kernel", "forward/kernel", ...) -> tensor name.
    public var layerWeights: [[String: String]]
    /// The bag-of-n-grams branch beside the layers, added to the last Dense's pre-activation.
    public var bag: BagSpec?
    /// The version this manifest is written as: the oldest that means the same, so readers of
    /// version 2 still take bundles without version 3's features (and refuse those with them):
    /// a bag over the whole text, a start token, another out-of-vocabulary token.
    public var formatVersion: Int {
        if let bag, bag.characters > 0 || bag.norm == .l2Blocks { return 4 }
        return bag?.wholeText == true || text.startToken != nil || text.oovToken != Vocabulary.unknownToken ? 3 : 2
    }
    public var tensors: [TensorEntry]
    public var weightsFile: String
    public var weightsLength: Int
    public var weightsCRC32: UInt32
    /// Free-form: dataset, hyperparameters, metrics, history. Never needed to predict.
    public var training: JSONValue?

    public init(
        producer: String, text: TextPipelineConfig, vocabulary: [[UInt8]], labels: [String],
        output: OutputKind, layers: [LayerSpec], layerWeights: [[String: String]],
        tensors: [TensorEntry], weightsFile: String = Manifest.defaultWeightsFileName,
        weightsLength: Int, weightsCRC32: UInt32, training: JSONValue? = nil, bag: BagSpec? = nil
    ) {
        self.bag = bag
        self.producer = producer
        self.text = text
        self.vocabulary = vocabulary
        self.labels = labels
        self.output = output
        self.layers = layers
        self.layerWeights = layerWeights
        self.tensors = tensors
        self.weightsFile = weightsFile
        self.weightsLength = weightsLength
        self.weightsCRC32 = weightsCRC32
        self.training = training
    }

    /// The weight roles a layer needs, with their expected shapes, given the features it reads.
    /// Returns the roles and the number of features it produces per time step (or in total).
    public static func expectedWeights(of layer: LayerSpec, inputFeatures: Int) -> (roles: [(String, [Int])], outputFeatures: Int) {
        switch layer {
        case .embedding(let inputDim, let outputDim, _):
            return ([("embeddings", [inputDim, outputDim])], outputDim)
        case .recurrent(let spec):
            return (spec.weightShapes(inputDim: inputFeatures), spec.units)
        case .bidirectional(let forward, let backward, let mergeMode):
            let roles = forward.weightShapes(inputDim: inputFeatures).map { ("forward/\($0.role)", $0.shape) }
                + backward.weightShapes(inputDim: inputFeatures).map { ("backward/\($0.role)", $0.shape) }
            return (roles, mergeMode == .concat ? forward.units + backward.units : forward.units)
        case .globalMaxPooling, .globalAveragePooling:
            return ([], inputFeatures)
        case .dense(let units, _):
            return ([("kernel", [inputFeatures, units]), ("bias", [units])], units)
        }
    }
}
