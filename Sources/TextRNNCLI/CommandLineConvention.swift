import ArgumentParser
@_spi(TextRNNInternal) import TextRNNRuntime

/// What every command shares (docs/cli.md): argument spelling and the meaning of --threads.
enum CommandLineConvention {
    /// `--option -5` becomes `--option=-5`, so a negative number is read as the option's value
    /// (and then refused or accepted by the option) instead of as an unknown flag.
    static func normalized(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for argument in arguments {
            if let previous = result.last, previous.hasPrefix("--"), previous != "--", !previous.contains("="),
               isNegativeNumber(argument), !result.contains("--") {
                result[result.count - 1] = previous + "=" + argument
            } else {
                result.append(argument)
            }
        }
        return result
    }

    static func isNegativeNumber(_ argument: String) -> Bool {
        argument.count > 1 && argument.hasPrefix("-") && Double(argument) != nil
    }
}

/// `--threads N` for the commands that run a model: N workers, 0 = one per CPU (the default).
/// Results never depend on it.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (0 = one per CPU); results do not depend on it.")
    var threads: Int = 0

    func validate() throws {
        if threads < 0 { throw ValidationError("--threads must be 0 (one per CPU) or more") }
    }

    /// The number of workers to start.
    var workers: Int { threads == 0 ? onlineProcessors() : threads }
}

/// `--threshold P` for multi-label models: a label is in the predicted set when its probability
/// is at least P.
struct ThresholdOption: ParsableArguments {
    @Option(help: "Multi-label models: predict every label whose probability is at least this.")
    var threshold: Float = 0.5

    func validate() throws {
        if !(threshold >= 0 && threshold <= 1) { throw ValidationError("--threshold must be in 0...1") }
    }
}
