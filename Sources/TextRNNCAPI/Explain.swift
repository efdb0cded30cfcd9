// textrnn_explain: occlusion explanations through the C ABI (helpers in CAPI.swift).

import CTextRNN
import TextRNNRuntime

@c @implementation public func textrnn_explain(
    _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ text_size: Int, _ label: Int,
    _ occlusion: textrnn_occlusion, _ threads: Int, _ words: UnsafeMutablePointer<textrnn_word_contribution>?,
    _ capacity: Int, _ out_count: UnsafeMutablePointer<Int>?, _ out_label: UnsafeMutablePointer<Int>?,
    _ out_probability: UnsafeMutablePointer<Float>?
) -> textrnn_status {
    run("textrnn_explain") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard let out_count else { throw TextRNNError(.invalidArgument, "out_count is NULL") }
        guard words != nil || capacity == 0 else {
            throw TextRNNError(.invalidArgument, "words is NULL but capacity is \(unsigned(capacity))")
        }
        var chosen: Int? = nil
        if unsigned(label) != UInt.max {  // TEXTRNN_PREDICTED_LABEL
            guard unsigned(label) < UInt(handle.labelCount) else {
                throw TextRNNError(.invalidArgument, "label \(unsigned(label)) is outside 0..<\(handle.labelCount) (or TEXTRNN_PREDICTED_LABEL)")
            }
            chosen = label
        }
        let mode: Occlusion
        switch occlusion {
        case TEXTRNN_OCCLUDE_OOV: mode = .oov
        case TEXTRNN_OCCLUDE_PADDING: mode = .padding
        default: throw TextRNNError(.invalidArgument, "occlusion \(occlusion.rawValue) is not a textrnn_occlusion value")
        }
        let workers = Int(min(unsigned(threads), UInt(maxBatchThreads)))
        let bytes = try textBytes(text, text_size)
        let limit = Int(min(unsigned(capacity), UInt(Int.max)))
        let explanation = try handle.model.explain(
            text: bytes, label: chosen, occlusion: mode, threads: workers, wordLimit: limit)
        if let words {
            for (index, word) in explanation.words.enumerated() {
                words[index] = textrnn_word_contribution(
                    offset: word.range.lowerBound, length: word.range.count, contribution: word.contribution,
                    seen: word.seen ? 1 : 0)
            }
        }
        out_count.pointee = explanation.wordCount
        out_label?.pointee = explanation.label
        out_probability?.pointee = explanation.probability
    }
}
