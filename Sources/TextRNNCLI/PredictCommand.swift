import ArgumentParser
@preconcurrency import Glibc
@_spi(TextRNNInternal) import TextRNNRuntime

/// `textrnn predict BUNDLE [FILE|-]`: one text per input line, one result per output line.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify texts, one per line.",
        discussion: """
            Reads one text per line (a trailing CR is dropped; any bytes are accepted, invalid \
            UTF-8 included) and writes one line per text, in input order:
              json  {"label": L, "probability": P, "probabilities": {label: p, ...}}
                    multi-label models add "labels": the labels with p >= --threshold;
                    --top-k adds "top_k": [{"label": L, "probability": P}, ...]
              tsv   LABEL<TAB>PROBABILITY (with --top-k: K label/probability pairs;
                    multi-label models: one pair per label with p >= --threshold)
            Probabilities are float32, printed so that they read back exactly. On a failing line \
            the command prints the results before it, reports "textrnn: FILE:LINE: reason" on \
            stderr and exits with status 1.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, tsv
    }

    @Argument(help: "The bundle directory (NAME.textrnn) or its manifest.json.")
    var bundle: String

    @Argument(help: "Input file, one text per line; '-' or nothing reads standard input.")
    var file: String = "-"

    @Flag(help: "One JSON object per line (the default).")
    var json = false

    @Flag(help: "Tab-separated lines instead of JSON.")
    var tsv = false

    /// Before docs/cli.md: --format json|tsv.
    @Option(name: .customLong("format"), help: .hidden)
    var legacyFormat: Format?

    @Option(name: .customLong("top-k"), help: "Also give the K most probable labels (default: none).")
    var topK: Int?

    @OptionGroup var threshold: ThresholdOption
    @OptionGroup var threads: ThreadsOption

    var format: Format { tsv ? .tsv : legacyFormat ?? .json }

    func validate() throws {
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if json && tsv { throw ValidationError("--json and --tsv exclude each other") }
    }

    func run() throws {
        let model = try loadModel(bundle)
        let inputName = file == "-" ? "<stdin>" : file
        let input: UnsafeMutablePointer<FILE>
        if file == "-" {
            input = stdin
        } else {
            guard let opened = fopen(file, "rb") else {
                throw failure("\(file): cannot open: \(String(cString: strerror(errno)))")
            }
            input = opened
        }
        defer { if input != stdin { fclose(input) } }

        // Typed lines get their answer at once; batches are for files and pipes.
        let workers = isatty(fileno(input)) != 0 ? 1 : threads.workers
        let batchSize = workers == 1 ? 1 : workers * 32
        let formatter = ResultFormatter(model: model, format: format, topK: topK, threshold: threshold.threshold)
        let scratches = (0..<workers).map { _ in PredictionScratch() }

        var lines: [[UInt8]] = []
        var firstLine = 1  // line number of lines[0]
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var bufferSize = 0
        defer { free(buffer) }
        var endOfInput = false
        while !endOfInput {
            lines.removeAll(keepingCapacity: true)
            while lines.count < batchSize {
                let length = getline(&buffer, &bufferSize, input)
                if length < 0 {
                    if ferror(input) != 0 {
                        throw failure("\(inputName):\(firstLine + lines.count): read failed: \(String(cString: strerror(errno)))")
                    }
                    endOfInput = true
                    break
                }
                var count = length
                if count > 0 && buffer![count - 1] == 0x0A { count -= 1 }
                if count > 0 && buffer![count - 1] == 0x0D { count -= 1 }
                lines.append(buffer!.withMemoryRebound(to: UInt8.self, capacity: max(count, 1)) {
                    Array(UnsafeBufferPointer(start: $0, count: count))
                })
            }
            if lines.isEmpty { break }
            let width = model.labelCount
            var probabilities = [Float](repeating: 0, count: lines.count * width)
            let failed = probabilities.withUnsafeMutableBufferPointer { output in
                model.predictBatch(ByteBatch(lines), into: output.baseAddress!, scratches: scratches, threads: threads.workers)
            }
            var output = ""
            for index in 0..<(failed?.index ?? lines.count) {
                formatter.append(Array(probabilities[(index * width)..<((index + 1) * width)]), to: &output)
            }
            writeOut(&output)
            if let failed {
                fflush(stdout)
                throw failure("\(inputName):\(firstLine + failed.index): \(failed.error.message)")
            }
            firstLine += lines.count
        }
        fflush(stdout)
    }
}

/// Formats one result line.
struct ResultFormatter {
    let labels: [String]
    let quotedLabels: [String]
    let output: Manifest.OutputKind
    let format: PredictCommand.Format
    let topK: Int?
    let threshold: Float

    init(model: Model, format: PredictCommand.Format, topK: Int?, threshold: Float) {
        self.threshold = threshold
        labels = model.labels
        quotedLabels = model.labels.map(JSONLine.string)
        output = model.manifest.output
        self.format = format
        self.topK = topK
    }

    func append(_ probabilities: [Float], to line: inout String) {
        let ranked = LabelOrder.ranked(probabilities)
        let best = ranked[0]
        switch format {
        case .tsv where output == .multiLabelSigmoid && topK == nil:
            // The predicted label set: LABEL<TAB>P for each, most probable first.
            let chosen = Set(LabelOrder.chosen(probabilities, threshold: threshold))
            let shown = ranked.filter(chosen.contains)
            line += shown.map { "\(labels[$0])\t\(JSONLine.number(probabilities[$0]))" }.joined(separator: "\t")
        case .tsv:
            let shown = ranked.prefix(topK ?? 1)
            line += shown.map { "\(labels[$0])\t\(JSONLine.number(probabilities[$0]))" }.joined(separator: "\t")
        case .json:
            line += "{\"label\": \(quotedLabels[best]), \"probability\": \(JSONLine.number(probabilities[best]))"
            if output == .multiLabelSigmoid {
                let chosen = LabelOrder.chosen(probabilities, threshold: threshold)
                line += ", \"labels\": [" + chosen.map { quotedLabels[$0] }.joined(separator: ", ") + "]"
            }
            line += ", \"probabilities\": {"
            line += probabilities.indices.map { "\(quotedLabels[$0]): \(JSONLine.number(probabilities[$0]))" }
                .joined(separator: ", ")
            line += "}"
            if let topK {
                line += ", \"top_k\": ["
                line += ranked.prefix(topK).map {
                    "{\"label\": \(quotedLabels[$0]), \"probability\": \(JSONLine.number(probabilities[$0]))}"
                }.joined(separator: ", ")
                line += "]"
            }
            line += "}"
        }
        line += "\n"
    }
}
