import Dispatch
import Foundation
import TextRNNRuntime

/// Writes int8 versions of bundles (`textrnn quantize`, `textrnn train --quantize`) and measures
/// them against the float model on validation data. The scheme is `Quantization.scheme`; the
/// result goes into the manifest's `training` metadata under `quantization`.
public enum BundleQuantizer {
    /// How the int8 model compares with the float model on validation data.
    public struct Agreement: Sendable {
        public var rows: Int
        public var floatAccuracy: Double
        public var int8Accuracy: Double
        /// Share of rows whose predicted label (label set, for multi-label) is identical.
        public var labelAgreement: Double
        /// Largest |p_int8 - p_float| over every row and label.
        public var maxProbabilityDifference: Double
        public var meanProbabilityDifference: Double
    }

    public struct Result: Sendable {
        public var floatWeightBytes: Int
        public var int8WeightBytes: Int
        public var agreement: Agreement?
    }

    /// Quantizes the bundle at `input` and writes the int8 bundle to `output` (which may equal
    /// `input`). With `validation` (labels named as the bundle's), both models are run on it and
    /// the comparison is recorded in the manifest (`training.quantization`).
    @discardableResult
    public static func quantize(
        bundle input: String, output: String, validation: LabelledDataset? = nil, validationName: String? = nil,
        threads: Int = 2
    ) throws -> Result {
        let (manifest, weights) = try Quantization.readBundle(input)
        if manifest.tensors.contains(where: { $0.dtype == .int8 }) {
            throw TrainingError("\(input): is already int8; quantize the float32 bundle it came from")
        }
        var contents = weights.withUnsafeBytes { Quantization.quantizedContents(manifest: manifest, weights: $0) }
        // Encode once without the comparison so the int8 model can be loaded and measured.
        let (firstManifest, int8Weights) = try BundleWriter.encode(contents)
        var agreement: Agreement? = nil
        if let validation {
            let floatModel = try withBuffers(Array(ManifestEncoder.json(manifest).serialized().utf8), weights) {
                try Model(manifestJSON: $0, weights: $1)
            }
            let int8Model = try withBuffers(firstManifest, int8Weights) { try Model(manifestJSON: $0, weights: $1) }
            agreement = try compare(floatModel: floatModel, int8Model: int8Model, data: validation, threads: threads)
        }
        var info: [(String, TextRNNRuntime.JSONValue)] = [
            ("scheme", .string(Quantization.scheme)),
            ("description", .string("symmetric int8 (-127..127, no zero point); one float32 scale per output unit: per vocabulary row for embeddings, per output column for input, recurrent and dense kernels; biases float32")),
            ("source_weights_bytes", .int(weights.count)),
            ("weights_bytes", .int(int8Weights.count)),
        ]
        if let agreement {
            var validationInfo: [(String, TextRNNRuntime.JSONValue)] = []
            if let validationName { validationInfo.append(("data", .string(validationName))) }
            validationInfo += [
                ("rows", .int(agreement.rows)),
                ("float_accuracy", .double(agreement.floatAccuracy)),
                ("int8_accuracy", .double(agreement.int8Accuracy)),
                ("label_agreement", .double(agreement.labelAgreement)),
                ("max_probability_difference", .double(agreement.maxProbabilityDifference)),
                ("mean_probability_difference", .double(agreement.meanProbabilityDifference)),
            ]
            info.append(("validation", .object(validationInfo)))
        }
        contents.training = Quantization.setting("quantization", .object(info), in: manifest.training)
        try BundleWriter.write(contents, to: output)
        return Result(floatWeightBytes: weights.count, int8WeightBytes: int8Weights.count, agreement: agreement)
    }

    /// Runs both models over `data` (texts shared among `threads` workers) and compares them.
    public static func compare(floatModel: Model, int8Model: Model, data: LabelledDataset, threads: Int = 2) throws -> Agreement {
        let a = try floatModel.probabilities(for: data.texts, threads: threads)
        let b = try int8Model.probabilities(for: data.texts, threads: threads)
        let width = floatModel.labelCount
        let multiLabel = floatModel.manifest.output == .multiLabelSigmoid
        func labels(_ p: [Float], _ row: Int) -> [Int] {
            let values = p[(row * width)..<((row + 1) * width)]
            return multiLabel ? LabelOrder.chosen(values) : [LabelOrder.top(values)]
        }
        var floatCorrect = 0, int8Correct = 0, same = 0
        var maxDifference = 0.0, sumDifference = 0.0
        for row in 0..<data.count {
            let (la, lb) = (labels(a, row), labels(b, row))
            let truth = multiLabel ? data.labelSets[row] : [data.labels[row]]
            if la == truth { floatCorrect += 1 }
            if lb == truth { int8Correct += 1 }
            if la == lb { same += 1 }
            for j in 0..<width {
                let d = Double(abs(a[row * width + j] - b[row * width + j]))
                maxDifference = max(maxDifference, d)
                sumDifference += d
            }
        }
        let n = Double(max(data.count, 1))
        return Agreement(
            rows: data.count, floatAccuracy: Double(floatCorrect) / n, int8Accuracy: Double(int8Correct) / n,
            labelAgreement: Double(same) / n, maxProbabilityDifference: maxDifference,
            meanProbabilityDifference: sumDifference / (n * Double(width)))
    }

    private static func withBuffers<R>(_ a: [UInt8], _ b: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) throws -> R {
        try a.withUnsafeBytes { a in try b.withUnsafeBytes { b in try body(a, b) } }
    }
}
