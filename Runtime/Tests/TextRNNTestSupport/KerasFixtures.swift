import Foundation

/// The checkout this file belongs to (it is Runtime/Tests/TextRNNTestSupport/KerasFixtures.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// The Keras reference fixtures: ../shared/fixtures/keras beside the checkout, or
/// $TEXTRNN_FIXTURES. Missing fixtures are a test failure, never a skip.
public enum KerasFixtures {
    public static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["TEXTRNN_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: repositoryRoot).appendingPathComponent("../shared/fixtures/keras").standardizedFileURL
    }()

    /// The file of case `name` in the `kind` folder ("models" or "layers").
    public static func url(_ kind: String, _ name: String) -> URL {
        directory.appendingPathComponent(kind).appendingPathComponent(name + ".json")
    }

    /// The case names listed in index.json under `kind`.
    public static func names(_ kind: String) throws -> [String] {
        let url = directory.appendingPathComponent("index.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureError("Keras fixtures not found at \(directory.path) (set TEXTRNN_FIXTURES or put ../shared beside the repository)")
        }
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        guard let names = index?[kind] as? [String], !names.isEmpty else { throw FixtureError("\(url.path) lists no \(kind)") }
        return names
    }

    /// `names(kind)` for `@Test(arguments:)`, which cannot throw: when the fixtures are missing,
    /// one case that names the problem, so the test fails loudly instead of running zero cases.
    public static func cases(_ kind: String) -> [String] {
        do { return try names(kind) } catch { return ["MISSING: \(error)"] }
    }

    /// The case names of the `kind` folder's JSON files, to compare with index.json.
    public static func files(_ kind: String) throws -> Set<String> {
        let folder = directory.appendingPathComponent(kind)
        return Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
    }

    /// Case `name` of `kind` as a JSON object.
    public static func load(_ kind: String, _ name: String) throws -> [String: Any] {
        let url = url(kind, name)
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw FixtureError("\(url.path) is not a JSON object")
        }
        return json
    }
}
