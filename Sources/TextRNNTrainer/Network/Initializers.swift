import Foundation
import TextRNNRuntime

/// Keras default initializers, driven by SeededGenerator so a seed fixes the initial model:
/// glorot_uniform kernels, orthogonal recurrent kernels, zero biases (LSTM forget block = 1,
/// Keras unit_forget_bias), Embedding uniform(−0.05, 0.05).
enum Initializers {
    /// Initialises every tensor of `store` by its role; each tensor draws from its own split
    /// stream, so adding a layer does not shift the initial values of the others.
    static func initialize(_ store: ParameterStore, lstmLayers: [RecurrentLayer], seed: UInt64) {
        let base = SeededGenerator(seed: seed)
        let p = store.parameters
        for (i, view) in store.tensors.enumerated() {
            var rng = base.split(UInt64(i))
            let out = p + view.offset
            switch view.name.split(separator: "/").last.map(String.init) ?? "" {
            case "embeddings": uniform(out, count: view.count, limit: 0.05, rng: &rng)
            case "kernel": glorotUniform(out, shape: view.shape, rng: &rng)
            case "recurrent_kernel": orthogonal(out, shape: view.shape, rng: &rng)
            default: out.update(repeating: 0, count: view.count)
            }
        }
        // Keras unit_forget_bias: the LSTM forget-gate block of the bias starts at 1.
        for r in lstmLayers where r.spec.cell == .lstm {
            if let b = r.bias { (p + b.offset + r.units).update(repeating: 1, count: r.units) }
        }
    }

    static func uniform(_ out: UnsafeMutablePointer<Float>, count: Int, limit: Float, rng: inout SeededGenerator) {
        for i in 0..<count { out[i] = (rng.nextUnitFloat() * 2 - 1) * limit }
    }

    /// glorot_uniform for a [fanIn, fanOut] kernel: U(±√(6 / (fanIn + fanOut))).
    static func glorotUniform(_ out: UnsafeMutablePointer<Float>, shape: [Int], rng: inout SeededGenerator) {
        let limit = Float((6.0 / Double(shape[0] + shape[1])).squareRoot())
        uniform(out, count: shape[0] * shape[1], limit: limit, rng: &rng)
    }

    /// Keras Orthogonal (gain 1) for [rows, cols]: QR of a normal (max × min) matrix, Q's columns
    /// sign-fixed by diag(R), transposed when rows < cols. QR by modified Gram–Schmidt in Double.
    static func orthogonal(_ out: UnsafeMutablePointer<Float>, shape: [Int], rng: inout SeededGenerator) {
        let rows = shape[0], cols = shape[1]
        let n = max(rows, cols), k = min(rows, cols)
        var a = [Double](repeating: 0, count: n * k)  // column-major: column c at a[c*n ..< (c+1)*n]
        for i in 0..<(n * k) { a[i] = normal(&rng) }
        for c in 0..<k {
            for prev in 0..<c {
                var dot = 0.0
                for i in 0..<n { dot += a[prev * n + i] * a[c * n + i] }
                for i in 0..<n { a[c * n + i] -= dot * a[prev * n + i] }
            }
            var norm = 0.0
            for i in 0..<n { norm += a[c * n + i] * a[c * n + i] }
            norm = norm.squareRoot()
            // R's diagonal is +norm here, so Q·sign(diag R) is Q itself: the sign fix is built in.
            for i in 0..<n { a[c * n + i] = norm > 0 ? a[c * n + i] / norm : 0 }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                // Q is [n, k]; the kernel is Q when rows ≥ cols, else Qᵀ.
                out[r * cols + c] = Float(rows >= cols ? a[c * n + r] : a[r * n + c])
            }
        }
    }

    /// Standard normal by Box–Muller.
    static func normal(_ rng: inout SeededGenerator) -> Double {
        let u1 = max(Double(rng.nextUnitFloat()), 1e-12), u2 = Double(rng.nextUnitFloat())
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
