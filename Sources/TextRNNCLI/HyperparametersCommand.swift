import ArgumentParser
import TextRNNRuntime
import TextRNNTrainer

/// `textrnn hyperparameters`: the trainer's hyperparameter table as JSON (name, flag, type,
/// default, help, choices, range, where it is recorded), for tools such as the Python API that
/// list the parameters of `train` without keeping a second list. Hidden: not a user command.
struct HyperparametersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyperparameters",
        abstract: "Print the hyperparameter table of `textrnn train` as JSON.",
        shouldDisplay: false)

    @Flag(help: "Print docs/hyperparameters.md instead (the table as Markdown, with the no-flag recipe).")
    var markdown = false

    func run() throws {
        var text = markdown ? Hyperparameter.markdown : Hyperparameter.tableJSON.serialized()
        if !text.hasSuffix("\n") { text += "\n" }
        writeOut(&text)
    }
}
