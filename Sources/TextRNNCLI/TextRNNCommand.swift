import ArgumentParser
@preconcurrency import Glibc
import TextRNNRuntime

@main
struct TextRNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textrnn",
        abstract: "Train and run recurrent text classifiers.",
        discussion: "Conventions shared by every command (flags, output, errors, exit codes): docs/cli.md.",
        version: "textrnn \(TextRNNVersion.string)",
        subcommands: [
            TrainCommand.self,
            EvaluateCommand.self,
            PredictCommand.self,
            ExplainCommand.self,
            InspectCommand.self,
            QuantizeCommand.self,
            BenchCommand.self,
            HyperparametersCommand.self,
        ]
    )

    /// Every error, from parsing or from a command, reads "textrnn: reason" (docs/cli.md).
    static var _errorPrefix: String { "textrnn: " }

    /// ArgumentParser's main, except that an argument error found after parsing shows the usage
    /// of the command that was run rather than the root's, and negative numbers are values.
    static func main() {
        let arguments = CommandLineConvention.normalized(Array(CommandLine.arguments.dropFirst()))
        var command: ParsableCommand
        do { command = try parseAsRoot(arguments) } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as ValidationError {
            let name = type(of: command)._commandName
            printError(error.message)
            fputs("Usage: \(usageString(for: type(of: command)))\n  See 'textrnn \(name) --help' for more information.\n", stderr)
            Glibc.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
