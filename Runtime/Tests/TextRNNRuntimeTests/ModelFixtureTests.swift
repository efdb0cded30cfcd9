import Foundation
import Testing
import TextRNNTestSupport

@testable import TextRNNRuntime

/// Each Keras model fixture becomes a bundle (through the writer the trainer uses), is loaded
/// back, and must reproduce Keras's probabilities on the fixture's token ids within 1e-5, at
/// every kernel level.
@Suite struct ModelFixtureTests {
    @Test(arguments: KerasFixtures.cases("models"))
    func reproducesKerasProbabilities(_ name: String) throws {
        let fixture = try KerasModelFixture(contentsOf: KerasFixtures.url("models", name))
        let (manifest, weights) = try BundleWriter.encode(fixture.bundleContents())
        // A model per level: its projection tables fill at the level in use.
        try atEveryKernelLevel { level in
            let model = try manifest.withUnsafeBytes { manifest in
                try weights.withUnsafeBytes { weights in try Model(manifestJSON: manifest, weights: weights) }
            }
            #expect(fixture.tokenIDs.count == 4)
            let scratch = PredictionScratch()
            for (row, ids) in fixture.tokenIDs.enumerated() {
                var probabilities = [Float](repeating: -1, count: model.labelCount)
                try ids.withUnsafeBufferPointer { ids in
                    try probabilities.withUnsafeMutableBufferPointer { output in
                        try model.predict(tokenIDs: ids, into: output, scratch: scratch)
                    }
                }
                let expected = fixture.probabilities[row]
                let actual = fixture.output == .binarySigmoid ? [Double(probabilities[1])] : probabilities.map(Double.init)
                #expect(actual.count == expected.count)
                for (a, e) in zip(actual, expected) {
                    #expect(close(a, e), "\(name) [\(level)] row \(row): \(actual) vs Keras \(expected)")
                }
            }
        }
    }

    @Test func bundleRoundTripsThroughDisk() throws {
        let fixture = try KerasModelFixture(contentsOf: KerasFixtures.url("models", "bilstm_lstm_softmax_post"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textrnn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.textrnn").path
        try BundleWriter.write(fixture.bundleContents(), to: path)
        try BundleWriter.write(fixture.bundleContents(), to: path)  // replacing an existing bundle
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files == ["model.textrnn"], "no temporary directories left behind")
        let model = try Model(bundlePath: path)
        #expect(model.labels == ["0", "1", "2"])
        let viaManifestPath = try Model(bundlePath: path + "/manifest.json")
        #expect(viaManifestPath.labelCount == 3)
        // The manifest reads back to the same manifest it was written from.
        let written = try Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json"))
        let reparsed = try written.withUnsafeBytes { try ManifestParser.parse($0) }
        #expect(reparsed.layers == fixture.layers)
        #expect(ManifestEncoder.json(reparsed).serialized() == String(decoding: written, as: UTF8.self))
    }
}
