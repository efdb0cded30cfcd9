import TextRNNRuntime

/// Renders an `Explanation` for `textrnn explain`: highlighted text or one JSON line.
struct ExplanationFormatter {
    let labels: [String]
    let top: Int
    let colored: Bool

    /// Word indices by |contribution|, strongest first (ties: earlier word first); unseen words
    /// and words contributing exactly 0 are left out.
    func strongest(_ explanation: Explanation) -> [Int] {
        let words = explanation.words
        let ranked = words.indices.filter { words[$0].seen && words[$0].contribution != 0 }.sorted { a, b in
            let ma = abs(words[a].contribution), mb = abs(words[b].contribution)
            return ma != mb ? ma > mb : a < b
        }
        return Array(ranked.prefix(top))
    }

    func json(_ explanation: Explanation, text: [UInt8]) -> String {
        func word(_ index: Int) -> String {
            let word = explanation.words[index]
            return "{\"word\": \(JSONLine.string(String(decoding: text[word.range], as: UTF8.self))), "
                + "\"offset\": \(word.range.lowerBound), \"length\": \(word.range.count), "
                + "\"contribution\": \(JSONLine.number(word.contribution)), \"seen\": \(word.seen)}"
        }
        var line = "{\"label\": \(JSONLine.string(labels[explanation.label])), "
        line += "\"probability\": \(JSONLine.number(explanation.probability)), \"words\": ["
        line += explanation.words.indices.map(word).joined(separator: ", ")
        line += "], \"top\": [" + strongest(explanation).map(word).joined(separator: ", ") + "]}\n"
        return line
    }

    func text(_ explanation: Explanation, text: [UInt8]) -> String {
        var output = "\(labels[explanation.label]) \(JSONLine.number(explanation.probability))\n"
        let largest = explanation.words.map { abs($0.contribution) }.max() ?? 0
        var cursor = 0
        var highlighted: [UInt8] = []
        for word in explanation.words {
            highlighted += text[cursor..<word.range.lowerBound]
            let style = colored ? self.style(word, largest: largest) : ""
            if !style.isEmpty { highlighted += Array(style.utf8) }
            highlighted += text[word.range]
            if !style.isEmpty { highlighted += Array("\u{1B}[0m".utf8) }
            cursor = word.range.upperBound
        }
        highlighted += text[cursor...]
        output += String(decoding: highlighted, as: UTF8.self) + "\n"
        for index in strongest(explanation) {
            let word = explanation.words[index]
            let sign = word.contribution > 0 ? "+" : ""
            output += "  \(sign)\(JSONLine.number(word.contribution))\t\(String(decoding: text[word.range], as: UTF8.self))\n"
        }
        return output
    }

    /// ANSI 256-colour background: green toward the label, red away, five intensities relative
    /// to the strongest word; words under 5% of it stay plain; unseen words are dimmed.
    private func style(_ word: WordContribution, largest: Float) -> String {
        guard word.seen else { return "\u{1B}[2m" }
        guard largest > 0 else { return "" }
        let strength = abs(word.contribution) / largest
        guard strength >= 0.05 else { return "" }
        let level = min(Int(strength * 5), 4)
        let greens = [22, 28, 34, 40, 46], reds = [52, 88, 124, 160, 196]
        let background = word.contribution > 0 ? greens[level] : reds[level]
        let foreground = level >= 3 ? 16 : 231  // black on bright, white on dark
        return "\u{1B}[48;5;\(background);38;5;\(foreground)m"
    }
}
