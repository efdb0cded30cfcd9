import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// The Training section of `inspect`: the manifest's free-form `training` record as a Keras-style
/// summary (data, validation metrics, history table, hyperparameters one flag per line, anything
/// else as key: value). `inspect --json` gives the record as stored.
enum TrainingSummary {
    static let width = BundleSummary.width

    static func text(_ training: JSONValue) -> String {
        guard case .object(let members) = training else { return "  " + compact(training) + "\n" }
        var out = ""
        var shown: Set<String> = []
        if let dataset = training["dataset"]?.stringValue {
            var line = "Data: \(dataset)"
            if let train = training["train_rows"]?.doubleValue, let validation = training["validation_rows"]?.doubleValue {
                line += " (\(Int(train).grouped) training rows, \(Int(validation).grouped) validation rows)"
            }
            out += indented(line)
            shown.formUnion(["dataset", "train_rows", "validation_rows"])
        }
        if case .object(let metrics)? = training["metrics"] {
            let split = training["metrics"]?["split"]?.stringValue ?? "validation"
            let figures = metrics.filter { $0.0 != "split" }.map { "\($0.0) \(decimal($0.1))" }
            out += indented("Metrics (\(split) data): " + figures.joined(separator: ", "))
            shown.insert("metrics")
        }
        if case .array(let epochs)? = training["history"], !epochs.isEmpty {
            out += history(epochs)
            shown.insert("history")
        }
        if let record = training["hyperparameters"], case .object = record {
            // One per line as `textrnn train` takes them (the trainer's table), ready to reuse.
            out += "  Hyperparameters:\n" + Hyperparameter.summary(of: record).map { "    \($0.0) \($0.1)\n" }.joined()
            shown.insert("hyperparameters")
        }
        for (key, value) in members where !shown.contains(key) {
            if case .array(let items) = value, items.contains(where: { if case .object = $0 { return true }; return false }) {
                out += "  \(key):\n"
                for item in items {
                    guard case .object(let inner) = item else { out += "    - \(compact(item))\n"; continue }
                    out += wrapped("    - ", inner.map { "\($0.0)=\(compact($0.1))" })
                }
            } else if case .object(let inner) = value {
                out += wrapped("  \(key): ", inner.map { "\($0.0)=\(compact($0.1))" })
            } else {
                out += wrapped("  \(key): ", [compact(value)])
            }
        }
        return out
    }

    /// `line` indented by two, wrapped at words to `width`, continued indented by four.
    static func indented(_ line: String) -> String {
        wordWrapped(line, head: "  ", indent: "    ", width: width).joined(separator: "\n") + "\n"
    }

    /// Keras's fit() history as a table: one row per epoch.
    static func history(_ epochs: [JSONValue]) -> String {
        let columns = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"].filter { column in
            epochs.contains { if case .null? = $0[column] { return false }; return $0[column] != nil }
        }
        var out = "  History:\n    " + columns.map { pad($0, 12) }.joined().trimmingTrailingSpaces() + "\n"
        for epoch in epochs {
            out += "    " + columns.map { pad(epoch[$0].map(decimal) ?? "", 12) }.joined().trimmingTrailingSpaces() + "\n"
        }
        return out
    }

    /// `head` then the items, comma-separated, wrapped at words to `width` and continued under
    /// the first item.
    static func wrapped(_ head: String, _ items: [String]) -> String {
        wordWrapped(items.joined(separator: ", "), head: head, indent: String(repeating: " ", count: head.count), width: width)
            .joined(separator: "\n") + "\n"
    }

    /// A value on one line; numbers as the float32 they were stored from when that reads back
    /// exactly (0.0020000000949949026 -> 0.002), others (accuracies computed in double) to six
    /// significant digits (0.8666666666666667 -> 0.866667); `inspect --json` keeps them whole.
    static func compact(_ value: JSONValue) -> String {
        switch value {
        case .null: return "none"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number):
            let single = Float(number)
            return Double(single) == number ? single.description : String(format: "%.6g", number)
        case .string(let text): return text
        case .array(let items): return "[" + items.map(compact).joined(separator: ", ") + "]"
        case .object(let members): return "{" + members.map { "\($0.0): \(compact($0.1))" }.joined(separator: ", ") + "}"
        }
    }

    /// Metrics: four decimals, as Keras prints them.
    static func decimal(_ value: JSONValue) -> String {
        if case .double(let number) = value { return String(format: "%.4f", number) }
        return compact(value)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(1, width - text.count))
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
