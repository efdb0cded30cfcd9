/// Byte-level standardization: Keras `lower_and_strip_punctuation` on ASCII (and the other
/// `TextPipelineConfig.Standardize` modes).
///
/// Keras deletes the 32 ASCII punctuation characters of Python's `string.punctuation` (its
/// DEFAULT_STRIP_REGEX) and lowercases A-Z only. Deleting, not replacing with a space, matters:
/// "don't" becomes "dont" and "e-mail" becomes "email".
enum Standardizer {
    /// A 256-entry table: the output byte for each input byte, or 0 to delete it.
    /// (A NUL byte in the input is deleted too; it can never be part of a token.)
    /// (`keras_text_to_word_sequence` lowercases non-ASCII characters too, outside the table:
    /// `lowersUnicode`.)
    static func table(for mode: TextPipelineConfig.Standardize) -> [UInt8] {
        let lower = mode == .lowerAndStripPunctuation || mode == .lower || mode == .kerasTextToWordSequence
        let strip = mode == .lowerAndStripPunctuation || mode == .stripPunctuation
        let filterToSpace = mode == .kerasTextToWordSequence
        return (0..<256).map { value -> UInt8 in
            let byte = UInt8(value)
            if byte == 0 { return 0 }
            if strip && isASCIIPunctuation(byte) { return 0 }
            if filterToSpace && isKerasFilter(byte) { return 0x20 }
            if lower && byte >= 0x41 && byte <= 0x5A { return byte + 0x20 }
            return byte
        }
    }

    static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (byte >= 0x21 && byte <= 0x2F) || (byte >= 0x3A && byte <= 0x40)
            || (byte >= 0x5B && byte <= 0x60) || (byte >= 0x7B && byte <= 0x7E)
    }

    /// Keras `text_to_word_sequence`'s default `filters`: `!"#$%&()*+,-./:;<=>?@[\]^_`{|}~`
    /// (the ASCII punctuation but the apostrophe), tab and newline.
    static func isKerasFilter(_ byte: UInt8) -> Bool {
        (isASCIIPunctuation(byte) && byte != 0x27) || byte == 0x09 || byte == 0x0A
    }

    /// Whether the mode lowercases every Unicode character, as Python's `str.lower()`.
    static func lowersUnicode(_ mode: TextPipelineConfig.Standardize) -> Bool { mode == .kerasTextToWordSequence }

    /// Split points. `whitespace`: ASCII whitespace as TensorFlow's `tf.strings.split` (space,
    /// \t, \n, \v, \f, \r); `space`: the space only. Non-ASCII spaces such as U+00A0 never split.
    @inline(__always)
    static func isSeparator(_ byte: UInt8, spaceOnly: Bool) -> Bool {
        byte == 0x20 || (!spaceOnly && byte >= 0x09 && byte <= 0x0D)
    }

    /// Appends the lowercase of the UTF-8 character starting at `start` (Unicode's full
    /// lowercase mapping of its scalar, as Python's `str.lower()` outside the Greek final-sigma
    /// rule) to `output`; invalid UTF-8 is copied unchanged, one byte. Returns the bytes read.
    static func appendLowercased(_ text: UnsafeBufferPointer<UInt8>, at start: Int, to output: inout [UInt8]) -> Int {
        var bytes = UnsafeBufferPointer(rebasing: text[start...]).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        guard case .valid(let encoded) = parser.parseScalar(from: &bytes) else {
            output.append(text[start])
            return 1
        }
        output.append(contentsOf: Unicode.UTF8.decode(encoded).properties.lowercaseMapping.utf8)
        return encoded.count
    }

    /// Length of an HTML line break (`<br>`, `<br/>`, `<br />`, any ASCII case) starting at
    /// `start`, or 0 when there is none.
    @inline(__always)
    static func htmlBreakLength(_ text: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        let count = text.count
        guard start + 4 <= count, text[start] == 0x3C,
            text[start + 1] | 0x20 == 0x62, text[start + 2] | 0x20 == 0x72
        else { return 0 }
        var index = start + 3
        if text[index] == 0x20 { index += 1 }
        if index < count && text[index] == 0x2F { index += 1 }
        if index < count && text[index] == 0x3E { return index + 1 - start }
        return 0
    }
}
