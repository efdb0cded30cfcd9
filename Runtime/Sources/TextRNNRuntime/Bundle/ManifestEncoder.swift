/// `Manifest` -> the JSON of manifest.json (the inverse of `ManifestParser`).
public enum ManifestEncoder {
    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    public static func json(_ manifest: Manifest) -> JSONValue {
        var text: [(String, JSONValue)] = [
            ("standardize", .string(manifest.text.standardize.rawValue)),
            ("replace_html_breaks", .bool(manifest.text.replaceHTMLBreaks)),
            ("split", .string(manifest.text.split.rawValue)),
            ("ngrams", .int(manifest.text.ngrams)),
            ("sequence_length", manifest.text.sequenceLength.map { .int($0) } ?? .null),
            ("padding", .string(manifest.text.padding.rawValue)),
            ("truncating", .string(manifest.text.truncating.rawValue)),
        ]
        if let start = manifest.text.startToken { text.append(("start_token", .string(start))) }
        if manifest.text.oovToken != Vocabulary.unknownToken { text.append(("oov_token", .string(manifest.text.oovToken))) }
        text.append(("vocabulary", .array(manifest.vocabulary.map { .string(String(decoding: $0, as: UTF8.self)) })))
        var root: [(String, JSONValue)] = [
            ("format", .string(Manifest.formatName)),
            ("format_version", .int(manifest.formatVersion)),
            ("producer", .string(manifest.producer)),
            ("labels", .array(manifest.labels.map { .string($0) })),
            ("output", .string(manifest.output.rawValue)),
            ("layers", .array(manifest.layers.enumerated().map { layer($1, weights: manifest.layerWeights[$0]) })),
            ("tensors", .array(manifest.tensors.map(tensor))),
            ("weights", .object([
                ("file", .string(manifest.weightsFile)),
                ("length", .int(manifest.weightsLength)),
                ("crc32", .string(hex8(manifest.weightsCRC32))),
            ])),
            ("text", .object(text)),
        ]
        if let bag = manifest.bag {
            var members: [(String, JSONValue)] = [("unigrams", .int(bag.unigrams)), ("bigrams", .int(bag.bigrams))]
            if bag.wholeText {
                members += [("tf", .string(bag.termFrequency.rawValue)), ("norm", .string(bag.norm.rawValue)), ("oov_bigrams", .bool(bag.oovBigrams))]
            }
            if bag.characters > 0 {
                members += [("char_ngrams", .array([.int(bag.characterSizes.lowerBound), .int(bag.characterSizes.upperBound)])),
                            ("char_buckets", .int(bag.characters))]
            }
            root.append(("bag", .object(members)))
        }
        if let training = manifest.training { root.append(("training", training)) }
        return .object(root)
    }

    private static func weightsObject(_ weights: [String: String], prefix: String = "") -> (String, JSONValue) {
        let roles = ["embeddings", "kernel", "recurrent_kernel", "bias"]
        return ("weights", .object(roles.compactMap { role in weights[prefix + role].map { (role, .string($0)) } }))
    }

    private static func recurrent(_ spec: RecurrentSpec, weights: [String: String], prefix: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("class", .string(spec.cell.rawValue)),
            ("units", .int(spec.units)),
            ("activation", .string(spec.activation.rawValue)),
        ]
        if spec.cell != .simpleRNN { members.append(("recurrent_activation", .string(spec.recurrentActivation.rawValue))) }
        if spec.cell == .gru { members.append(("reset_after", .bool(spec.resetAfter))) }
        members += [
            ("return_sequences", .bool(spec.returnSequences)),
            ("go_backwards", .bool(spec.goBackwards)),
            ("use_bias", .bool(spec.useBias)),
            weightsObject(weights, prefix: prefix),
        ]
        return .object(members)
    }

    @_optimize(size)  // once per load or write: libtextrnn.so has a size budget (docs/packaging.md)
    private static func layer(_ layer: LayerSpec, weights: [String: String]) -> JSONValue {
        switch layer {
        case .embedding(let inputDim, let outputDim, let maskZero):
            return .object([
                ("class", .string(layer.className)), ("input_dim", .int(inputDim)), ("output_dim", .int(outputDim)),
                ("mask_zero", .bool(maskZero)), weightsObject(weights),
            ])
        case .recurrent(let spec):
            return recurrent(spec, weights: weights, prefix: "")
        case .bidirectional(let forward, let backward, let mergeMode):
            return .object([
                ("class", .string(layer.className)), ("merge_mode", .string(mergeMode.rawValue)),
                ("forward", recurrent(forward, weights: weights, prefix: "forward/")),
                ("backward", recurrent(backward, weights: weights, prefix: "backward/")),
            ])
        case .globalMaxPooling(let masked):
            return .object([("class", .string(layer.className)), ("masked", .bool(masked))])
        case .globalAveragePooling:
            return .object([("class", .string(layer.className))])
        case .dense(let units, let activation):
            return .object([
                ("class", .string(layer.className)), ("units", .int(units)), ("activation", .string(activation.rawValue)),
                weightsObject(weights),
            ])
        }
    }

    private static func tensor(_ entry: Manifest.TensorEntry) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(entry.name)), ("dtype", .string(entry.dtype.rawValue)),
            ("shape", .array(entry.shape.map { .int($0) })), ("offset", .int(entry.offset)), ("length", .int(entry.length)),
        ]
        if let scales = entry.scales, let axis = entry.scaleAxis {
            members += [("scales", .string(scales)), ("scale_axis", .int(axis))]
        }
        return .object(members)
    }
}
