import CTextRNNKernels
import Foundation
import Testing

/// Every SIMD kernel level against the portable C one, on sizes with tails in both dimensions
/// (k rows not a multiple of 4 or 8, n columns not a multiple of 8, 16, 32 or 64), a row stride
/// wider than n, and nothing written past n.
@Suite struct KernelTests {
    /// (k inputs, n outputs): 1×1, odd, exactly one block, one block and a tail, the P1 step.
    static let sizes = [(1, 1), (3, 7), (4, 8), (5, 33), (17, 65), (7, 71), (33, 64), (63, 257), (64, 256), (130, 97), (64, 1), (2, 300)]

    struct Case {
        let k: Int, n: Int, ldw: Int
        var x: [Float], w: [Float], w8: [Int8], scales: [Float], initial: [Float]
        var packed: [Int8], sums: [Int32]

        init(k: Int, n: Int, seed: UInt64) {
            var generator = KernelTestRandom(seed: seed)
            self.k = k
            self.n = n
            ldw = n + 3
            x = (0..<k).map { _ in generator.uniform() * 3 }
            if k > 2 { x[2] = -10 }  // the largest magnitude, negative: quantizes to -63
            w = (0..<(k * ldw)).map { _ in generator.uniform() }
            // Every int8 value, -128 included (packing reads it as -127 at every level).
            w8 = (0..<(k * ldw)).map { _ in Int8(truncatingIfNeeded: Int(generator.next() % 256)) }
            scales = (0..<n).map { _ in 0.01 * (1.5 + generator.uniform()) }
            initial = (0..<n).map { _ in generator.uniform() }
            packed = [Int8](repeating: 0, count: trk_packed_size(Int32(k), Int32(n)))
            sums = [Int32](repeating: 0, count: n)
            trk_pack_s8(w8, Int32(k), Int32(ldw), Int32(n), &packed, &sums)
        }

        /// Bound on the rounding difference between two summation orders of x · W (float W).
        func floatTolerance(_ weights: [Float]) -> Float {
            let mass = x.map(abs).reduce(0, +) * (weights.map(abs).max() ?? 0)
            return 1e-6 * (mass + 1)
        }
    }

    enum Kernel: CaseIterable { case gemvFrom, gemvAccumulate, gemvInt8Weights, gemvQuantized, gemvQuantizedFrom }

    /// The kernel's output for `c` at the level in use, with a sentinel after the n outputs.
    static func run(_ kernel: Kernel, _ c: Case) -> [Float] {
        var y = c.initial + [Float.nan]
        var scratch = [UInt8](repeating: 0, count: (c.k + 3) / 4 * 4 + 64)
        var accumulators = [Int32](repeating: 0, count: c.n)
        switch kernel {
        case .gemvFrom:
            var out = [Float](repeating: 7, count: c.n) + [Float.nan]
            trk_gemv_f32_from(c.initial, c.x, Int32(c.k), c.w, Int32(c.ldw), Int32(c.n), &out)
            return out
        case .gemvAccumulate: trk_gemv_f32(c.x, Int32(c.k), c.w, Int32(c.ldw), Int32(c.n), &y)
        case .gemvInt8Weights: trk_gemv_f32s8(c.x, Int32(c.k), c.w8, Int32(c.ldw), Int32(c.n), c.scales, &y)
        case .gemvQuantized:
            trk_gemv_q8(c.x, Int32(c.k), c.packed, c.sums, c.scales, Int32(c.n), &y, &scratch, &accumulators)
        case .gemvQuantizedFrom:
            var out = [Float](repeating: 7, count: c.n) + [Float.nan]
            trk_gemv_q8_from(c.initial, c.x, Int32(c.k), c.packed, c.sums, c.scales, Int32(c.n), &out, &scratch, &accumulators)
            return out
        }
        return y
    }

    @Test(arguments: Kernel.allCases)
    func matrixVectorKernelsMatchPortable(_ kernel: Kernel) {
        let cases = Self.sizes.enumerated().map { Case(k: $1.0, n: $1.1, seed: UInt64($0) + 1) }
        var reference: [[Float]] = []
        atEveryKernelLevel { level in
            for (index, c) in cases.enumerated() {
                let y = Self.run(kernel, c)
                #expect(y[c.n].isNaN, "\(kernel) [\(level)] k \(c.k) n \(c.n): wrote past n")
                if level == "portable" { reference.append(y); continue }
                let tolerance: Float = switch kernel {
                case .gemvFrom, .gemvAccumulate: c.floatTolerance(c.w)
                // Integer dot products are exact at every level; only the float scaling rounds.
                case .gemvInt8Weights, .gemvQuantized, .gemvQuantizedFrom: c.floatTolerance(c.w8.map { Float($0) * 0.03 })
                }
                let worst = zip(y.prefix(c.n), reference[index]).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= tolerance, "\(kernel) [\(level)] k \(c.k) n \(c.n): differs from portable by \(worst)")
            }
        }
    }

    @Test func quantizedZeroInputAddsNothing() {
        let c = Case(k: 13, n: 19, seed: 9)
        var zero = c
        zero.x = [Float](repeating: 0, count: c.k)
        atEveryKernelLevel { level in
            #expect(Array(Self.run(.gemvQuantizedFrom, zero).prefix(c.n)) == c.initial, "[\(level)]")
            #expect(Array(Self.run(.gemvQuantized, zero).prefix(c.n)) == c.initial, "[\(level)]")
        }
    }

    /// The largest products the 7-bit activation grid allows (every activation ±max, every
    /// weight ±127 or a stray -128) come out exact at every level: the pairs vpmaddubsw adds into
    /// int16 without VNNI never saturate. Columns alternate in sign and activations in sign per
    /// column pattern, so both saturation directions are tried.
    @Test func quantizedExtremesAreExact() {
        let k = 67, n = 72  // a 64-column block, a tail, and a partial row group
        let x = (0..<k).map { i in Float(i % 3 == 2 ? -1 : 1) * 2.5 }
        var w8 = [Int8](repeating: 0, count: k * n)
        for i in 0..<k { for j in 0..<n { w8[i * n + j] = j % 2 == 0 ? 127 : (j % 4 == 1 ? -127 : -128) } }
        var packed = [Int8](repeating: 0, count: trk_packed_size(Int32(k), Int32(n)))
        var sums = [Int32](repeating: 0, count: n)
        trk_pack_s8(w8, Int32(k), Int32(n), Int32(n), &packed, &sums)
        let scales = [Float](repeating: 1, count: n)
        let expected = (0..<n).map { j in
            // q = ±63 for every activation (all have the largest magnitude); -128 reads as -127.
            (0..<k).reduce(0.0) { $0 + Double(x[$1] > 0 ? 63 : -63) * Double(max(-127, w8[$1 * n + j])) } * 2.5 / 63
        }
        var scratch = [UInt8](repeating: 0, count: (k + 3) / 4 * 4 + 64)
        var accumulators = [Int32](repeating: 0, count: n)
        atEveryKernelLevel { level in
            var y = [Float](repeating: 0, count: n)
            trk_gemv_q8(x, Int32(k), packed, sums, scales, Int32(n), &y, &scratch, &accumulators)
            let worst = zip(y, expected).map { abs(Double($0) - $1) / abs($1) }.max()!
            #expect(worst < 1e-6, "[\(level)] relative error \(worst)")
        }
    }

    @Test func activationsMatchDoublePrecision() {
        var generator = KernelTestRandom(seed: 5)
        for n in [1, 7, 8, 9, 17, 64, 67] {
            let v = (0..<(40 * n)).map { _ in generator.uniform() * 20 }
            atEveryKernelLevel { level in
                var s = v, t = v
                trk_sigmoid(&s, Int32(s.count))
                trk_tanh(&t, Int32(t.count))
                let sigmoidError = zip(s, v).map { abs(Double($0) - 1 / (1 + exp(-Double($1)))) }.max()!
                let tanhError = zip(t, v).map { abs(Double($0) - tanh(Double($1))) }.max()!
                #expect(sigmoidError < 1e-6 && tanhError < 1e-6, "n \(n) [\(level)]: sigmoid \(sigmoidError), tanh \(tanhError)")
            }
        }
    }

    /// Both gate precisions against the formula in double precision: float models' gates within
    /// 2e-6, int8 models' coarse ones within 2e-4 (sigmoid 2.3e-5 and tanh 4.6e-5, compounded
    /// through c with |c| up to 2). Inputs reach ±6, past the coarse clamp.
    @Test(arguments: [Int32(0), 1])
    func lstmGatesMatchTheFormula(coarse: Int32) {
        let tolerance = coarse == 0 ? 2e-6 : 2e-4
        var generator = KernelTestRandom(seed: 6)
        for units in [1, 5, 8, 13, 64] {
            let z = (0..<(4 * units)).map { _ in generator.uniform() * 6 }
            let c0 = (0..<units).map { _ in generator.uniform() * 2 }
            func sigmoid(_ x: Float) -> Double { 1 / (1 + exp(-Double(x))) }
            var portable: [Float] = []
            atEveryKernelLevel { level in
                var gates = z, c = c0, h = [Float](repeating: 0, count: units)
                trk_lstm_gates(&gates, &c, &h, Int32(units), coarse)
                for j in 0..<units {
                    let cell = sigmoid(z[units + j]) * Double(c0[j]) + sigmoid(z[j]) * tanh(Double(z[2 * units + j]))
                    let out = sigmoid(z[3 * units + j]) * tanh(cell)
                    #expect(abs(Double(c[j]) - cell) < tolerance && abs(Double(h[j]) - out) < tolerance, "units \(units) [\(level)] j \(j)")
                }
                // Levels differ only by float rounding (FMA, the reciprocal's refinement).
                if level == "portable" { portable = c + h } else {
                    #expect(zip(c + h, portable).allSatisfy { abs($0 - $1) < 2e-6 }, "units \(units) [\(level)] vs portable")
                }
            }
        }
    }

    /// The fused GRU step gives the bits of the separate passes it replaced (trk_sigmoid and
    /// trk_tanh over slices, plain multiplies and adds), and the formula within float error; int8
    /// models' coarse step gives the formula within 2e-4 and the portable level's numbers.
    @Test(arguments: [Int32(0), 1])
    func gruGatesAreTheSeparatePassesBitForBit(coarse: Int32) {
        var generator = KernelTestRandom(seed: 7)
        for units in [1, 5, 8, 13, 16, 32, 37] {
            let x = (0..<(3 * units)).map { _ in generator.uniform() * 4 }
            let g0 = (0..<(3 * units)).map { _ in generator.uniform() * 4 }
            let h0 = (0..<units).map { _ in generator.uniform() }
            func sigmoid(_ x: Float) -> Double { 1 / (1 + exp(-Double(x))) }
            var portable: [Float] = []
            atEveryKernelLevel { level in
                var g = g0, h = h0
                trk_gru_gates(x, &g, &h, Int32(units), coarse)
                if coarse == 0 {
                    var separate = g0, expected = h0
                    for j in 0..<(2 * units) { separate[j] += x[j] }
                    trk_sigmoid(&separate, Int32(2 * units))
                    for j in 0..<units { separate[2 * units + j] = x[2 * units + j] + separate[units + j] * separate[2 * units + j] }
                    separate.withUnsafeMutableBufferPointer { trk_tanh($0.baseAddress! + 2 * units, Int32(units)) }
                    for j in 0..<units { expected[j] = separate[j] * expected[j] + (1 - separate[j]) * separate[2 * units + j] }
                    #expect(h == expected && g == separate, "units \(units) [\(level)]")
                } else if level == "portable" {
                    portable = h
                } else {
                    #expect(zip(h, portable).allSatisfy { abs($0 - $1) < 2e-6 }, "units \(units) [\(level)] vs portable")
                }
                for j in 0..<units {
                    let z = sigmoid(g0[j] + x[j]), r = sigmoid(g0[units + j] + x[units + j])
                    let candidate = tanh(Double(x[2 * units + j]) + r * Double(g0[2 * units + j]))
                    let error = abs(Double(h[j]) - (z * Double(h0[j]) + (1 - z) * candidate))
                    #expect(error < (coarse == 0 ? 2e-6 : 2e-4), "units \(units) [\(level)] j \(j)")
                }
            }
        }
    }
}

/// SplitMix64: seeded inputs for the kernels (the runtime's tests do not depend on the trainer
/// and its generator).
struct KernelTestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { 2 * Float(next() >> 40) / 16_777_216 - 1 }
}
