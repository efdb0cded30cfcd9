import Foundation
import TextRNNRuntime

/// Logistic regression on sparse rows, the bag branch's own fit: softmax over the outputs, or one
/// sigmoid per output, L2-regularized as scikit-learn's `LogisticRegression(C)` (minimizes
/// C·Σᵢ lossᵢ + ½‖W‖², bias unpenalized; here divided by C·n), solved by L-BFGS.
///
/// Parameters are one flat buffer: W [features, outputs] row-major, then the bias [outputs].
struct LinearClassifier {
    let features: Int
    let outputs: Int
    let loss: LossKind
    var parameters: [Float]

    init(features: Int, outputs: Int, loss: LossKind) {
        self.features = features
        self.outputs = outputs
        self.loss = loss
        parameters = [Float](repeating: 0, count: (features + 1) * outputs)
    }

    /// logits [rows, outputs] of every row.
    func logits(_ rows: SparseRows) -> [Float] {
        var z = [Float](repeating: 0, count: rows.count * outputs)
        parameters.withUnsafeBufferPointer { p in
            z.withUnsafeMutableBufferPointer { z in
                for r in 0..<rows.count { rowLogits(rows, r, p.baseAddress!, z.baseAddress! + r * outputs) }
            }
        }
        return z
    }

    @inline(__always)
    private func rowLogits(_ rows: SparseRows, _ r: Int, _ p: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        let K = outputs
        z.update(from: p + features * K, count: K)
        for i in rows.rowStart[r]..<rows.rowStart[r + 1] {
            let w = p + Int(rows.indices[i]) * K, v = rows.values[i]
            for k in 0..<K { z[k] += v * w[k] }
        }
    }

    /// f(θ) = mean loss + ‖W‖²/(2·C·n) at `theta` and its gradient (`LogisticObjective`), on
    /// arrays: the gradient checks. A fit lays the rows out once and reuses them.
    func objective(_ rows: SparseRows, _ targets: [Float], C: Float, _ theta: [Float], _ gradient: inout [Float]) -> Double {
        let objective = LogisticObjective([rows], targets: targets, features: features, outputs: outputs, loss: loss)
        return theta.withUnsafeBufferPointer { t in gradient.withUnsafeMutableBufferPointer { objective.value(C: C, t.baseAddress!, $0.baseAddress!) } }
    }

    /// Fits from the current parameters (a warm start) by L-BFGS with a backtracking line search.
    /// Every vector is allocated once (the curvature pairs in a ring): with 20 classes and a few
    /// hundred thousand features a vector is tens of MB, and allocating two per iteration cost
    /// more than the arithmetic.
    /// The rows are `blocks`' rows one after another (`LogisticObjective`).
    mutating func fit(_ blocks: SparseRows..., targets: [Float], C: Float, maxIterations: Int = 300, memory: Int = 6) {
        let count = parameters.count
        let buffers = UnsafeMutablePointer<Float>.allocate(capacity: count * (6 + 2 * memory))
        defer { buffers.deallocate() }
        var x = buffers, g = buffers + count, xNew = buffers + 2 * count, gNew = buffers + 3 * count
        var spare = buffers + 4 * count, d = buffers + 5 * count
        var ringS = (0..<memory).map { buffers + (6 + $0) * count }, ringY = (0..<memory).map { buffers + (6 + memory + $0) * count }
        // Per pair: ρ = 1/(s·y), s·y and y·y (for the initial scaling γ).
        var rhos = [Double](repeating: 0, count: memory), curvatures = rhos, squaredNormsY = rhos
        var stored = 0, newest = -1  // curvature pairs held; ring index of the newest
        parameters.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: count) }
        // Elementwise passes split over the two threads (each element computed as alone); dot
        // products in double precision, summed in a fixed order (`pairedDot`).
        func elementwise(_ body: (Range<Int>) -> Void) { forEachHalf(count, body) }
        func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Double { pairedDot(a, b, count: count) }
        /// Ring indices of the stored pairs, oldest first.
        func history() -> [Int] { (0..<stored).map { (newest - stored + 1 + $0 + memory) % memory } }
        let objective = LogisticObjective(blocks, targets: targets, features: features, outputs: outputs, loss: loss)
        var f = objective.value(C: C, x, g)
        for iteration in 0..<maxIterations {
            // Two-loop recursion, d = −H·g: each update of d fused with the dot product that
            // follows it (one pass over memory instead of two; the same bits as two).
            nonisolated(unsafe) let dp = d, gp = g
            let pairs = history()
            var alphas = [Double](repeating: 0, count: pairs.count)
            /// Runs `update` over d, then returns Σ next[i]·d[i].
            func updateThenDot(_ next: UnsafePointer<Float>, _ update: (Range<Int>) -> Void) -> Double {
                withoutActuallyEscaping(update) { pairedDot(next, d, count: count, updatingFirst: $0) }
            }
            var slope: Double
            if pairs.isEmpty {
                slope = updateThenDot(g) { range in for i in range { dp[i] = -gp[i] } }
            } else {
                var product = updateThenDot(ringS[pairs.last!]) { range in for i in range { dp[i] = -gp[i] } }
                for k in pairs.indices.reversed() {
                    alphas[k] = rhos[pairs[k]] * product
                    let alpha = Float(alphas[k])
                    nonisolated(unsafe) let y = ringY[pairs[k]]
                    if k > 0 {
                        product = updateThenDot(ringS[pairs[k - 1]]) { range in for i in range { dp[i] -= alpha * y[i] } }
                    } else {  // then d ×= γ = s·y / y·y of the newest pair
                        let gamma = Float(curvatures[newest] / squaredNormsY[newest])
                        product = updateThenDot(ringY[pairs[0]]) { range in for i in range { dp[i] -= alpha * y[i]; dp[i] *= gamma } }
                    }
                }
                for k in pairs.indices {
                    let step = Float(alphas[k] - rhos[pairs[k]] * product)
                    nonisolated(unsafe) let s = ringS[pairs[k]]
                    product = updateThenDot(k + 1 < pairs.count ? ringY[pairs[k + 1]] : g) { range in for i in range { dp[i] += step * s[i] } }
                }
                slope = product
            }
            if slope >= 0 {  // not a descent direction: restart from the gradient
                stored = 0
                slope = updateThenDot(g) { range in for i in range { dp[i] = -gp[i] } }
            }
            var step: Float = iteration == 0 ? Float(1 / max(1, dot(g, g).squareRoot())) : 1
            var fNew = f
            var accepted = false
            nonisolated(unsafe) let xp = x, xNewP = xNew
            for _ in 0..<30 {
                let length = step
                elementwise { range in for i in range { xNewP[i] = xp[i] + length * dp[i] } }
                fNew = objective.value(C: C, xNew, gNew)
                if fNew <= f + 1e-4 * Double(step) * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            // The pair s = xNew − x, y = gNew − g is kept if its curvature is positive, in the
            // oldest slot once the ring is full.
            // s and y are formed in `spare` and `d` (d is free until the next direction),
            // which trade places with the slot's buffers if the pair is kept.
            nonisolated(unsafe) let sp = spare, gNewP = gNew
            elementwise { range in for i in range { sp[i] = xNewP[i] - xp[i]; dp[i] = gNewP[i] - gp[i] } }
            let sy = dot(spare, d)
            if sy > 1e-12 {
                let slot = (newest + 1) % memory
                swap(&ringS[slot], &spare)
                swap(&ringY[slot], &d)
                rhos[slot] = 1 / sy
                curvatures[slot] = sy
                squaredNormsY[slot] = dot(ringY[slot], ringY[slot])
                newest = slot
                stored = min(stored + 1, memory)
            }
            let decrease = f - fNew
            swap(&x, &xNew)
            swap(&g, &gNew)
            f = fNew
            // Not after the first step: it is deliberately short (no curvature known yet). The
            // gradient bound is far below float noise on purpose: with the loss a mean over n
            // rows and the penalty 1/(C·n), a warm start at a larger C begins with a gradient of
            // order 1/(C·n), which a looser bound would call converged.
            nonisolated(unsafe) var halfLargest: (Float, Float) = (0, 0)
            nonisolated(unsafe) let gradient = g
            forEachHalf(count) { range in
                var m: Float = 0
                for i in range { m = max(m, abs(gradient[i])) }
                if range.lowerBound == 0 { halfLargest.0 = m } else { halfLargest.1 = m }
            }
            let largest = max(halfLargest.0, halfLargest.1)
            if (iteration > 0 && decrease <= 1e-10 * max(abs(f), 1e-3)) || largest < 1e-9 { break }
        }
        parameters = Array(UnsafeBufferPointer(start: x, count: count))
    }
}

/// Σ a[i]·b[i] over 0..<count in double precision, the same every run whatever the threads
/// granted: each half of the range on its own thread in four interleaved partial sums, the
/// halves then added. (A single in-order sum cannot be vectorized; over a few million floats it
/// was most of an L-BFGS iteration.) `updatingFirst`, if given, is run over each block of b just
/// before the block is summed: an elementwise update and the dot product that reads its result
/// in one pass over memory, with the same sums as the two passes.
func pairedDot(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, updatingFirst update: ((Range<Int>) -> Void)? = nil
) -> Double {
    let block = 4096  // a multiple of 4: the lanes continue across blocks
    func partial(_ range: Range<Int>) -> Double {
        var lanes = SIMD4<Double>()  // lane j sums the products at i ≡ j (mod 4), in order
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + block, range.upperBound)
            update?(start..<end)
            var i = start
            while i + 4 <= end {
                let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD4<Float>.self)
                let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD4<Float>.self)
                lanes += SIMD4<Double>(x) * SIMD4<Double>(y)  // exact: a float product fits a double
                i += 4
            }
            while i < end { lanes[0] += Double(a[i]) * Double(b[i]); i += 1 }
            start = end
        }
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }
    let middle = count / 2
    guard count >= 1 << 15 else { return partial(0..<middle) + partial(middle..<count) }
    nonisolated(unsafe) var halves = (0.0, 0.0)
    runPair({ halves.0 = partial(0..<middle) }, { halves.1 = partial(middle..<count) })
    return halves.0 + halves.1
}
