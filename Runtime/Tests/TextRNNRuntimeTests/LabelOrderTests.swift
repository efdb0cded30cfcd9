import Foundation
import Testing
import TextRNNTestSupport

@_spi(TextRNNInternal) @testable import TextRNNRuntime

/// The one top-label rule (LabelOrder) and the one batch loop (Model.predictBatch).
@Suite struct LabelOrderTests {
    @Test func mostProbableFirst() {
        #expect(LabelOrder.top([0.1, 0.7, 0.2] as [Float]) == 1)
        #expect(LabelOrder.ranked([0.1, 0.7, 0.2] as [Float]) == [1, 2, 0])
    }

    @Test func tiesGoToTheLowerIndex() {
        #expect(LabelOrder.top([0.2, 0.4, 0.4] as [Float]) == 1)
        #expect(LabelOrder.ranked([0.25, 0.25, 0.25, 0.25] as [Float]) == [0, 1, 2, 3])
        #expect(LabelOrder.ranked([0, 0.5, 0, 0.5] as [Float]) == [1, 3, 0, 2])
    }

    @Test func nanRanksBelowEveryNumber() {
        #expect(LabelOrder.top([.nan, 0.1, 0.9] as [Float]) == 2)
        #expect(LabelOrder.top([.nan, -.infinity] as [Float]) == 0, "NaN ties -infinity: lower index")
        #expect(LabelOrder.top([-.infinity, .nan] as [Float]) == 0)
        #expect(LabelOrder.top([.nan, .nan, .nan] as [Float]) == 0)
        #expect(LabelOrder.ranked([.nan, 0.3, .nan, 0.7] as [Float]) == [3, 1, 0, 2])
        #expect(LabelOrder.chosen([.nan, 0.5, 0.49, 1] as [Float]) == [1, 3], "multi-label: p >= 0.5, never NaN")
    }

    @Test func rowsOfAFlatBufferAreIndexedFromZero() {
        let rows: [Float] = [0.9, 0.1, 0.3, 0.7, 0.5, 0.5]
        #expect((0..<3).map { LabelOrder.top(rows[($0 * 2)..<($0 * 2 + 2)]) } == [0, 1, 0])
        #expect(LabelOrder.chosen(rows[2..<4]) == [1])
    }

    @Test func binaryNetworkOutputIsTheProbabilityOfLabelOne() {
        #expect(LabelOrder.top(networkOutput: [0.7] as [Float], .binarySigmoid) == 1)
        #expect(LabelOrder.top(networkOutput: [0.3] as [Float], .binarySigmoid) == 0)
        // Exactly 0.5 is a tie of [0.5, 0.5]: label 0, as Keras's binary accuracy (p > 0.5).
        #expect(LabelOrder.top(networkOutput: [0.5] as [Float], .binarySigmoid) == 0)
        #expect(LabelOrder.top(networkOutput: [Float.nan], .binarySigmoid) == 0)
        #expect(LabelOrder.top(networkOutput: [0.2, 0.3, 0.5] as [Float], .softmax) == 2)
    }

    // MARK: the batch loop

    private func model() throws -> Model {
        let (manifest, weights) = try BundleWriter.encode(
            try KerasModelFixture(contentsOf: KerasFixtures.url("models", "bilstm_lstm_softmax_pre")).bundleContents())
        return try load(manifest, weights)
    }

    @Test func batchRowsMatchSinglePredictionsForAnyWorkerCount() throws {
        let model = try model()
        let texts = (0..<23).map { index in (0..<(index % 7 + 1)).map { "t\(($0 * 5 + index) % 40 + 2)" }.joined(separator: " ") }
        let single = try texts.flatMap { try model.predict(text: $0) }
        for workers in [1, 2, 5, 64] {
            #expect(try model.probabilities(for: texts, threads: workers) == single, "\(workers) workers")
        }
    }

    @Test func theLowestFailingRowIsReported() throws {
        let model = try model()
        let tooLong = [UInt8](repeating: 0x61, count: TextLimits.maxTextBytes + 1)
        var texts = [[UInt8]](repeating: Array("t2 t3".utf8), count: 40)
        texts[31] = tooLong
        texts[17] = tooLong
        for workers in [1, 3] {
            var output = [Float](repeating: 0, count: texts.count * model.labelCount)
            let failure = output.withUnsafeMutableBufferPointer { output in
                model.predictBatch(ByteBatch(texts), into: output.baseAddress!, scratches: (0..<workers).map { _ in PredictionScratch() }, threads: workers)
            }
            #expect(failure?.index == 17, "\(workers) workers")
            #expect(failure?.error.status == .limitExceeded)
        }
        expectFailure(.invalidArgument, "row 2: ") {
            try model.probabilities(for: ["t2", String(repeating: "a", count: TextLimits.maxTextBytes + 1), "t3"], threads: 2)
        }
    }
}
