import Foundation
import Testing
import TextRNNRuntime
@testable import TextRNNTrainer

/// The hyperparameter table (Hyperparameter.all) is the one list: every TrainingConfig property
/// has a row, flags and config keys read it, and what it writes reads back.
@Suite struct HyperparameterTableTests {
    @Test func everyPropertyHasOneRow() {
        let rows = Hyperparameter.all
        #expect(Set(rows.map(\.name)).count == rows.count, "names are unique")
        // Every stored property but `givenKeys` (how values were set) is a hyperparameter.
        let properties = Mirror(reflecting: TrainingConfig()).children.compactMap(\.label).filter { $0 != "givenKeys" }
        #expect(properties.count == rows.count, "\(properties.count) properties, \(rows.count) rows")
        for row in rows {
            #expect(!row.help.isEmpty && row.flag == "--" + row.name.replacingOccurrences(of: "_", with: "-"))
            #expect(Hyperparameter.of(row.keyPath).name == row.name)
        }
    }

    @Test func everyDefaultReadsBackFromItsText() throws {
        for row in Hyperparameter.all {
            var config = TrainingConfig()
            try config.set(row.name, to: row.text(TrainingConfig()))
            #expect(row.json(config) == row.defaultValue, "\(row.name)")
            #expect(config.givenKeys == [row.name])
        }
    }

    @Test func theConfigFileRoundTripsEveryKey() throws {
        var config = TrainingConfig()
        config.cell = .lstm
        config.units = [16, 8]
        config.padding = .pre
        config.standardize = .lower
        config.monitor = .valAccuracy
        config.clipnorm = 1.5
        config.pretrainedVectors = "vectors.vec"
        config.seed = 7
        let data = try JSONEncoder().encode(config)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == Set(Hyperparameter.all.map(\.name)))
        var decoded = try JSONDecoder().decode(TrainingConfig.self, from: data)
        #expect(decoded.givenKeys == Set(Hyperparameter.all.map(\.name)))
        decoded.givenKeys = []
        #expect(decoded == config)
    }

    func configError(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "textrnn-config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try TrainingConfig(configFile: path)
        } catch let error as TrainingError {
            #expect(error.description.hasPrefix(path + ": "))
            return String(error.description.dropFirst(path.count + 2))
        }
        Issue.record("no error for \(json)")
        return ""
    }

    @Test func configErrorsNameTheKeyAndWhatItMustBe() throws {
        #expect(try configError(#"{"units": "64"}"#) == #"config: "units" must be int list of 1 or more sizes in 1...4096"#)
        #expect(try configError(#"{"cell": "transformer"}"#) == #"config: "cell" must be one of lstm, gru, simple-rnn"#)
        #expect(try configError(#"{"epoch": 3}"#) == #"config: unknown key "epoch" (did you mean "epochs"?)"#)
        #expect(try configError(#"[1, 2]"#).hasPrefix("config: expected a JSON object"))
        #expect(try configError("{\"epochs\": 3,\n \"cell\": }").hasPrefix("invalid JSON"))
    }

    @Test func flagsAreCheckedAgainstTheTable() throws {
        var config = TrainingConfig()
        try config.set("pooling", to: "average")
        try config.set("dense_units", to: "none")
        try config.set("clipnorm", to: "none")
        #expect(config.pooling == .average && config.denseUnits.isEmpty && config.clipnorm == nil)
        #expect(config.isGiven(\.pooling) && !config.isGiven(\.epochs))
        #expect(throws: TrainingError.self) { try config.set("pooling", to: "mean") }
        config.bigrams = true
        try config.resolve()
        #expect(config.ngrams == 2, "--bigrams is --ngrams 2, and the manifest records ngrams")
        config.units = [0]
        #expect(throws: TrainingError.self) { try config.validate() }
    }

    @Test func theMachineReadableTableListsEveryRow() throws {
        guard case .array(let rows) = Hyperparameter.tableJSON else { Issue.record("not an array"); return }
        #expect(rows.count == Hyperparameter.all.count)
        let cell = try #require(rows.first { $0["name"] == .string("cell") })
        #expect(cell["default"] == .string("gru") && cell["flag"] == .string("--cell"))
        #expect(cell["choices"] == .array([.string("lstm"), .string("gru"), .string("simple-rnn")]))
        let epochs = try #require(rows.first { $0["name"] == .string("epochs") })
        #expect(epochs["default"] == .int(10) && epochs["default_rule"] != nil)
    }
}
