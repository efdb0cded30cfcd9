import ArgumentParser
import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// Developer command: a Keras reference fixture (../shared/fixtures/keras/models/*.json) as a
/// bundle, with the synthetic vocabulary "", "[UNK]", "t2", "t3", ... Tests use it.
struct ImportKerasFixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-keras-fixture",
        abstract: "Write a Keras model fixture as a bundle (developer tool).",
        shouldDisplay: false
    )

    @Argument(help: "A Keras model fixture (models/NAME.json).")
    var fixture: String

    @Option(name: .shortAndLong, help: "The bundle directory to write (NAME.textrnn).")
    var output: String

    func run() throws {
        let model: KerasModelFixture
        do {
            model = try KerasModelFixture(contentsOf: URL(fileURLWithPath: fixture))
        } catch {
            throw failure("\(fixture): \(error)")
        }
        do {
            try BundleWriter.write(model.bundleContents(), to: output)
        } catch {
            throw failure(error.message)
        }
    }
}
