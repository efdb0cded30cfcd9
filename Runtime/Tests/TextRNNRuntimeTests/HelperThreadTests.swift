import CTextRNNKernels
import Foundation
import Synchronization
import Testing

@_spi(TextRNNInternal) @testable import TextRNNRuntime

/// The helper threads (textrnn_helpers.h) and the Bidirectional directions they run: the same
/// bits as one thread, whoever gets a helper. Serialized: the tests count on a free helper.
@Suite(.serialized) struct HelperThreadTests {
    static let words = ["the", "film", "was", "not", "good", "bad", "at", "all", "very", "moving"]
    static let texts = [
        "", "the", "the film was not good at all", "very very moving", "unknown words only",
        String(repeating: "the film was very good but not at all moving ", count: 12),
    ]

    static func lstm(_ units: Int, sequences: Bool = false, backwards: Bool = false) -> RecurrentSpec {
        RecurrentSpec(cell: .lstm, units: units, returnSequences: sequences, goBackwards: backwards)
    }

    /// Bidirectional LSTM (concat), GRU (sum), two stacked Bidirectional layers, each float and int8.
    static let architectures: [[LayerSpec]] = [
        [.bidirectional(forward: lstm(8), backward: lstm(8, backwards: true), mergeMode: .concat),
         .dense(units: 3, activation: .softmax)],
        [.bidirectional(forward: RecurrentSpec(cell: .gru, units: 5, returnSequences: true),
                        backward: RecurrentSpec(cell: .gru, units: 5, returnSequences: true, goBackwards: true), mergeMode: .sum),
         .globalMaxPooling(masked: true), .dense(units: 3, activation: .softmax)],
        [.bidirectional(forward: lstm(6, sequences: true), backward: lstm(6, sequences: true, backwards: true), mergeMode: .concat),
         .bidirectional(forward: lstm(4), backward: lstm(4, backwards: true), mergeMode: .ave),
         .dense(units: 3, activation: .softmax)],
    ]

    static func predict(_ model: Model, _ text: String, split: Bool, scratch: PredictionScratch) throws -> [Float] {
        var probabilities = [Float](repeating: 0, count: model.labelCount)
        var text = text
        try text.withUTF8 { bytes in
            try probabilities.withUnsafeMutableBufferPointer { output in
                try model.predict(text: bytes, into: output, scratch: scratch, splitDirections: split)
            }
        }
        return probabilities
    }

    @Test func aHelperRunsEachTaskOnceOnAnotherThread() throws {
        guard onlineProcessors() > 1 else {
            #expect(trk_helper_count() == 0, "one CPU: no helper")
            return
        }
        #expect(trk_helper_count() == min(onlineProcessors() - 1, 8))
        final class Record: @unchecked Sendable {  // written by the helper, read after join
            var runs = 0
            var thread = pthread_self()
        }
        let record = Record()
        for _ in 0..<100 {
            var handle: Int32 = -1
            let deadline = Date().addingTimeInterval(30)
            while handle < 0 && Date() < deadline {  // another suite may hold the helper for a moment
                handle = trk_helper_post({ context in
                    let record = Unmanaged<Record>.fromOpaque(context!).takeUnretainedValue()
                    record.runs += 1
                    record.thread = pthread_self()
                }, Unmanaged.passUnretained(record).toOpaque())
            }
            try #require(handle >= 0, "no helper came free in 30 s")
            trk_helper_join(handle)
            #expect(pthread_equal(record.thread, pthread_self()) == 0)
        }
        #expect(record.runs == 100)
    }

    @Test(arguments: 0..<3, [false, true])
    func splitDirectionsGiveTheSameBits(_ architecture: Int, _ int8: Bool) throws {
        let model = try randomModel(Self.architectures[architecture], text: TextPipelineConfig(ngrams: 2), words: Self.words, int8: int8)
        try atEveryKernelLevel { level in
            let scratch = PredictionScratch()
            for text in Self.texts {
                let alone = try Self.predict(model, text, split: false, scratch: scratch)
                let split = try Self.predict(model, text, split: true, scratch: scratch)
                #expect(alone == split, "\(level): \(text.prefix(30))")
            }
            if onlineProcessors() > 1 { #expect(scratch.directionTask.helperRuns > 0, "a helper ran some directions") }
        }
    }

    /// More callers than helpers: those without one run both directions themselves.
    @Test func callersContendingForHelpersGetTheSameBits() throws {
        let model = try randomModel(Self.architectures[0], words: Self.words)
        let texts = (0..<40).map { index in (0..<(index % 23)).map { Self.words[($0 * 7 + index) % Self.words.count] }.joined(separator: " ") }
        let expected = try texts.map { try Self.predict(model, $0, split: false, scratch: PredictionScratch()) }
        let mismatches = Atomic<Int>(0)
        runWorkers(4) { _ in
            let scratch = PredictionScratch()
            for _ in 0..<25 {
                for (text, expected) in zip(texts, expected) {
                    let split = try? Self.predict(model, text, split: true, scratch: scratch)
                    if split != expected { mismatches.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }

    /// textrnn_predict_batch's rule: two or more threads per text split each text's directions.
    @Test func oneTextOnTwoThreadsIsTheSameAsOnOne() throws {
        let model = try randomModel(Self.architectures[2], words: Self.words)
        let one = try model.probabilities(for: Self.texts, threads: 1)
        for threads in [2, 12, 13, 64] {
            #expect(try model.probabilities(for: Self.texts, threads: threads) == one, "\(threads) threads")
        }
        for text in Self.texts {
            #expect(try model.probabilities(for: [text], threads: 2) == model.predict(text: text))
        }
    }
}
