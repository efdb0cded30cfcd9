import Dispatch
import TextRNNRuntime

extension Model {
    /// Probabilities [texts, labels] from the runtime (the path `libtextrnn.so` takes), the
    /// texts shared among `threads` workers, each with its own scratch. The earliest failing row
    /// (1-based) is reported, whatever the thread timing.
    public func probabilities(for texts: [String], threads: Int) throws -> [Float] {
        let width = labelCount
        var output = [Float](repeating: 0, count: texts.count * width)
        let failures = FirstError()
        let workers = max(1, threads)
        output.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let scratch = PredictionScratch()
                for row in stride(from: worker, to: texts.count, by: workers) {
                    var text = texts[row]
                    do {
                        try text.withUTF8 { bytes in
                            try predict(text: bytes, into: UnsafeMutableBufferPointer(start: base + row * width, count: width), scratch: scratch)
                        }
                    } catch {
                        failures.record(row, "row \(row + 1): \(error)")
                        return
                    }
                }
            }
        }
        if let message = failures.message { throw TextRNNError(.invalidArgument, message) }
        return output
    }
}
