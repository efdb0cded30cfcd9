import Foundation
import Testing

@testable import TextRNNRuntime

/// Helpers shared by the suites that feed damaged or hostile bundles to the loader.

/// Loads a bundle from a manifest given as a JSON object and the weights bytes.
func load(_ manifest: [String: Any], _ weights: [UInt8]) throws -> Model {
    let data = try JSONSerialization.data(withJSONObject: manifest)
    return try load(Array(data), weights)
}

/// Loads a bundle from raw manifest bytes (which may be broken JSON) and the weights bytes.
func load(_ manifest: [UInt8], _ weights: [UInt8]) throws -> Model {
    try manifest.withUnsafeBytes { manifest in
        try weights.withUnsafeBytes { weights in try Model(manifestJSON: manifest, weights: weights) }
    }
}

/// The manifest's tensor table.
func tensors(_ manifest: [String: Any]) -> [[String: Any]] { manifest["tensors"] as! [[String: Any]] }

/// `body` must fail with `status` and a message containing `fragment` (the field it names).
func expectFailure(
    _ status: TextRNNError.Status, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Any
) {
    do {
        _ = try body()
        Issue.record("accepted; expected \(status) mentioning \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch let error as TextRNNError {
        #expect(error.status == status, "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "message \"\(error.message)\" should mention \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
