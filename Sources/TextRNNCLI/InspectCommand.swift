import ArgumentParser
import TextRNNRuntime
import TextRNNTrainer

/// `textrnn inspect BUNDLE`: a Keras-style summary of a bundle.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a bundle: layers, parameters, labels, text pipeline, training metrics."
    )

    @Argument(help: "The bundle directory (NAME.textrnn) or its manifest.json.")
    var bundle: String

    @Flag(help: "Print the summary as JSON (the training record as stored in the manifest).")
    var json = false

    func run() throws {
        let model = try loadModel(bundle)
        let summary = BundleSummary(model: model)
        var text = json ? summary.json().serialized() : summary.text(bundle: bundle)
        writeOut(&text)
    }
}

/// What `inspect` reports, computed from a loaded model.
struct BundleSummary {
    /// The text's width: an 80-column terminal's, less the last column.
    static let width = 79
    struct Row {
        var name: String
        var type: String
        var detail: String
        var shape: [Int?]  // nil = None
        var parameters: Int
    }

    let model: Model
    let rows: [Row]

    init(model: Model) {
        self.model = model
        let manifest = model.manifest
        var rows: [Row] = []
        var seen: [String: Int] = [:]
        var steps: Int? = manifest.text.sequenceLength
        var features = 0
        var isSequence = true
        for layer in manifest.layers {
            let base = BundleSummary.kerasName(layer.className)
            let ordinal = seen[base, default: 0]
            seen[base] = ordinal + 1
            let name = ordinal == 0 ? base : "\(base)_\(ordinal)"
            var detail = ""
            var parameters = 0
            switch layer {
            case .embedding(let inputDim, let outputDim, let maskZero):
                parameters = inputDim * outputDim
                features = outputDim
                detail = "input_dim=\(inputDim)" + (maskZero ? ", mask_zero" : "")
            case .recurrent(let spec):
                parameters = BundleSummary.parameters(spec, inputDim: features)
                features = spec.units
                isSequence = spec.returnSequences
                detail = BundleSummary.describe(spec)
            case .bidirectional(let forward, let backward, let mergeMode):
                parameters = BundleSummary.parameters(forward, inputDim: features)
                    + BundleSummary.parameters(backward, inputDim: features)
                features = mergeMode == .concat ? forward.units + backward.units : forward.units
                isSequence = forward.returnSequences
                detail = "\(forward.cell.rawValue)(\(BundleSummary.describe(forward))), merge_mode=\(mergeMode.rawValue)"
            case .globalMaxPooling(let masked):
                isSequence = false
                detail = masked ? "masked" : "unmasked"
            case .globalAveragePooling:
                isSequence = false
            case .dense(let units, let activation):
                parameters = features * units + units
                features = units
                detail = "activation=\(activation.rawValue)"
            }
            if !isSequence { steps = nil }
            rows.append(Row(
                name: name, type: layer.className, detail: detail,
                shape: isSequence ? [nil, steps, features] : [nil, features], parameters: parameters))
        }
        if let bag = manifest.bag, case .dense(let units, _)? = manifest.layers.last {
            // Beside the layers: its output joins the last Dense's pre-activation.
            rows.append(Row(
                name: "bag", type: "BagOfNgrams", detail: Self.bagDetail(bag),
                shape: [nil, units], parameters: bag.features * units))
        }
        self.rows = rows
    }

    /// The bag row's detail: its features, weighting and what it reads.
    static func bagDetail(_ bag: BagSpec) -> String {
        let tf = bag.termFrequency == .sublinear ? "sublinear tf" : "count tf"
        let norm = bag.norm == .l2 ? ", L2" : bag.norm == .l2Blocks ? ", L2 per block (words, characters)" : ""
        let oov = bag.oovBigrams ? ", unknown bigrams as OOV" : ""
        let reads = bag.wholeText ? "the whole text" : "the truncated sequence"
        let characters = bag.characters == 0 ? ""
            : " + \(bag.characters) character \(bag.characterSizes.lowerBound)-\(bag.characterSizes.upperBound)-gram buckets"
        return "\(tf)-idf of \(bag.unigrams) ids + \(bag.bigrams) id bigrams\(characters) over \(reads)\(norm)\(oov), into the last Dense"
    }

    /// Keras's default layer name: "LSTM" -> "lstm", "GlobalMaxPooling1D" -> "global_max_pooling1d".
    static func kerasName(_ className: String) -> String {
        switch className {
        case "LSTM": return "lstm"
        case "GRU": return "gru"
        case "SimpleRNN": return "simple_rnn"
        default:
            var result = ""
            for character in className {
                // "1D" stays one word: Keras names GlobalMaxPooling1D global_max_pooling1d.
                if character.isUppercase && !result.isEmpty && !(result.last?.isNumber ?? false) { result += "_" }
                result += character.lowercased()
            }
            return result
        }
    }

    static func parameters(_ spec: RecurrentSpec, inputDim: Int) -> Int {
        spec.weightShapes(inputDim: inputDim).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    static func describe(_ spec: RecurrentSpec) -> String {
        var parts = ["units=\(spec.units)"]
        if spec.activation != .tanh { parts.append("activation=\(spec.activation.rawValue)") }
        if spec.cell != .simpleRNN && spec.recurrentActivation != .sigmoid {
            parts.append("recurrent_activation=\(spec.recurrentActivation.rawValue)")
        }
        if spec.returnSequences { parts.append("return_sequences") }
        if spec.goBackwards { parts.append("go_backwards") }
        if spec.cell == .gru && !spec.resetAfter { parts.append("reset_after=false") }
        if !spec.useBias { parts.append("use_bias=false") }
        return parts.joined(separator: ", ")
    }

    static func shapeText(_ shape: [Int?]) -> String {
        "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
    }

    var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }

    /// Tensor count and bytes per dtype.
    var dtypeMix: [(dtype: Manifest.DType, tensors: Int, bytes: Int)] {
        Manifest.DType.allCases.compactMap { dtype in
            let tensors = model.manifest.tensors.filter { $0.dtype == dtype }
            return tensors.isEmpty ? nil : (dtype, tensors.count, tensors.reduce(0) { $0 + $1.length })
        }
    }

    func text(bundle: String) -> String {
        let manifest = model.manifest
        var out = ""
        /// A line of the text, wrapped at words to `width`, continued indented.
        func add(_ line: String) { out += wordWrapped(line, head: "", indent: "    ", width: Self.width).joined(separator: "\n") + "\n" }
        add("Model: \"\(bundle)\" (produced by \(manifest.producer))")
        // Keras's summary columns, at least 79 characters wide; each layer's configuration on the
        // lines under it, wrapped, so that the table fits an 80-column terminal.
        let headers = ["Layer (type)", "Output Shape", "Param #"]
        let cells = rows.map { row in ["\(row.name) (\(row.type))", BundleSummary.shapeText(row.shape), row.parameters.grouped] }
        var widths = headers.map(\.count)
        for line in cells { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        widths[0] += max(0, Self.width - (widths.reduce(0, +) + 2 * (widths.count - 1) + 1))
        let width = widths.reduce(0, +) + 2 * (widths.count - 1) + 1
        func format(_ line: [String]) -> String {
            " " + line[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + line[1].padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: widths[2] - line[2].count) + line[2] + "\n"
        }
        out += String(repeating: "_", count: width) + "\n"
        out += format(headers)
        out += String(repeating: "=", count: width) + "\n"
        for (index, line) in cells.enumerated() {
            out += format(line)
            if !rows[index].detail.isEmpty { out += wordWrapped(rows[index].detail, indent: "   ", width: width).joined(separator: "\n") + "\n" }
            if index < cells.count - 1 { out += String(repeating: "_", count: width) + "\n" }
        }
        out += String(repeating: "=", count: width) + "\n"
        add("Total params: \(totalParameters.grouped) (\(byteText(totalParameters * 4, exact: false)) as float32)")
        out += String(repeating: "_", count: width) + "\n"
        add("Labels (\(model.labelCount)): \(model.labels.joined(separator: ", "))")
        add("Output: \(manifest.output.rawValue)")
        if model.skipsNetwork {
            add("Prediction: the last Dense kernel is all zeros (the network got no weight), so only the bag and the bias are computed")
        }
        let vocabulary = model.pipeline.vocabulary
        let start = vocabulary.startID.map { ", id \($0) = start token" } ?? ""
        add("Vocabulary: \(vocabulary.count.grouped) entries (id 0 = padding, id \(vocabulary.oovID) = \(vocabulary.token(Int(vocabulary.oovID)))\(start)); embedding rows: \(model.embeddingRows.grouped)")
        let text = manifest.text
        add("Text pipeline: standardize=\(text.standardize.rawValue), replace_html_breaks=\(text.replaceHTMLBreaks), split=\(text.split.rawValue)\(text.startToken.map { ", start_token=\($0)" } ?? ""), ngrams=\(text.ngrams), sequence_length=\(text.sequenceLength.map(String.init) ?? "none"), padding=\(text.padding.rawValue), truncating=\(text.truncating.rawValue)")
        let mix = dtypeMix.map { "\($0.tensors) \($0.dtype.rawValue) tensors (\(byteText($0.bytes, exact: false)))" }.joined(separator: ", ")
        add("Weights: \(manifest.weightsFile), \(byteText(manifest.weightsLength)), CRC-32 \(hex(manifest.weightsCRC32)); \(mix)")
        if let training = manifest.training {
            out += "Training:\n" + TrainingSummary.text(training)
        } else {
            out += "Training: (none recorded)\n"
        }
        return out
    }

    func json() -> JSONValue {
        let manifest = model.manifest
        let text = manifest.text
        return .object([
            ("producer", .string(manifest.producer)),
            ("layers", .array(rows.map { row in
                .object([
                    ("name", .string(row.name)), ("class", .string(row.type)),
                    ("output_shape", .array(row.shape.map { $0.map(JSONValue.int) ?? .null })),
                    ("params", .int(row.parameters)), ("config", .string(row.detail)),
                ])
            })),
            ("total_params", .int(totalParameters)),
            ("labels", .array(model.labels.map(JSONValue.string))),
            ("output", .string(manifest.output.rawValue)),
            ("skips_network", .bool(model.skipsNetwork)),
            ("vocabulary_size", .int(model.pipeline.vocabulary.count)),
            ("text", .object([
                ("standardize", .string(text.standardize.rawValue)),
                ("replace_html_breaks", .bool(text.replaceHTMLBreaks)),
                ("split", .string(text.split.rawValue)),
                ("start_token", text.startToken.map(JSONValue.string) ?? .null),
                ("oov_token", .string(text.oovToken)),
                ("ngrams", .int(text.ngrams)),
                ("sequence_length", text.sequenceLength.map(JSONValue.int) ?? .null),
                ("padding", .string(text.padding.rawValue)),
                ("truncating", .string(text.truncating.rawValue)),
            ])),
            ("weights", .object([
                ("file", .string(manifest.weightsFile)),
                ("bytes", .int(manifest.weightsLength)),
                ("crc32", .string(hex(manifest.weightsCRC32))),
                ("dtypes", .object(dtypeMix.map { ($0.dtype.rawValue, .object([("tensors", .int($0.tensors)), ("bytes", .int($0.bytes))])) })),
            ])),
            ("training", manifest.training ?? .null),
        ])
    }
}

func byteText(_ bytes: Int, exact: Bool = true) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes) / 1024
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    let rounded = (value * 10).rounded() / 10
    return exact ? "\(rounded) \(units[unit]) (\(bytes.grouped) bytes)" : "\(rounded) \(units[unit])"
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
