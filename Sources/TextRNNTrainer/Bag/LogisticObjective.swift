import Foundation

/// The bag regression's objective f(θ) = mean loss + ‖W‖²/(2·C·n) and its gradient, over one
/// fixed set of rows (`LinearClassifier` has the model; this is one fit's data, laid out once).
///
/// Both products walk the rows transposed (each feature's entries): the forward X·W reads each
/// row of W once, in order, and scatters into z [rows, outputs]; the backward Xᵀ·dZ gathers from
/// dZ [rows, outputs] and writes each row of the gradient once. z and dZ are a few hundred KB and
/// stay in cache. Row by row instead, every stored feature is a random read of W and a random
/// write of the gradient, each tens of MB with 20 classes: that was half of a 20 Newsgroups fit,
/// stalled on memory, plus zeroing and summing a second gradient for the second thread.
///
/// Work is split in two fixed halves (features with about half the entries each; rows in two),
/// run on two threads when granted and one after the other when not: the same sums either way.
final class LogisticObjective {
    let features: Int
    let outputs: Int
    let count: Int  // rows
    let loss: LossKind
    let targets: [Float]
    /// Feature f's entries at columnStart[f]..<columnStart[f + 1]: their rows (ascending) and values.
    private let columnStart: [Int]
    private let entryRow: [Int32]
    private let entryValue: [Float]
    /// The two halves of the features, about half the entries each.
    private let featureHalves: (Range<Int>, Range<Int>)
    /// Two [rows, outputs] blocks: each half's partial logits; then the first holds dLoss/dz.
    private let logits: UnsafeMutablePointer<Float>

    /// The rows are `blocks`' rows one after another (the refit's training rows, then its
    /// validation rows: no concatenated copy of them is made, and the layout is the same).
    init(_ blocks: [SparseRows], targets: [Float], features: Int, outputs: Int, loss: LossKind) {
        self.features = features
        self.outputs = outputs
        self.loss = loss
        self.targets = targets
        count = blocks.reduce(0) { $0 + $1.count }
        let entries = blocks.reduce(0) { $0 + $1.indices.count }
        // Transpose by counting: rows are visited in order, so each column's rows ascend.
        var start = [Int](repeating: 0, count: features + 1)
        for rows in blocks { for index in rows.indices { start[Int(index) + 1] += 1 } }
        for f in 0..<features { start[f + 1] += start[f] }
        var next = start, entryRow = [Int32](repeating: 0, count: entries)
        var entryValue = [Float](repeating: 0, count: entries)
        var row: Int32 = 0  // numbered through the blocks
        for rows in blocks {
            for r in 0..<rows.count {
                for i in rows.rowStart[r]..<rows.rowStart[r + 1] {
                    let f = Int(rows.indices[i])
                    entryRow[next[f]] = row
                    entryValue[next[f]] = rows.values[i]
                    next[f] += 1
                }
                row += 1
            }
        }
        columnStart = start
        self.entryRow = entryRow
        self.entryValue = entryValue
        let middleFeature = start.firstIndex { $0 >= start[features] / 2 } ?? features
        featureHalves = (0..<middleFeature, middleFeature..<features)
        logits = .allocate(capacity: 2 * max(count, 1) * outputs)
    }

    deinit { logits.deallocate() }

    /// f(θ) for θ = W [features, outputs] row-major then the bias [outputs]; writes ∇f into `gradient`.
    func value(C: Float, _ theta: UnsafePointer<Float>, _ gradient: UnsafeMutablePointer<Float>) -> Double {
        let K = outputs, n = count
        let halves = featureHalves
        nonisolated(unsafe) let z = logits, t = theta, g = gradient
        // Forward: each half's z_h = X[:, half]·W[half].
        runPair({ self.scatterLogits(halves.0, t, into: z) }, { self.scatterLogits(halves.1, t, into: z + n * K) })
        // z = z₀ + z₁ + b, then dLoss/dz (in z₀) and the loss, rows in two halves.
        let bias = theta + features * K
        nonisolated(unsafe) var rowLoss = (0.0, 0.0)
        let middleRow = n / 2
        runPair({ rowLoss.0 = self.lossGradients(0..<middleRow, z, bias: bias) },
                { rowLoss.1 = self.lossGradients(middleRow..<n, z, bias: bias) })
        // Backward: ∇W = Xᵀ·dZ / n + λ·W per half, with ‖W‖² of the half; ∇b = Σ dZ / n.
        let lambda = 1 / (C * Float(n))
        nonisolated(unsafe) var squares = (0.0, 0.0)
        runPair({ squares.0 = self.gatherGradient(halves.0, t, z, lambda: lambda, into: g) },
                { squares.1 = self.gatherGradient(halves.1, t, z, lambda: lambda, into: g) })
        let biasGradient = gradient + features * K
        biasGradient.update(repeating: 0, count: K)
        for r in 0..<n { for k in 0..<K { biasGradient[k] += z[r * K + k] } }
        for k in 0..<K { biasGradient[k] /= Float(max(n, 1)) }
        return (rowLoss.0 + rowLoss.1) / Double(max(n, 1)) + 0.5 * Double(lambda) * (squares.0 + squares.1)
    }

    /// z [rows, outputs] = Σ over `featureRange` of each entry's value times its row of W.
    private func scatterLogits(_ featureRange: Range<Int>, _ theta: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>) {
        let K = outputs
        z.update(repeating: 0, count: count * K)
        columnStart.withUnsafeBufferPointer { start in
            entryRow.withUnsafeBufferPointer { rows in
                entryValue.withUnsafeBufferPointer { values in
                    // Two classes (one sigmoid): W's entry read once per feature and kept in a
                    // register. Through `addScaled` each entry paid its length checks, and W may be
                    // read again after every store to z (the compiler cannot rule out aliasing);
                    // this loop is most of a binary bag fit: IMDB's no-flag training about 98 s → 81 s.
                    // The same multiply-then-add as `addScaled`, so the same sums. (Four and eight
                    // outputs held in SIMD registers gained nothing measurable on ag_news_mini.)
                    if K == 1 {
                        for f in featureRange {
                            let w = theta[f]
                            for e in start[f]..<start[f + 1] { z[Int(rows[e])] += values[e] * w }
                        }
                        return
                    }
                    for f in featureRange {
                        let w = theta + f * K
                        for e in start[f]..<start[f + 1] { addScaled(values[e], w, to: z + Int(rows[e]) * K, count: K) }
                    }
                }
            }
        }
    }

    /// For rows `range`: z = z₀ + z₁ + b, then z₀ ← dLoss/dz (p − y); returns Σ loss.
    private func lossGradients(_ range: Range<Int>, _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>) -> Double {
        let K = outputs
        let second = z + count * K
        var total = 0.0
        targets.withUnsafeBufferPointer { targets in
            for r in range {
                let zr = z + r * K
                for k in 0..<K { zr[k] += second[r * K + k] + bias[k] }
                switch loss {
                case .sparseCategoricalCrossEntropy:
                    let label = Int(targets[r])
                    var top = zr[0]
                    for k in 1..<max(K, 1) { top = max(top, zr[k]) }
                    var sum: Float = 0
                    for k in 0..<K { zr[k] = expf(zr[k] - top); sum += zr[k] }
                    total -= Double(logf(max(zr[label] / sum, 1e-30)))
                    for k in 0..<K { zr[k] /= sum }
                    zr[label] -= 1
                case .binaryCrossEntropy, .multiLabelBinaryCrossEntropy:
                    for k in 0..<K {
                        let y = targets[r * K + k], x = zr[k]
                        total += Double(max(x, 0) - x * y + log1pf(expf(-abs(x))))
                        zr[k] = 1 / (1 + expf(-x)) - y
                    }
                }
            }
        }
        return total
    }

    /// ∇W rows of `featureRange` = Σ entries' value × dZ row / n + λ·W; returns Σ W² over them.
    private func gatherGradient(
        _ featureRange: Range<Int>, _ theta: UnsafePointer<Float>, _ dz: UnsafePointer<Float>, lambda: Float,
        into gradient: UnsafeMutablePointer<Float>
    ) -> Double {
        let K = outputs, inverseN = 1 / Float(max(count, 1))
        var squares = 0.0
        columnStart.withUnsafeBufferPointer { start in
            entryRow.withUnsafeBufferPointer { rows in
                entryValue.withUnsafeBufferPointer { values in
                    for f in featureRange {
                        let w = theta + f * K, gf = gradient + f * K
                        sumOfScaledRows(start[f]..<start[f + 1], rows: rows, values: values, of: dz, width: K, into: gf)
                        var rowSquares: Float = 0
                        for k in 0..<K {
                            gf[k] = gf[k] * inverseN + lambda * w[k]
                            rowSquares += w[k] * w[k]
                        }
                        squares += Double(rowSquares)
                    }
                }
            }
        }
        return squares
    }
}

/// out[0..<width] = Σ over `entries` of values[e] · dz[rows[e], 0..<width]: one feature's
/// gradient row before scaling. Rows of up to 8 outputs sum in registers, a run of lanes per
/// pass over the entries (one pass for 1, 4 or 8 outputs): a sum kept in `out` would wait on its
/// own store, entry after entry. Wider rows (20 Newsgroups: 20) go in one pass through `out`:
/// each entry's dZ row is a random read, and more passes would read it again.
@inline(__always)
private func sumOfScaledRows(
    _ entries: Range<Int>, rows: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>, of dz: UnsafePointer<Float>,
    width K: Int, into out: UnsafeMutablePointer<Float>
) {
    guard K <= 8 else {
        out.update(repeating: 0, count: K)
        for e in entries { addScaled(values[e], dz + Int(rows[e]) * K, to: out, count: K) }
        return
    }
    /// out[k..<k + lanes of V] as one register sum over the entries.
    func sum<V: SIMD>(_ type: V.Type, at k: Int) where V.Scalar == Float {
        var sum = V()
        for e in entries { sum += values[e] * lanes(dz + Int(rows[e]) * K + k, as: V.self) }
        UnsafeMutableRawPointer(out + k).storeBytes(of: sum, as: V.self)
    }
    var k = 0
    if K == 8 {
        sum(SIMD8<Float>.self, at: 0)
        k = 8
    } else if K >= 4 {
        sum(SIMD4<Float>.self, at: 0)
        k = 4
    }
    while k < K {
        var sum: Float = 0
        for e in entries { sum += values[e] * dz[Int(rows[e]) * K + k] }
        out[k] = sum
        k += 1
    }
}

/// y[0..<count] += a · x[0..<count], eight and four lanes at a time: a row of outputs is short
/// (4 for ag_news_mini, 20 for 20 Newsgroups) and its length is known only at run time, so the
/// scalar loop did not vectorize; this was most of a bag fit. Each element is the same
/// multiply-then-add as the scalar loop, so the sums do not change.
@inline(__always)
private func addScaled(_ a: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
    /// y[k..<k + lanes of V] += a · x[k..<k + lanes of V].
    func add<V: SIMD>(_ type: V.Type, at k: Int) where V.Scalar == Float {
        UnsafeMutableRawPointer(y + k).storeBytes(of: lanes(y + k, as: V.self) + a * lanes(x + k, as: V.self), as: V.self)
    }
    var k = 0
    while k + 8 <= count {
        add(SIMD8<Float>.self, at: k)
        k += 8
    }
    if k + 4 <= count {
        add(SIMD4<Float>.self, at: k)
        k += 4
    }
    while k < count {
        y[k] += a * x[k]
        k += 1
    }
}

/// The floats at `pointer` as one vector (no alignment needed).
@inline(__always)
private func lanes<Vector: SIMD>(_ pointer: UnsafePointer<Float>, as type: Vector.Type) -> Vector where Vector.Scalar == Float {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
}
