import ArgumentParser
@preconcurrency import Glibc
import TextRNNRuntime

/// `textrnn explain BUNDLE [TEXT...]`: each word's contribution to a label's probability.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which words push a text toward or away from a label (occlusion).",
        discussion: """
            A word's contribution is p(label | text) - p(label | text with the word occluded): its \
            token id, and that of every n-gram holding it, replaced by the out-of-vocabulary id \
            (--occlusion padding: by padding, which with mask_zero equals removing it). Words cut \
            off by truncation to the sequence length are "unseen" and contribute 0.
            Texts come from the arguments, else one per line of standard input.
              text  the label and its probability, the text with words highlighted (green toward \
            the label, red away, brighter = stronger; unseen words dimmed), and the --top-k \
            strongest words. No colour when stdout is not a terminal, NO_COLOR is set, or \
            --color never.
              json  one object per text: {"label", "probability", "words": [{"word", "offset", \
            "length", "contribution", "seen"}], "top": [...]}; offsets and lengths are bytes of \
            the UTF-8 text.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }
    enum Color: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @Argument(help: "The bundle directory (NAME.textrnn) or its manifest.json.")
    var bundle: String

    @Argument(help: "Texts to explain; none reads one text per line from standard input.")
    var texts: [String] = []

    @Flag(help: "One JSON object per text instead of highlighted text.")
    var json = false

    /// Before docs/cli.md: --format text|json.
    @Option(name: .customLong("format"), help: .hidden)
    var legacyFormat: Format?

    @Option(help: "Explain this label (default: the most probable one).")
    var label: String?

    @Option(name: .customLong("top-k"), help: "How many of the strongest words to list.")
    var topK: Int = 5

    /// Before docs/cli.md: --top.
    @Option(name: .customLong("top"), help: .hidden)
    var legacyTop: Int?

    @Option(help: "Occlusion: oov or padding.")
    var occlusion: Occlusion = .oov

    @Option(help: "Colour the text output: auto, always or never.")
    var color: Color = .auto

    @OptionGroup var threads: ThreadsOption

    var format: Format { json ? .json : legacyFormat ?? .text }
    var top: Int { legacyTop ?? topK }

    func validate() throws {
        if top < 0 { throw ValidationError("--top-k must be 0 or more") }
    }

    func run() throws {
        let model = try loadModel(bundle)
        var labelIndex: Int? = nil
        if let label {
            guard let index = model.labels.firstIndex(of: label) else {
                throw failure("--label \(label): the model's labels are \(model.labels.joined(separator: ", "))")
            }
            labelIndex = index
        }
        let colored = color == .always || (color == .auto && isatty(STDOUT_FILENO) != 0 && !noColorRequested())
        let formatter = ExplanationFormatter(labels: model.labels, top: top, colored: colored)
        func explain(_ text: [UInt8], _ source: String) throws {
            let explanation: Explanation
            do {
                explanation = try text.withUnsafeBufferPointer { bytes throws(TextRNNError) in
                    try model.explain(text: bytes, label: labelIndex, occlusion: occlusion, threads: threads.threads)
                }
            } catch {
                throw failure("\(source): \(error.message)")
            }
            var output = format == .json ? formatter.json(explanation, text: text) : formatter.text(explanation, text: text)
            writeOut(&output)
        }
        if !texts.isEmpty {
            for (index, text) in texts.enumerated() { try explain(Array(text.utf8), "argument \(index + 1)") }
        } else {
            var line = 0
            try forEachLine(of: stdin) { text in
                line += 1
                try explain(text, "<stdin>:\(line)")
            }
        }
        fflush(stdout)
    }
}

// @retroactive: Occlusion is the runtime's (another package, but ours).
extension Occlusion: @retroactive ExpressibleByArgument {}

/// NO_COLOR (https://no-color.org): set and not empty.
func noColorRequested() -> Bool {
    guard let value = getenv("NO_COLOR") else { return false }
    return value.pointee != 0
}

/// Calls `body` with each line of `file` (without its "\n" or "\r\n").
func forEachLine(of file: UnsafeMutablePointer<FILE>, _ body: ([UInt8]) throws -> Void) throws {
    var buffer: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    defer { free(buffer) }
    while true {
        let length = getline(&buffer, &capacity, file)
        if length < 0 {
            if ferror(file) != 0 { throw failure("<stdin>: read failed: \(String(cString: strerror(errno)))") }
            return
        }
        var count = length
        if count > 0 && buffer![count - 1] == 0x0A { count -= 1 }
        if count > 0 && buffer![count - 1] == 0x0D { count -= 1 }
        try body(buffer!.withMemoryRebound(to: UInt8.self, capacity: max(count, 1)) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        })
    }
}
