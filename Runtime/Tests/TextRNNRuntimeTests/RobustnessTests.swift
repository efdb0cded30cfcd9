import Foundation
import Glibc
import Testing
import TextRNNTestSupport

@testable import TextRNNRuntime

/// Hostile bundles and hostile text beyond DamagedBundleTests: int8 tensors, allocation limits,
/// special files, deep JSON, and texts that are huge, empty, NUL-filled or not UTF-8
/// (docs/robustness.md lists every case and what the caller gets).
@Suite struct RobustnessTests {
    private func fixtureBundle(_ name: String = "bilstm_lstm_softmax_pre") throws -> BundleContents {
        try KerasModelFixture(contentsOf: KerasFixtures.url("models", name)).bundleContents()
    }

    private func encode(_ contents: BundleContents) throws -> ([String: Any], [UInt8]) {
        let (manifest, weights) = try BundleWriter.encode(contents)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any])
        return (json, weights)
    }

    /// An int8 version of a fixture: the quantizer's output.
    private func int8Bundle() throws -> ([String: Any], [UInt8]) {
        let (manifestBytes, weights) = try BundleWriter.encode(try fixtureBundle())
        let manifest = try manifestBytes.withUnsafeBytes { try ManifestParser.parse($0) }
        let contents = weights.withUnsafeBytes { Quantization.quantizedContents(manifest: manifest, weights: $0) }
        return try encode(contents)
    }

    /// Writes float32 `value` at `offset` and fixes the manifest's CRC-32, so the tensor checks
    /// (not the checksum) must catch it.
    private func poke(_ manifest: inout [String: Any], _ weights: inout [UInt8], offset: Int, _ value: Float) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes in
            for (index, byte) in bytes.enumerated() { weights[offset + index] = byte }
        }
        var info = manifest["weights"] as! [String: Any]
        info["crc32"] = hex8(CRC32.checksum(weights))
        manifest["weights"] = info
    }

    // MARK: int8 tensors

    @Test func int8BundleLoads() throws {
        let (manifest, weights) = try int8Bundle()
        #expect(tensors(manifest).contains { $0["dtype"] as? String == "int8" })
        #expect(try load(manifest, weights).predict(text: "a film").count == 3)
    }

    @Test(arguments: [Float(0), -1, .nan, .infinity, -.infinity])
    func int8ScalesMustBeFiniteAndPositive(_ scale: Float) throws {
        var (manifest, weights) = try int8Bundle()
        let scales = try #require(tensors(manifest).first { ($0["name"] as! String).hasSuffix(":scales") })
        poke(&manifest, &weights, offset: scales["offset"] as! Int, scale)
        let name = scales["name"] as! String
        expectFailure(.invalidBundle, name) { try load(manifest, weights) }
    }

    @Test func int8TensorNeedsScales() throws {
        var (manifest, weights) = try int8Bundle()
        var table = tensors(manifest)
        let index = try #require(table.firstIndex { $0["dtype"] as? String == "int8" })
        table[index].removeValue(forKey: "scales")
        table[index].removeValue(forKey: "scale_axis")
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "needs \"scales\"") { try load(manifest, weights) }
    }

    @Test func int8ScalesMustBeAMatchingFloatTensor() throws {
        var (manifest, weights) = try int8Bundle()
        var table = tensors(manifest)
        let index = try #require(table.firstIndex { $0["dtype"] as? String == "int8" })
        let other = try #require(table.firstIndex { $0["dtype"] as? String == "int8" && $0["name"] as? String != table[index]["name"] as? String })
        table[index]["scales"] = table[other]["name"]  // an int8 tensor, not float32 scales
        manifest["tensors"] = table
        expectFailure(.invalidBundle, ".scales") { try load(manifest, weights) }
        table = tensors(try int8Bundle().0)
        table[index]["scales"] = "no such tensor"
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "no such tensor") { try load(manifest, weights) }
    }

    @Test func int8ScaleAxisOutOfRange() throws {
        var (manifest, weights) = try int8Bundle()
        var table = tensors(manifest)
        let index = try #require(table.firstIndex { $0["dtype"] as? String == "int8" })
        table[index]["scale_axis"] = 2
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "scale_axis") { try load(manifest, weights) }
    }

    @Test func floatTensorWithScalesIsRefused() throws {
        var (manifest, weights) = try encode(try fixtureBundle())
        var table = tensors(manifest)
        table[0]["scales"] = table[1]["name"]
        table[0]["scale_axis"] = 0
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "float32 tensors have no scales") { try load(manifest, weights) }
    }

    // MARK: allocation limits

    /// Embedding(4 x 300) -> GlobalAveragePooling1D -> Dense(2, softmax): 602 scratch floats per
    /// step, so at most 2^28 / 602 = 445,903 steps.
    private func wideBundle(sequenceLength: Int?) -> BundleContents {
        let dim = 300
        return BundleContents(
            text: TextPipelineConfig(sequenceLength: sequenceLength), vocabulary: [[], Array("[UNK]".utf8), Array("a".utf8)],
            labels: ["no", "yes"], output: .softmax,
            layers: [.embedding(inputDim: 4, outputDim: dim, maskZero: false), .globalAveragePooling, .dense(units: 2, activation: .softmax)],
            tensors: [
                BundleTensor(name: "0/embeddings", shape: [4, dim], values: (0..<(4 * dim)).map { Float($0 % 7) / 10 }),
                BundleTensor(name: "2/kernel", shape: [dim, 2], values: (0..<(2 * dim)).map { Float($0 % 5) / 100 }),
                BundleTensor(name: "2/bias", shape: [2], values: [0, 0.1]),
            ])
    }

    @Test func sequenceLengthTimesWidthIsBounded() throws {
        #expect(ManifestValidator.scratchFloatsPerStep(wideBundle(sequenceLength: nil).layers) == 602)
        expectFailure(.limitExceeded, "text.sequence_length") { try BundleWriter.encode(wideBundle(sequenceLength: 500_000)) }
        var (manifest, weights) = try encode(wideBundle(sequenceLength: 8))
        var text = manifest["text"] as! [String: Any]
        text["sequence_length"] = 1 << 20
        manifest["text"] = text
        expectFailure(.limitExceeded, "text.sequence_length") { try load(manifest, weights) }
    }

    @Test func tokenCountIsBoundedPerModel() throws {
        let (manifest, weights) = try encode(wideBundle(sequenceLength: nil))
        let model = try load(manifest, weights)
        #expect(model.maxSteps == (1 << 28) / 602)
        // A text with more tokens than the model's limit: an error, not a multi-GiB allocation.
        let text = String(repeating: "a ", count: model.maxSteps + 1)
        expectFailure(.limitExceeded, "token ids exceed this model's limit") { try model.predict(text: text) }
        #expect(try model.predict(text: String(repeating: "a ", count: 1000)).count == 2)
    }

    @Test func tensorElementCountIsBounded() throws {
        var (manifest, weights) = try encode(try fixtureBundle())
        var table = tensors(manifest)
        table[0]["shape"] = [65536, 65536, 2]
        manifest["tensors"] = table
        expectFailure(.limitExceeded, "elements") { try load(manifest, weights) }
    }

    @Test func tooManyLabelsAndLayers() throws {
        var (manifest, weights) = try encode(try fixtureBundle())
        manifest["labels"] = (0...ManifestParser.maxLabels).map { "l\($0)" }
        expectFailure(.invalidBundle, "labels") { try load(manifest, weights) }
        (manifest, weights) = try encode(try fixtureBundle())
        manifest["layers"] = Array(repeating: (manifest["layers"] as! [Any])[0], count: ManifestParser.maxLayers + 1)
        expectFailure(.invalidBundle, "layers") { try load(manifest, weights) }
    }

    @Test func unitsBeyondTheLimitNameTheField() throws {
        var (manifest, weights) = try encode(try fixtureBundle())
        var layers = manifest["layers"] as! [[String: Any]]
        layers[layers.count - 1]["units"] = ManifestParser.maxUnits + 1
        manifest["layers"] = layers
        expectFailure(.invalidBundle, "units") { try load(manifest, weights) }
    }

    @Test func deeplyNestedJSONIsRefused() throws {
        let (manifest, weights) = try encode(try fixtureBundle())
        var bytes = Array(try JSONSerialization.data(withJSONObject: manifest))
        bytes.removeLast()  // the closing brace
        bytes += Array(", \"training\": ".utf8) + Array(repeating: UInt8(ascii: "["), count: 100)
            + Array(repeating: UInt8(ascii: "]"), count: 100) + Array("}".utf8)
        expectFailure(.invalidBundle, "JSON") {
            try bytes.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        }
    }

    @Test func trailingGarbage() throws {
        let (manifest, weights) = try encode(try fixtureBundle())
        let bytes = Array(try JSONSerialization.data(withJSONObject: manifest)) + Array(" x".utf8)
        expectFailure(.invalidBundle, "bad JSON") {
            try bytes.withUnsafeBytes { m in try weights.withUnsafeBytes { w in try Model(manifestJSON: m, weights: w) } }
        }
    }

    // MARK: special files

    private func bundleDirectory(_ contents: BundleContents) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("robustness-\(UUID().uuidString).textrnn").path
        try BundleWriter.write(contents, to: directory)
        return directory
    }

    @Test func weightsFileThatIsAFIFODoesNotHang() throws {
        let directory = try bundleDirectory(try fixtureBundle())
        defer { try? FileManager.default.removeItem(atPath: directory) }
        unlink(directory + "/weights.bin")
        #expect(mkfifo(directory + "/weights.bin", 0o644) == 0)
        expectFailure(.io, "not a regular file") { try Model(bundlePath: directory) }
    }

    @Test func manifestThatIsADirectoryOrFIFO() throws {
        let directory = try bundleDirectory(try fixtureBundle())
        defer { try? FileManager.default.removeItem(atPath: directory) }
        unlink(directory + "/manifest.json")
        #expect(mkfifo(directory + "/manifest.json", 0o644) == 0)
        expectFailure(.io, "not a regular file") { try Model(bundlePath: directory) }
        unlink(directory + "/manifest.json")
        #expect(mkdir(directory + "/manifest.json", 0o755) == 0)
        expectFailure(.io, "manifest.json") { try Model(bundlePath: directory) }
    }

    @Test func weightsSymlinkToADevice() throws {
        let directory = try bundleDirectory(try fixtureBundle())
        defer { try? FileManager.default.removeItem(atPath: directory) }
        unlink(directory + "/weights.bin")
        #expect(symlink("/dev/zero", directory + "/weights.bin") == 0)
        expectFailure(.io, "not a regular file") { try Model(bundlePath: directory) }
    }

    // MARK: hostile text

    @Test func hostileTexts() throws {
        let (manifest, weights) = try encode(try fixtureBundle())
        let model = try load(manifest, weights)
        let scratch = PredictionScratch()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let random = (0..<(10 << 20)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let cases: [[UInt8]] = [
            [], [0], Array(repeating: 0, count: 4096), [0xFF, 0xFE, 0xC3], Array("a\u{0}b c\u{0}".utf8), random,
            Array(repeating: UInt8(ascii: "a"), count: 10 << 20), Array(String(repeating: "a ", count: 5 << 20).utf8),
            Array(String(repeating: "<br />", count: 100_000).utf8),
        ]
        var probabilities = [Float](repeating: -1, count: model.labelCount)
        for text in cases {
            try text.withUnsafeBufferPointer { text in
                try probabilities.withUnsafeMutableBufferPointer { output in
                    try model.predict(text: text, into: output, scratch: scratch)
                }
            }
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4, "softmax sums to 1 for a text of \(text.count) bytes")
        }
        // Over the limit: an error before anything is allocated for it.
        let tooLong = UnsafeMutablePointer<UInt8>.allocate(capacity: TextLimits.maxTextBytes + 1)
        defer { tooLong.deallocate() }
        tooLong.initialize(repeating: 0x61, count: TextLimits.maxTextBytes + 1)
        expectFailure(.limitExceeded, "exceeds the limit") {
            try probabilities.withUnsafeMutableBufferPointer { output in
                try model.predict(text: UnsafeBufferPointer(start: tooLong, count: TextLimits.maxTextBytes + 1), into: output, scratch: scratch)
            }
        }
    }
}
