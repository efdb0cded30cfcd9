import Foundation
import Testing
import TextRNNTestSupport

@testable import TextRNNRuntime

/// A bundle from elsewhere is never trusted: each kind of damage gives a status and a message
/// naming what is wrong, never a crash.
@Suite struct DamagedBundleTests {
    /// A valid bundle's manifest (as a mutable JSON object) and weights.
    private func validBundle() throws -> ([String: Any], [UInt8]) {
        let fixture = try KerasModelFixture(contentsOf: KerasFixtures.url("models", "bilstm_lstm_softmax_pre"))
        let (manifest, weights) = try BundleWriter.encode(fixture.bundleContents())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any])
        return (json, weights)
    }

    @Test func validBundleLoads() throws {
        let (manifest, weights) = try validBundle()
        #expect(try load(manifest, weights).labelCount == 3)
    }

    @Test func truncatedWeights() throws {
        let (manifest, weights) = try validBundle()
        expectFailure(.invalidBundle, "truncated") { try load(manifest, Array(weights.dropLast(100))) }
    }

    @Test func checksumMismatch() throws {
        let (manifest, weights) = try validBundle()
        var damaged = weights
        damaged[damaged.count / 2] ^= 0x40
        expectFailure(.invalidBundle, "checksum mismatch") { try load(manifest, damaged) }
    }

    @Test func offsetOutOfRange() throws {
        var (manifest, weights) = try validBundle()
        var table = tensors(manifest)
        table[1]["offset"] = (weights.count / 64 + 1000) * 64
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "out of range") { try load(manifest, weights) }
    }

    @Test func hugeOffsetDoesNotOverflow() throws {
        var (manifest, weights) = try validBundle()
        var table = tensors(manifest)
        table[1]["offset"] = Int64.max - 63
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "tensors[1]") { try load(manifest, weights) }
    }

    @Test func shapeLengthMismatch() throws {
        var (manifest, weights) = try validBundle()
        var table = tensors(manifest)
        var shape = table[0]["shape"] as! [Int]
        shape[1] += 1
        table[0]["shape"] = shape
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "do not match shape") { try load(manifest, weights) }
    }

    @Test func shapeDisagreesWithLayer() throws {
        var (manifest, weights) = try validBundle()
        var table = tensors(manifest)
        // Same byte length, transposed shape: the table is consistent but the layer is not.
        let shape = table[1]["shape"] as! [Int]
        table[1]["shape"] = [shape[1], shape[0]]
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "expected [") { try load(manifest, weights) }
    }

    @Test func misalignedAndOverlappingTensors() throws {
        var (manifest, weights) = try validBundle()
        var table = tensors(manifest)
        table[1]["offset"] = (table[1]["offset"] as! Int) + 4
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "not a multiple of 64") { try load(manifest, weights) }
        table[1]["offset"] = table[0]["offset"]
        manifest["tensors"] = table
        expectFailure(.invalidBundle, "overlap") { try load(manifest, weights) }
    }

    @Test func unknownLayer() throws {
        var (manifest, weights) = try validBundle()
        var layers = manifest["layers"] as! [[String: Any]]
        layers[2]["class"] = "Conv1D"
        manifest["layers"] = layers
        expectFailure(.unsupported, "unknown layer \"Conv1D\"") { try load(manifest, weights) }
    }

    @Test func badJSON() throws {
        let (manifest, weights) = try validBundle()
        let data = Array(try JSONSerialization.data(withJSONObject: manifest))
        expectFailure(.invalidBundle, "bad JSON") { try load(Array(data.dropLast(7)), weights) }
        expectFailure(.invalidBundle, "bad JSON") { try load(data + Array("}".utf8), weights) }
        expectFailure(.invalidBundle, "empty") { try load([], weights) }
    }

    @Test func wrongTypesNameTheField() throws {
        var (manifest, weights) = try validBundle()
        var layers = manifest["layers"] as! [[String: Any]]
        layers[3]["units"] = "eight"
        manifest["layers"] = layers
        expectFailure(.invalidBundle, "layers[3].units") { try load(manifest, weights) }
        layers[3]["units"] = -8
        manifest["layers"] = layers
        expectFailure(.invalidBundle, "layers[3].units") { try load(manifest, weights) }
    }

    @Test func labelsMustMatchOutputUnits() throws {
        var (manifest, weights) = try validBundle()
        manifest["labels"] = ["a", "b"]
        expectFailure(.invalidBundle, "one unit per label") { try load(manifest, weights) }
    }

    @Test func vocabularyLargerThanEmbedding() throws {
        var (manifest, weights) = try validBundle()
        var text = manifest["text"] as! [String: Any]
        text["vocabulary"] = (text["vocabulary"] as! [String]) + ["extra1", "extra2"]
        manifest["text"] = text
        expectFailure(.invalidBundle, "Embedding has only") { try load(manifest, weights) }
    }

    @Test func nonFiniteWeights() throws {
        var (manifest, weights) = try validBundle()
        let offset = tensors(manifest)[0]["offset"] as! Int
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { weights.replaceSubrange(offset..<offset + 4, with: $0) }
        var info = manifest["weights"] as! [String: Any]
        let crc = CRC32.checksum(weights)
        info["crc32"] = String(repeating: "0", count: 8 - String(crc, radix: 16).count) + String(crc, radix: 16)
        manifest["weights"] = info
        expectFailure(.invalidBundle, "non-finite") { try load(manifest, weights) }
    }

    @Test func weightsFileMustStayInsideTheBundle() throws {
        var (manifest, weights) = try validBundle()
        var info = manifest["weights"] as! [String: Any]
        info["file"] = "../../etc/passwd"
        manifest["weights"] = info
        expectFailure(.invalidBundle, "plain file name") { try load(manifest, weights) }
    }

    @Test func newerFormatVersionIsRefused() throws {
        var (manifest, weights) = try validBundle()
        manifest["format_version"] = Manifest.formatVersion + 1
        expectFailure(.unsupported, "format_version") { try load(manifest, weights) }
    }

    @Test func missingBundleDirectory() {
        expectFailure(.io, "/nonexistent/model.textrnn/manifest.json") { try Model(bundlePath: "/nonexistent/model.textrnn") }
    }

    @Test func outOfRangeTokenIDsAreRejected() throws {
        let (manifest, weights) = try validBundle()
        let model = try load(manifest, weights)
        var probabilities = [Float](repeating: 0, count: 3)
        for ids: [Int32] in [[5, 30], [-1]] {
            #expect(throws: TextRNNError.self) {
                try ids.withUnsafeBufferPointer { ids in
                    try probabilities.withUnsafeMutableBufferPointer { try model.predict(tokenIDs: ids, into: $0, scratch: PredictionScratch()) }
                }
            }
        }
    }
}
