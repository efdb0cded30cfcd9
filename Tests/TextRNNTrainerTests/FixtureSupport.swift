import Foundation
import Testing
import TextRNNRuntime
import TextRNNTestSupport
@testable import TextRNNTrainer

/// |a − b| ≤ atol + rtol·|b| elementwise (b = Keras reference). Records one issue per mismatching
/// tensor, naming the worst element, so a failure says where and by how much.
@discardableResult
func expectMatchesKeras(
    _ actual: [Float], _ expected: [Double], atol: Double = 1e-6, rtol: Double = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return false
    }
    var worst = -1, worstExcess = 0.0
    for i in 0..<actual.count {
        let a = Double(actual[i]), b = expected[i]
        let excess = abs(a - b) - (atol + rtol * abs(b))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        Issue.record("\(what)[\(worst)] = \(actual[worst]), Keras \(expected[worst]) (excess \(worstExcess))", sourceLocation: sourceLocation)
        return false
    }
    return true
}

/// Loads a fixture's `weights` {name: {shape, value}} into `store`, prefixing names with
/// `prefix` ("0/" for the single-layer fixtures). Fails if any tensor of the store is not set.
func loadFixtureWeights(_ weights: [String: Any], into store: ParameterStore, prefix: String = "") throws {
    var loaded = Set<String>()
    for (name, entry) in weights {
        let entry = entry as! [String: Any]
        let view = try store.view(named: prefix + name)
        #expect(view.shape == (entry["shape"] as! [Int]), "shape of \(name)")
        try store.setTensor(named: prefix + name, to: flatten(entry["value"]).map(Float.init))
        loaded.insert(prefix + name)
    }
    #expect(loaded == Set(store.tensorNames), "fixture weights cover every tensor")
}
