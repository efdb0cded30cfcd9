import ArgumentParser
import Foundation
import TextRNNRuntime
import TextRNNTrainer

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 version of a bundle (symmetric int8, one float scale per output unit).",
        discussion: """
            Embeddings (per vocabulary row), input, recurrent and dense kernels (per output unit) become \
            int8; biases stay float32. With --validation, the float and int8 models are both run on that \
            data and their accuracy and agreement are printed and recorded in the manifest \
            (training.quantization).
            """)

    @Argument(help: "The float bundle directory.") var bundle: String
    @Option(help: "Where to write the int8 bundle (a directory, conventionally NAME.textrnn).") var output: String
    @Option(help: "Labelled data to compare the int8 model with the float model on.") var validation: String?
    @OptionGroup var threads: ThreadsOption
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        do { try OutputCheck.bundle(output) } catch { throw failure(error.message) }
        var dataset: LabelledDataset? = nil
        if let validation {
            let model = try loadModel(bundle)
            dataset = try DatasetLoader.load(validation, options: try dataOptions.datasetOptions(), labelMap: LabelMap(names: model.labels))
        }
        let result: BundleQuantizer.Result
        do {
            result = try BundleQuantizer.quantize(bundle: bundle, output: output, validation: dataset, validationName: validation, threads: threads.workers)
        } catch let error as TextRNNError { throw failure(error.message) }
        let ratio = Double(result.int8WeightBytes) / Double(max(result.floatWeightBytes, 1))
        if json {
            var fields: [(String, JSONValue)] = [
                ("output", .string(output)), ("float_weights_bytes", .int(result.floatWeightBytes)),
                ("int8_weights_bytes", .int(result.int8WeightBytes)), ("size_ratio", .double(ratio)),
            ]
            if let a = result.agreement {
                fields += [
                    ("rows", .int(a.rows)), ("float_accuracy", .double(a.floatAccuracy)), ("int8_accuracy", .double(a.int8Accuracy)),
                    ("label_agreement", .double(a.labelAgreement)), ("max_probability_difference", .double(a.maxProbabilityDifference)),
                    ("mean_probability_difference", .double(a.meanProbabilityDifference)),
                ]
            }
            print(JSONValue.object(fields).rendered(indent: 2))
        } else {
            print(String(format: "wrote %@: weights %d bytes (%.1f%% of %d)", output, result.int8WeightBytes, 100 * ratio, result.floatWeightBytes))
            if let a = result.agreement {
                print(String(format: "validation (%d rows): accuracy float %.4f, int8 %.4f (%+.2f pp); identical labels %.4f; max |Δp| %.5f, mean |Δp| %.6f",
                             a.rows, a.floatAccuracy, a.int8Accuracy, 100 * (a.int8Accuracy - a.floatAccuracy), a.labelAgreement,
                             a.maxProbabilityDifference, a.meanProbabilityDifference))
            }
        }
    }
}
