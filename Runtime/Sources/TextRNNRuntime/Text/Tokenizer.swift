/// Reusable buffers for tokenizing, so that encoding a text allocates nothing once they have
/// grown to fit. Not shared between threads: each thread (or each call) owns one.
public struct TokenizerScratch: Sendable {
    var standardized: [UInt8] = []  // [text bytes] the standardized text
    var bounds: [Int] = []  // [2 * tokens] start, end of each unigram in `standardized`
    var pair: [UInt8] = []  // [bytes of "a b" or "a b c"] the n-gram being looked up
    var origins: [Int] = []  // [standardized bytes] index in the original text (word spans only)

    public init() {}
}

/// Standardize and split: raw bytes -> token byte slices (unigrams, then bigrams, then trigrams,
/// up to `ngrams`). The trainer fits its vocabulary with this same code.
public struct Tokenizer: Sendable {
    public let config: TextPipelineConfig
    private let table: [UInt8]  // [256] output byte per input byte, 0 = delete
    private let lowersUnicode: Bool  // non-ASCII characters are lowercased, not looked up in `table`
    private let spaceOnly: Bool  // split on spaces only

    public init(config: TextPipelineConfig) {
        self.config = config
        self.table = Standardizer.table(for: config.standardize)
        self.lowersUnicode = Standardizer.lowersUnicode(config.standardize)
        self.spaceOnly = config.split == .space
    }

    /// Calls `body` with each token in order. The slices are valid only during the call.
    public func forEachToken(
        in text: UnsafeBufferPointer<UInt8>, scratch: inout TokenizerScratch,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        standardize(text, into: &scratch.standardized, origins: &scratch.origins, recordOrigins: false)
        split(scratch.standardized, into: &scratch.bounds)
        let bounds = scratch.bounds
        try scratch.standardized.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress
            var index = 0
            while index < bounds.count {
                try body(UnsafeBufferPointer(start: base! + bounds[index], count: bounds[index + 1] - bounds[index]))
                index += 2
            }
            // Then the n-grams of each width 2...ngrams in order, joined by one space (Keras order).
            let tokenCount = bounds.count / 2
            guard config.ngrams >= 2 else { return }
            for width in 2...config.ngrams where width <= tokenCount {
                for first in 0...(tokenCount - width) {
                    scratch.pair.removeAll(keepingCapacity: true)
                    for offset in 0..<width {
                        if offset > 0 { scratch.pair.append(0x20) }
                        let token = 2 * (first + offset)
                        scratch.pair.append(contentsOf: bytes[bounds[token]..<bounds[token + 1]])
                    }
                    try scratch.pair.withUnsafeBufferPointer { try body($0) }
                }
            }
        }
    }

    /// The unigrams (words) of `text` as byte ranges of the original text, in order: each range
    /// runs from the first to the last original byte that standardization kept for that word, so
    /// "(Don't!)" spans "Don't". Same splitting as `forEachToken`, whose first tokens these are.
    public func wordSpans(in text: UnsafeBufferPointer<UInt8>, scratch: inout TokenizerScratch) -> [Range<Int>] {
        standardize(text, into: &scratch.standardized, origins: &scratch.origins, recordOrigins: true)
        split(scratch.standardized, into: &scratch.bounds)
        var spans: [Range<Int>] = []
        spans.reserveCapacity(scratch.bounds.count / 2)
        var index = 0
        while index < scratch.bounds.count {
            let first = scratch.origins[scratch.bounds[index]]
            let last = scratch.origins[scratch.bounds[index + 1] - 1]
            spans.append(first..<(last + 1))
            index += 2
        }
        return spans
    }

    /// Convenience for tests and tools: the tokens of a Swift string.
    public func tokens(of text: String) -> [String] {
        var scratch = TokenizerScratch()
        var result: [String] = []
        var text = text
        text.withUTF8 { bytes in
            forEachToken(in: bytes, scratch: &scratch) { result.append(String(decoding: $0, as: UTF8.self)) }
        }
        return result
    }

    /// `recordOrigins`: also note each output byte's index in `text` (a constant at each call
    /// site, so the prediction path compiles without it).
    @inline(__always)
    private func standardize(
        _ text: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], origins: inout [Int], recordOrigins: Bool
    ) {
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(text.count)
        if recordOrigins {
            origins.removeAll(keepingCapacity: true)
            origins.reserveCapacity(text.count)
        }
        let replaceBreaks = config.replaceHTMLBreaks
        table.withUnsafeBufferPointer { table in
            var index = 0
            while index < text.count {
                let byte = text[index]
                if replaceBreaks && byte == 0x3C {
                    let length = Standardizer.htmlBreakLength(text, at: index)
                    if length > 0 {
                        output.append(0x20)
                        if recordOrigins { origins.append(index) }
                        index += length
                        continue
                    }
                }
                if byte >= 0x80 && lowersUnicode {
                    let before = output.count
                    let length = Standardizer.appendLowercased(text, at: index, to: &output)
                    if recordOrigins {  // first byte -> the character's first, the others -> its last
                        origins.append(index)
                        origins.append(contentsOf: repeatElement(index + length - 1, count: output.count - before - 1))
                    }
                    index += length
                    continue
                }
                let mapped = table[Int(byte)]
                if mapped != 0 {
                    output.append(mapped)
                    if recordOrigins { origins.append(index) }
                }
                index += 1
            }
        }
    }

    private func split(_ bytes: [UInt8], into bounds: inout [Int]) {
        bounds.removeAll(keepingCapacity: true)
        var start = -1
        for (index, byte) in bytes.enumerated() {
            if Standardizer.isSeparator(byte, spaceOnly: spaceOnly) {
                if start >= 0 {
                    bounds.append(start)
                    bounds.append(index)
                    start = -1
                }
            } else if start < 0 {
                start = index
            }
        }
        if start >= 0 {
            bounds.append(start)
            bounds.append(bytes.count)
        }
    }
}
