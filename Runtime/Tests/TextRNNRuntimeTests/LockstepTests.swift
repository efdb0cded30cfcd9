import CTextRNNKernels
import Foundation
import Testing

@_spi(TextRNNInternal) @testable import TextRNNRuntime

/// Lockstep groups (`RecurrentLayer.forward(lanes:)`, trk_gemv_f32_lanes): several texts through
/// a recurrent layer together give each text the bits it gets alone.
@Suite struct LockstepTests {
    static let words = (0..<40).map { "w\($0)" }

    /// Texts of many lengths (empty, unknown words only, longer than the sequence length).
    static let texts: [String] = (0..<23).map { index in
        (0..<((index * 37) % 71)).map { words[($0 * 13 + index * 7) % words.count] }.joined(separator: " ")
    } + ["", "unknown words only", String(repeating: "w1 w2 w3 ", count: 60)]

    static func recurrent(_ cell: RecurrentCell, _ units: Int, sequences: Bool = false, backwards: Bool = false, resetAfter: Bool = true) -> RecurrentSpec {
        var spec = RecurrentSpec(cell: cell, units: units, returnSequences: sequences, goBackwards: backwards)
        spec.resetAfter = resetAfter
        return spec
    }

    /// Kernels larger than L1 (groups are only made for those: trk_lanes_worthwhile), with
    /// widths chosen so the product has main blocks and tail columns at every level, and an odd
    /// number of rows: LSTM 101 units (404 columns, 160 KiB), GRU 71 (213, 59 KiB), SimpleRNN 121
    /// (121, 57 KiB), LSTM 64 (256, 64 KiB).
    static let architectures: [(String, [LayerSpec], TextPipelineConfig)] = [
        ("BiLSTM concat, post padding", [
            .bidirectional(forward: recurrent(.lstm, 101), backward: recurrent(.lstm, 101, backwards: true), mergeMode: .concat),
            .dense(units: 3, activation: .softmax)], TextPipelineConfig(sequenceLength: 64, padding: .post)),
        ("GRU reset_after sequences, max pool, pre padding", [
            .recurrent(recurrent(.gru, 71, sequences: true)), .globalMaxPooling(masked: false),
            .dense(units: 3, activation: .softmax)], TextPipelineConfig(sequenceLength: 50, padding: .pre)),
        ("stacked: BiGRU sequences, then SimpleRNN backwards, no fixed length", [
            .bidirectional(forward: recurrent(.gru, 71, sequences: true), backward: recurrent(.gru, 71, sequences: true, backwards: true), mergeMode: .sum),
            .recurrent(recurrent(.simpleRNN, 121, backwards: true)),
            .dense(units: 3, activation: .softmax)], TextPipelineConfig()),
        ("LSTM sequences, average pool, bigrams", [
            .recurrent(recurrent(.lstm, 64, sequences: true)), .globalAveragePooling,
            .dense(units: 3, activation: .softmax)], TextPipelineConfig(ngrams: 2, sequenceLength: 40)),
        ("GRU reset_after false (one text at a time)", [
            .recurrent(recurrent(.gru, 71, resetAfter: false)), .dense(units: 3, activation: .softmax)], TextPipelineConfig()),
    ]

    @Test(arguments: 0..<5)
    func groupsGiveEachTextItsOwnBits(_ architecture: Int) throws {
        let (name, layers, config) = Self.architectures[architecture]
        let model = try randomModel(layers, text: config, words: Self.words)
        #expect(model.sharesProducts == (architecture != 4), "\(name)")
        try atEveryKernelLevel { level in
            let alone = try Self.texts.flatMap { try model.predict(text: $0) }
            // One thread: the level is set for this thread only (workers would use the process's).
            let grouped = try model.probabilities(for: Self.texts, threads: 1)
            let mismatches: [Int] = (0..<Self.texts.count).filter { (text: Int) -> Bool in
                grouped[(3 * text)..<(3 * text + 3)] != alone[(3 * text)..<(3 * text + 3)]
            }
            #expect(mismatches.isEmpty, "\(name), \(level): texts \(mismatches)")
        }
        // Two workers, each taking groups, at the process's level.
        let alone = try Self.texts.flatMap { try model.predict(text: $0) }
        #expect(try model.probabilities(for: Self.texts, threads: 2) == alone, "\(name), two workers")
    }

    @Test func kernelsThatFitL1TakeOneTextAtATime() throws {
        let small = try randomModel([.recurrent(Self.recurrent(.gru, 32)), .dense(units: 3, activation: .softmax)], words: Self.words)
        #expect(trk_lanes_worthwhile(32, 96) == 0 && !small.sharesProducts, "a 12 KiB GRU kernel fits every L1 here")
        #expect(trk_lanes_worthwhile(64, 256) != 0, "64 KiB fits no common L1")
        #expect(try small.probabilities(for: Self.texts, threads: 1) == Self.texts.flatMap { try small.predict(text: $0) })
    }

    @Test func int8ModelsTakeOneTextAtATimeWithTheSameResults() throws {
        let (_, layers, config) = Self.architectures[0]
        let model = try randomModel(layers, text: config, words: Self.words, int8: true)
        #expect(!model.sharesProducts, "int8 recurrent kernels fit L1: no lockstep")
        #expect(try model.probabilities(for: Self.texts, threads: 1) == Self.texts.flatMap { try model.predict(text: $0) })
    }

    /// Every lane count and every lane position against trk_gemv_f32_from, at every level, with
    /// the output in place of the start (as GRU's product is).
    @Test func theLanesKernelIsTheSingleKernelPerLane() {
        var seed: UInt64 = 7
        func random() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed) >> 40) / Float(1 << 23)
        }
        atEveryKernelLevel { level in
            for (k, n) in [(37, 148), (64, 256), (23, 69), (70, 70), (5, 16), (8, 200)] {
                let w = (0..<(k * n)).map { _ in random() }
                var panels = [Float](repeating: 0, count: trk_panels_f32_size(Int32(k), Int32(n)))
                trk_pack_panels_f32(w, Int32(k), Int32(n), &panels)
                for lanes in 1...Int(TRK_LANES) {
                    let x = (0..<lanes).map { _ in (0..<k).map { _ in random() } }
                    let start = (0..<lanes).map { _ in (0..<n).map { _ in random() } }
                    let expected = (0..<lanes).map { l in
                        var y = [Float](repeating: 0, count: n)
                        trk_gemv_f32_from(start[l], x[l], Int32(k), w, Int32(n), Int32(n), &y)
                        return y
                    }
                    var y = start  // in place
                    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>?>.allocate(capacity: lanes)
                    let inits = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: lanes)
                    let xs = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: lanes)
                    let rows = (0..<lanes).map { l in UnsafeMutablePointer<Float>.allocate(capacity: n) }
                    let vectors = (0..<lanes).map { l in UnsafeMutablePointer<Float>.allocate(capacity: k) }
                    for l in 0..<lanes {
                        rows[l].initialize(from: y[l], count: n)
                        vectors[l].initialize(from: x[l], count: k)
                        pointers[l] = rows[l]
                        inits[l] = UnsafePointer(rows[l])
                        xs[l] = UnsafePointer(vectors[l])
                    }
                    trk_gemv_f32_lanes(Int32(lanes), inits, xs, Int32(k), w, panels, Int32(n), pointers)
                    for l in 0..<lanes {
                        y[l] = Array(UnsafeBufferPointer(start: rows[l], count: n))
                        #expect(y[l] == expected[l], "\(level): k \(k), n \(n), lane \(l) of \(lanes)")
                        rows[l].deallocate()
                        vectors[l].deallocate()
                    }
                    pointers.deallocate()
                    inits.deallocate()
                    xs.deallocate()
                }
            }
        }
    }
}
