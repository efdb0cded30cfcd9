/// Raw text -> token ids, exactly as the model was trained: tokenize, look up, put the start
/// token (if any) first, then pad and truncate to `sequenceLength`. Immutable and shared by all
/// threads.
public struct TextPipeline: Sendable {
    public let tokenizer: Tokenizer
    public let vocabulary: Vocabulary
    public var config: TextPipelineConfig { tokenizer.config }

    /// `vocabulary` must have been built with `config`'s special tokens (`Vocabulary(tokens:config:)`).
    public init(config: TextPipelineConfig, vocabulary: Vocabulary) {
        self.tokenizer = Tokenizer(config: config)
        self.vocabulary = vocabulary
    }

    public init(config: TextPipelineConfig, tokens: [[UInt8]]) throws(TextRNNError) {
        self.init(config: config, vocabulary: try Vocabulary(tokens: tokens, config: config))
    }

    /// Replaces `ids` with the encoded text. With a `sequenceLength` the result has exactly that
    /// many ids (0 = padding); without one it has one id per token (and the start token), at most
    /// `TextLimits.maxTokens`.
    public func encode(
        _ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout TokenizerScratch
    ) throws(TextRNNError) {
        let length = config.sequenceLength
        // Keeping the first `length` tokens needs no more than `length`; keeping the last needs all.
        let keep = (length != nil && config.truncating == .post) ? length! : TextLimits.maxTokens
        try lookUp(text, into: &ids, keep: keep, leadingStart: true, scratch: &scratch)
        guard config.sequenceLength != nil else { return }
        // Post truncation stopped at `keep` ids, which the window keeps too.
        let window = SequenceWindow(tokenCount: ids.count - (vocabulary.startID == nil ? 0 : 1), config: config)
        if window.dropped > 0 { ids.removeFirst(window.dropped) }
        if window.leadingPadding > 0 {
            ids.insert(contentsOf: repeatElement(Vocabulary.paddingID, count: window.leadingPadding), at: 0)
        }
        if window.trailingPadding > 0 {
            ids.append(contentsOf: repeatElement(Vocabulary.paddingID, count: window.trailingPadding))
        }
    }

    /// Replaces `tokens` with the id of every token of the text, unpadded and untruncated (at
    /// most `TextLimits.maxTokens`), without the start token: what the bag branch reads.
    /// `window` makes the model input.
    public func encodeTokens(
        _ text: UnsafeBufferPointer<UInt8>, into tokens: inout [Int32], scratch: inout TokenizerScratch
    ) throws(TextRNNError) {
        try lookUp(text, into: &tokens, keep: TextLimits.maxTokens, leadingStart: false, scratch: &scratch)
    }

    /// Replaces `ids` with the model input of a text whose `encodeTokens` are `tokens`: exactly
    /// what `encode` gives for that text.
    public func window(_ tokens: UnsafeBufferPointer<Int32>, into ids: inout [Int32]) {
        ids.removeAll(keepingCapacity: true)
        let window = SequenceWindow(tokenCount: tokens.count, config: config)
        ids.append(contentsOf: repeatElement(Vocabulary.paddingID, count: window.leadingPadding))
        // The window is over the start token (when there is one) followed by the tokens.
        let start = vocabulary.startID ?? Vocabulary.paddingID
        for index in window.dropped..<(window.dropped + window.kept) {
            ids.append(index < window.leading ? start : tokens[index - window.leading])
        }
        ids.append(contentsOf: repeatElement(Vocabulary.paddingID, count: window.trailingPadding))
    }

    /// The ids of the text's first `keep` tokens, led by the start token (counted in `keep`) when
    /// `leadingStart` and the pipeline has one.
    private func lookUp(
        _ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], keep: Int, leadingStart: Bool, scratch: inout TokenizerScratch
    ) throws(TextRNNError) {
        guard text.count <= TextLimits.maxTextBytes else {
            throw TextRNNError(.limitExceeded, "text of \(text.count) bytes exceeds the limit of \(TextLimits.maxTextBytes)")
        }
        ids.removeAll(keepingCapacity: true)
        let vocabulary = self.vocabulary
        if leadingStart, let start = vocabulary.startID { ids.append(start) }
        tokenizer.forEachToken(in: text, scratch: &scratch) { token in
            if ids.count < keep { ids.append(vocabulary.id(of: token)) }
        }
    }

    /// Convenience: the ids of a Swift string.
    public func encode(_ text: String) throws(TextRNNError) -> [Int32] {
        try ids(of: text) { bytes, ids, scratch throws(TextRNNError) in try encode(bytes, into: &ids, scratch: &scratch) }
    }

    /// Convenience: every token id of a Swift string (`encodeTokens`).
    public func encodeTokens(_ text: String) throws(TextRNNError) -> [Int32] {
        try ids(of: text) { bytes, ids, scratch throws(TextRNNError) in try encodeTokens(bytes, into: &ids, scratch: &scratch) }
    }

    private func ids(
        of text: String,
        _ body: (UnsafeBufferPointer<UInt8>, inout [Int32], inout TokenizerScratch) throws(TextRNNError) -> Void
    ) throws(TextRNNError) -> [Int32] {
        var ids: [Int32] = []
        var scratch = TokenizerScratch()
        var text = text
        let result: Result<Void, TextRNNError> = text.withUTF8 { bytes in
            do throws(TextRNNError) {
                try body(bytes, &ids, &scratch)
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
        return ids
    }
}
