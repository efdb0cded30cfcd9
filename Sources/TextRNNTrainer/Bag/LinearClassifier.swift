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

    /// Mean loss of rows `range` at parameters `p`; adds Σ dLoss/dθ over them into `g`.
    private func lossAndGradient(
        _ rows: SparseRows, _ targets: [Float], _ range: Range<Int>, _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>
    ) -> Double {
        let K = outputs
        var z = [Float](repeating: 0, count: K)
        var total = 0.0
        for r in range {
            z.withUnsafeMutableBufferPointer { rowLogits(rows, r, p, $0.baseAddress!) }
            // z becomes dLoss/dz = p − y.
            switch loss {
            case .sparseCategoricalCrossEntropy:
                let label = Int(targets[r])
                let top = z.max()!
                var sum: Float = 0
                for k in 0..<K { z[k] = expf(z[k] - top); sum += z[k] }
                total -= Double(logf(max(z[label] / sum, 1e-30)))
                for k in 0..<K { z[k] /= sum }
                z[label] -= 1
            case .binaryCrossEntropy, .multiLabelBinaryCrossEntropy:
                for k in 0..<K {
                    let y = targets[r * K + k], x = z[k]
                    total += Double(max(x, 0) - x * y + log1pf(expf(-abs(x))))
                    z[k] = 1 / (1 + expf(-x)) - y
                }
            }
            for i in rows.rowStart[r]..<rows.rowStart[r + 1] {
                let w = g + Int(rows.indices[i]) * K, v = rows.values[i]
                for k in 0..<K { w[k] += v * z[k] }
            }
            let b = g + features * K
            for k in 0..<K { b[k] += z[k] }
        }
        return total
    }

    /// f(θ) = mean loss + ‖W‖²/(2·C·n) and its gradient, the rows split over two threads.
    func objective(_ rows: SparseRows, _ targets: [Float], C: Float, _ theta: [Float], _ gradient: inout [Float], _ spare: inout [Float]) -> Double {
        let n = rows.count, count = theta.count
        let half = n / 2
        var first = 0.0, second = 0.0
        for i in 0..<count { gradient[i] = 0; spare[i] = 0 }
        theta.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                spare.withUnsafeMutableBufferPointer { s in
                    nonisolated(unsafe) let pp = p.baseAddress!, gp = g.baseAddress!, sp = s.baseAddress!
                    nonisolated(unsafe) var a = 0.0, b = 0.0
                    runPair({ a = lossAndGradient(rows, targets, 0..<half, pp, gp) },
                            { b = lossAndGradient(rows, targets, half..<n, pp, sp) })
                    first = a
                    second = b
                }
            }
        }
        let lambda = 1 / (C * Float(n)), inverseN = 1 / Float(n)
        var penalty = 0.0
        let weights = features * outputs
        for i in 0..<count {
            gradient[i] = (gradient[i] + spare[i]) * inverseN
            if i < weights {
                gradient[i] += lambda * theta[i]
                penalty += Double(theta[i]) * Double(theta[i])
            }
        }
        return (first + second) / Double(n) + 0.5 * Double(lambda) * penalty
    }

    /// Fits from the current parameters (a warm start) by L-BFGS with a backtracking line search.
    mutating func fit(_ rows: SparseRows, targets: [Float], C: Float, maxIterations: Int = 300, memory: Int = 6) {
        let count = parameters.count
        var x = parameters
        var g = [Float](repeating: 0, count: count), spare = g, gNew = g, xNew = g, d = g
        var f = objective(rows, targets, C: C, x, &g, &spare)
        var history: [(s: [Float], y: [Float], rho: Double)] = []
        func dot(_ a: [Float], _ b: [Float]) -> Double {
            var sum = 0.0
            for i in 0..<a.count { sum += Double(a[i]) * Double(b[i]) }
            return sum
        }
        for iteration in 0..<maxIterations {
            // Two-loop recursion: d = −H·g.
            for i in 0..<count { d[i] = -g[i] }
            var alphas: [Double] = []
            for (s, y, rho) in history.reversed() {
                let alpha = rho * dot(s, d)
                alphas.append(alpha)
                for i in 0..<count { d[i] -= Float(alpha) * y[i] }
            }
            if let last = history.last {
                let gamma = Float(dot(last.s, last.y) / dot(last.y, last.y))
                for i in 0..<count { d[i] *= gamma }
            }
            for ((s, y, rho), alpha) in zip(history, alphas.reversed()) {
                let beta = rho * dot(y, d)
                for i in 0..<count { d[i] += Float(alpha - beta) * s[i] }
            }
            var slope = dot(g, d)
            if slope >= 0 {  // not a descent direction: restart from the gradient
                history.removeAll()
                for i in 0..<count { d[i] = -g[i] }
                slope = dot(g, d)
            }
            var step: Float = iteration == 0 ? Float(1 / max(1, dot(g, g).squareRoot())) : 1
            var fNew = f
            var accepted = false
            for _ in 0..<30 {
                for i in 0..<count { xNew[i] = x[i] + step * d[i] }
                fNew = objective(rows, targets, C: C, xNew, &gNew, &spare)
                if fNew <= f + 1e-4 * Double(step) * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            var s = xNew, y = gNew
            for i in 0..<count { s[i] -= x[i]; y[i] -= g[i] }
            let sy = dot(s, y)
            if sy > 1e-12 {
                history.append((s, y, 1 / sy))
                if history.count > memory { history.removeFirst() }
            }
            let decrease = f - fNew
            swap(&x, &xNew)
            swap(&g, &gNew)
            f = fNew
            // Not after the first step: it is deliberately short (no curvature known yet). The
            // gradient bound is far below float noise on purpose: with the loss a mean over n
            // rows and the penalty 1/(C·n), a warm start at a larger C begins with a gradient of
            // order 1/(C·n), which a looser bound would call converged.
            if (iteration > 0 && decrease <= 1e-10 * max(abs(f), 1e-3)) || g.lazy.map(abs).max()! < 1e-9 { break }
        }
        parameters = x
    }
}
