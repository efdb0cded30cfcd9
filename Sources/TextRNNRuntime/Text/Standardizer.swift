/// Byte-level standardization: Keras `lower_and_strip_punctuation` on ASCII.
///
/// Keras deletes the 32 ASCII punctuation characters of Python's `string.punctuation` (its
/// DEFAULT_STRIP_REGEX) and lowercases A-Z only. Deleting, not replacing with a space, matters:
/// "don't" becomes "dont" and "e-mail" becomes "email".
enum Standardizer {
    /// A 256-entry table: the output byte for each input byte, or 0 to delete it.
    /// (A NUL byte in the input is deleted too; it can never be part of a token.)
    static func table(for mode: TextPipelineConfig.Standardize) -> [UInt8] {
        let lower = mode == .lowerAndStripPunctuation || mode == .lower
        let strip = mode == .lowerAndStripPunctuation || mode == .stripPunctuation
        return (0..<256).map { value -> UInt8 in
            let byte = UInt8(value)
            if byte == 0 { return 0 }
            if strip && isASCIIPunctuation(byte) { return 0 }
            if lower && byte >= 0x41 && byte <= 0x5A { return byte + 0x20 }
            return byte
        }
    }

    static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (byte >= 0x21 && byte <= 0x2F) || (byte >= 0x3A && byte <= 0x40)
            || (byte >= 0x5B && byte <= 0x60) || (byte >= 0x7B && byte <= 0x7E)
    }

    /// Split points: ASCII whitespace as TensorFlow's `tf.strings.split` (space, \t, \n, \v,
    /// \f, \r). Non-ASCII spaces such as U+00A0 do not split.
    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
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
