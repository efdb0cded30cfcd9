import Testing

@testable import TextRNNTrainer

/// `wordWrapped`: the help text, the autotune table and long training messages wrap with it.
@Suite struct WordWrappingTests {
    @Test func linesBreakAtWordsWithinTheWidth() {
        #expect(wordWrapped("aa bb cc dd", head: "> ", indent: "  ", width: 8) == ["> aa bb", "  cc dd"])
        #expect(wordWrapped("aa bb", indent: "    ", width: 79) == ["    aa bb"], "the indent starts every line without a head")
        #expect(wordWrapped("", head: "bag: ", indent: " ") == ["bag: "])
    }

    @Test func aWordLongerThanALineGetsALineOfItsOwn() {
        #expect(wordWrapped("a 0123456789 b", head: "", indent: "  ", width: 6) == ["a", "  0123456789", "  b"])
        #expect(wordWrapped("0123456789", head: "", indent: "  ", width: 6) == ["0123456789"], "never an empty first line")
    }
}
