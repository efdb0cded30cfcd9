import Testing

@testable import TextRNNRuntime

/// An int8 bundle's bag kernel stays int8 in memory (a quarter of the float bytes), and gives
/// the same probabilities, bit for bit, as the same bundle with that kernel widened to float32
/// in the file (Float(q) · scale of its column: what the loader used to hold).
@Suite struct BagInt8Tests {
    /// The character-bag model of CharacterNgramTests, quantized; and the same with the bag
    /// kernel written back as float32.
    static func bundles() throws -> (int8: Model, widened: Model) {
        let (manifest, weights) = try CharacterNgramTests.bundle()
        let parsed = try manifest.withUnsafeBytes { try ManifestParser.parse($0) }
        let quantized = weights.withUnsafeBytes { Quantization.quantizedContents(manifest: parsed, weights: $0) }
        var widened = quantized
        let index = try #require(widened.tensors.firstIndex { $0.name == BagSpec.kernelTensor })
        let (values, scales) = try #require(Self.perColumn(widened.tensors[index].storage), "the bag kernel is not int8 per column")
        let columns = widened.tensors[index].shape[1]
        widened.tensors[index].storage = .float32(values.indices.map { Float(values[$0]) * scales[$0 % columns] })
        let int8Bytes = try BundleWriter.encode(quantized), widenedBytes = try BundleWriter.encode(widened)
        return (try load(int8Bytes.manifest, int8Bytes.weights), try load(widenedBytes.manifest, widenedBytes.weights))
    }

    static func perColumn(_ storage: BundleTensor.Storage) -> (values: [Int8], scales: [Float])? {
        if case .int8(let values, let scales, axis: 1) = storage { return (values, scales) }
        return nil
    }

    @Test func keptInt8AndEqualToTheWidenedKernel() throws {
        let (int8, widened) = try Self.bundles()
        guard case .int8 = try #require(int8.bag).kernel else {
            Issue.record("the int8 bag kernel was widened at load")
            return
        }
        guard case .float = try #require(widened.bag).kernel else {
            Issue.record("a float32 bag kernel should be read as float")
            return
        }
        for text in ["good movie", "bad plot, goodish movie", "goodish", "unknown words only", "", "movie movie movie bad"] {
            #expect(try int8.predict(text: text) == widened.predict(text: text), "\(text)")
        }
    }
}
