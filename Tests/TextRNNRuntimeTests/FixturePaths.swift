import Foundation
import TextRNNTrainer

/// The repository root, found from this file's path (Tests/TextRNNRuntimeTests/FixturePaths.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let fixturesDirectory = kerasFixturesDirectory(repositoryRoot: repositoryRoot)

/// Case names from the fixtures' index.json. A missing fixtures folder is an error, never a skip.
func fixtureCases(_ kind: String) -> [String] {
    let index = fixturesDirectory.appendingPathComponent("index.json")
    guard let data = try? Data(contentsOf: index),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let names = json[kind] as? [String], !names.isEmpty
    else {
        // Returning a sentinel makes the parameterized test fail loudly instead of running zero cases.
        return ["MISSING: \(index.path) (set TEXTRNN_FIXTURES or put ../shared beside the repository)"]
    }
    return names
}

func fixtureURL(_ kind: String, _ name: String) -> URL {
    fixturesDirectory.appendingPathComponent(kind).appendingPathComponent(name + ".json")
}

/// |actual - expected| <= absolute + relative * |expected|
func close(_ actual: Double, _ expected: Double, absolute: Double = 1e-5, relative: Double = 0) -> Bool {
    abs(actual - expected) <= absolute + relative * abs(expected)
}
