/// `text`'s words in lines of at most `width` characters, each starting with `indent` (the first
/// with `head` when given); a word longer than a line gets a line of its own. The CLI's help
/// text, the recipe search's live table and the bag's log lines wrap with it.
public func wordWrapped(_ text: String, head: String? = nil, indent: String, width: Int = 79) -> [String] {
    var lines: [String] = [], start = head ?? indent, line = start
    for word in text.split(separator: " ") {
        if line.count > start.count && line.count + 1 + word.count > width {
            lines.append(line)
            (start, line) = (indent, indent)
        }
        line += (line.count > start.count ? " " : "") + word
    }
    return lines + [line]
}
