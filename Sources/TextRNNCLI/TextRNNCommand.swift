import ArgumentParser

@main
struct TextRNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textrnn",
        abstract: "Train and run recurrent text classifiers.",
        subcommands: [
            TrainCommand.self,
            EvaluateCommand.self,
            PredictCommand.self,
            ExplainCommand.self,
            InspectCommand.self,
            ImportKerasFixtureCommand.self,
            QuantizeCommand.self,
            BenchCommand.self,
            HyperparametersCommand.self,
        ]
    )
}
