/// manifest.json bytes -> `Manifest`, refusing anything inconsistent with a message that names
/// the field ("manifest.json: layers[1].units: expected an integer in 1...16384").
public enum ManifestParser {
    /// Largest layer width, embedding width and label count accepted.
    public static let maxUnits = 16_384
    public static let maxLabels = 100_000
    public static let maxLayers = 64

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(TextRNNError) -> Manifest {
        let document = try JSONDocument(bytes: bytes, name: Manifest.manifestFileName)
        let root = document.rootNode
        try root.requireObject()

        let format = try root.member("format").string()
        guard format == Manifest.formatName else {
            throw TextRNNError(.invalidBundle, "manifest.json: format: expected \"\(Manifest.formatName)\", not \"\(format)\"")
        }
        let version = try root.member("format_version").int(in: 1...Int(Int32.max))
        guard Manifest.readableVersions.contains(version) else {
            throw TextRNNError(.unsupported, "manifest.json: format_version: \(version) is not supported (this runtime reads \(Manifest.readableVersions.lowerBound) to \(Manifest.readableVersions.upperBound))")
        }
        let producer = root.has("producer") ? try root.member("producer").string() : ""

        let (text, vocabulary) = try parseText(root.member("text"), version: version)
        let labels = try root.member("labels").array().map { node throws(TextRNNError) in try node.string() }
        guard !labels.isEmpty, labels.count <= maxLabels else {
            throw TextRNNError(.invalidBundle, "manifest.json: labels: expected 1...\(maxLabels) labels, found \(labels.count)")
        }
        guard Set(labels).count == labels.count else {
            throw TextRNNError(.invalidBundle, "manifest.json: labels: names must be unique")
        }
        let output = try root.member("output").enumeration(Manifest.OutputKind.self)

        let layerNodes = try root.member("layers").array()
        guard !layerNodes.isEmpty, layerNodes.count <= maxLayers else {
            throw TextRNNError(.invalidBundle, "manifest.json: layers: expected 1...\(maxLayers) layers, found \(layerNodes.count)")
        }
        var layers: [LayerSpec] = []
        var layerWeights: [[String: String]] = []
        for node in layerNodes {
            let (layer, weights) = try parseLayer(node)
            layers.append(layer)
            layerWeights.append(weights)
        }

        let tensors = try root.member("tensors").array().map { node throws(TextRNNError) in try parseTensor(node) }
        let weights = root.member("weights")
        try weights.requireObject()
        let weightsFile = try weights.member("file").string()
        guard !weightsFile.isEmpty, !weightsFile.contains("/"), weightsFile != ".", weightsFile != "..",
            !weightsFile.utf8.contains(0)
        else {
            throw TextRNNError(.invalidBundle, "manifest.json: weights.file: must be a plain file name inside the bundle, not \"\(weightsFile)\"")
        }
        let weightsLength = try weights.member("length").int(in: 0...Int(Int64.max))
        let crcText = try weights.member("crc32").string()
        guard crcText.utf8.count == 8, let crc = UInt32(crcText, radix: 16) else {
            throw TextRNNError(.invalidBundle, "manifest.json: weights.crc32: expected 8 hex digits, not \"\(crcText)\"")
        }
        let training: JSONValue? = root.has("training") ? root.member("training").value() : nil
        var bag: BagSpec? = nil
        if version >= 2 && root.has("bag") {
            let node = root.member("bag")
            try node.requireObject()
            bag = BagSpec(
                unigrams: try node.member("unigrams").int(in: 2...TextLimits.maxVocabularySize),
                bigrams: try node.member("bigrams").int(in: 0...TextLimits.maxVocabularySize), wholeText: version >= 3)
            // Version 3 added the term weighting options (absent: version 2's weighting).
            if version >= 3 {
                if node.has("tf") { bag!.termFrequency = try node.member("tf").enumeration(BagSpec.TermFrequency.self) }
                if node.has("norm") { bag!.norm = try node.member("norm").enumeration(BagSpec.Norm.self) }
                bag!.oovBigrams = try node.member("oov_bigrams").bool(default: false)
            }
            if version < 4 && bag!.norm == .l2Blocks {
                throw TextRNNError(.invalidBundle, "manifest.json: bag.norm: \"l2_blocks\" needs format_version 4, not \(version)")
            }
            // Version 4 added character n-grams.
            if version >= 4 && node.has("char_buckets") {
                bag!.characters = try node.member("char_buckets").int(in: 0...CharacterNgrams.bucketCount)
                let sizes = try node.member("char_ngrams").array()
                guard sizes.count == 2 else {
                    throw TextRNNError(.invalidBundle, "manifest.json: bag.char_ngrams: expected [smallest, largest], not \(sizes.count) values")
                }
                let smallest = try sizes[0].int(in: 1...CharacterNgrams.maxSize)
                bag!.characterSizes = smallest...(try sizes[1].int(in: smallest...CharacterNgrams.maxSize))
            }
        }

        let manifest = Manifest(
            producer: producer, text: text, vocabulary: vocabulary, labels: labels, output: output,
            layers: layers, layerWeights: layerWeights, tensors: tensors, weightsFile: weightsFile,
            weightsLength: weightsLength, weightsCRC32: crc, training: training, bag: bag)
        try ManifestValidator.validate(manifest)
        return manifest
    }

    private static func parseText(_ node: JSONNode, version: Int) throws(TextRNNError) -> (TextPipelineConfig, [[UInt8]]) {
        try node.requireObject()
        var config = TextPipelineConfig()
        config.standardize = try node.member("standardize").enumeration(TextPipelineConfig.Standardize.self)
        config.replaceHTMLBreaks = try node.member("replace_html_breaks").bool(default: false)
        config.split = try node.member("split").enumeration(TextPipelineConfig.Split.self)
        // Version 3 added the special tokens; to older versions these keys were unknown, so ignored.
        if version >= 3 {
            if node.has("start_token") { config.startToken = try node.member("start_token").string() }
            if node.has("oov_token") { config.oovToken = try node.member("oov_token").string() }
        }
        config.ngrams = node.has("ngrams") ? try node.member("ngrams").int(in: 1...3) : 1
        let length = node.member("sequence_length")
        config.sequenceLength = length.isNull ? nil : try length.int(in: 1...TextLimits.maxSequenceLength)
        config.padding = try node.member("padding").enumeration(TextPipelineConfig.Side.self)
        config.truncating = try node.member("truncating").enumeration(TextPipelineConfig.Side.self)
        let entries = try node.member("vocabulary").array()
        guard entries.count <= TextLimits.maxVocabularySize else {
            throw TextRNNError(.limitExceeded, "manifest.json: text.vocabulary: \(entries.count) entries exceed the limit of \(TextLimits.maxVocabularySize)")
        }
        var vocabulary: [[UInt8]] = []
        vocabulary.reserveCapacity(entries.count)
        for entry in entries { vocabulary.append(Array(try entry.stringBytes())) }
        return (config, vocabulary)
    }

    private static func units(_ node: JSONNode, _ key: String) throws(TextRNNError) -> Int {
        try node.member(key).int(in: 1...maxUnits)
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func weightMap(_ node: JSONNode, prefix: String = "") throws(TextRNNError) -> [String: String] {
        let weights = node.member("weights")
        if weights.isNull { return [:] }
        try weights.requireObject()
        var map: [String: String] = [:]
        for role in ["embeddings", "kernel", "recurrent_kernel", "bias"] where weights.has(role) {
            map[prefix + role] = try weights.member(role).string()
        }
        return map
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func parseRecurrent(_ node: JSONNode) throws(TextRNNError) -> RecurrentSpec {
        try node.requireObject()
        let className = try node.member("class").string()
        guard let cell = RecurrentCell(rawValue: className) else {
            throw TextRNNError(.unsupported, "manifest.json: \(node.path).class: unknown recurrent layer \"\(className)\" (expected SimpleRNN, LSTM or GRU)")
        }
        var spec = RecurrentSpec(cell: cell, units: try units(node, "units"))
        if node.has("activation") { spec.activation = try node.member("activation").enumeration(Activation.self) }
        if node.has("recurrent_activation") {
            spec.recurrentActivation = try node.member("recurrent_activation").enumeration(Activation.self)
        }
        spec.returnSequences = try node.member("return_sequences").bool(default: false)
        spec.goBackwards = try node.member("go_backwards").bool(default: false)
        spec.resetAfter = try node.member("reset_after").bool(default: true)
        spec.useBias = try node.member("use_bias").bool(default: true)
        guard spec.activation != .softmax, spec.recurrentActivation != .softmax else {
            throw TextRNNError(.unsupported, "manifest.json: \(node.path): softmax is not a recurrent activation")
        }
        return spec
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func parseLayer(_ node: JSONNode) throws(TextRNNError) -> (LayerSpec, [String: String]) {
        try node.requireObject()
        let className = try node.member("class").string()
        switch className {
        case "Embedding":
            let layer = LayerSpec.embedding(
                inputDim: try node.member("input_dim").int(in: 2...TextLimits.maxVocabularySize),
                outputDim: try units(node, "output_dim"),
                maskZero: try node.member("mask_zero").bool(default: false))
            return (layer, try weightMap(node))
        case "SimpleRNN", "LSTM", "GRU":
            return (.recurrent(try parseRecurrent(node)), try weightMap(node))
        case "Bidirectional":
            let forward = try parseRecurrent(node.member("forward"))
            let backward = try parseRecurrent(node.member("backward"))
            let layer = LayerSpec.bidirectional(
                forward: forward, backward: backward,
                mergeMode: try node.member("merge_mode").enumeration(MergeMode.self))
            let weights = try weightMap(node.member("forward"), prefix: "forward/")
                .merging(try weightMap(node.member("backward"), prefix: "backward/")) { first, _ in first }
            return (layer, weights)
        case "GlobalMaxPooling1D":
            return (.globalMaxPooling(masked: try node.member("masked").bool(default: false)), [:])
        case "GlobalAveragePooling1D":
            return (.globalAveragePooling, [:])
        case "Dense":
            let layer = LayerSpec.dense(
                units: try units(node, "units"),
                activation: node.has("activation") ? try node.member("activation").enumeration(Activation.self) : .linear)
            return (layer, try weightMap(node))
        default:
            throw TextRNNError(.unsupported, "manifest.json: \(node.path).class: unknown layer \"\(className)\"")
        }
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func parseTensor(_ node: JSONNode) throws(TextRNNError) -> Manifest.TensorEntry {
        try node.requireObject()
        let shapeNodes = try node.member("shape").array()
        guard (1...4).contains(shapeNodes.count) else {
            throw TextRNNError(.invalidBundle, "manifest.json: \(node.path).shape: expected 1 to 4 dimensions")
        }
        // A dimension may be 0: a bag with no bigram features has an empty `bag/bigrams`.
        let shape = try shapeNodes.map { dimension throws(TextRNNError) in try dimension.int(in: 0...Int(Int32.max)) }
        var entry = Manifest.TensorEntry(
            name: try node.member("name").string(),
            dtype: try node.member("dtype").enumeration(Manifest.DType.self),
            shape: shape,
            offset: try node.member("offset").int(in: 0...Int(Int64.max)),
            length: try node.member("length").int(in: 0...Int(Int64.max)))
        if node.has("scales") {
            entry.scales = try node.member("scales").string()
            entry.scaleAxis = try node.member("scale_axis").int(in: 0...(shape.count - 1))
        }
        return entry
    }
}
