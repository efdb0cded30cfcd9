import Foundation
import TextRNNRuntime

/// The classification losses, each paired with the output activation it assumes.
public enum LossKind: String, Sendable, CaseIterable {
    /// Softmax outputs [B, N]; targets are class indices [B] (stored as Float).
    case sparseCategoricalCrossEntropy
    /// One sigmoid unit [B, 1]; targets 0/1 [B].
    case binaryCrossEntropy
    /// N sigmoid units [B, N]; targets 0/1 [B, N]; per-sample loss is the mean over the N units.
    case multiLabelBinaryCrossEntropy

    public var outputActivation: Activation { self == .sparseCategoricalCrossEntropy ? .softmax : .sigmoid }
}

/// Cross-entropy computed from the logits z of the final Dense layer, as Keras does when the
/// probabilities come straight from a softmax/sigmoid (it keeps the logits for the loss): this is
/// exact where log(p) would underflow, and its gradient is the fused (p − y), never 1/p·p(1−p).
///
/// Reduction (Keras 3 "sum_over_batch_size"): Σ_b w_b·l_b / B, with w_b = 1 without sample weights.
/// Label smoothing ε (Keras `label_smoothing`) replaces each target y by y·(1 − ε) + ε/N for a
/// softmax (the one-hot class vector) and by y·(1 − ε) + ε/2 for sigmoids; the gradient stays
/// p − target. Writes dLoss/dz into `logitGradient` [B, N] and returns the loss.
public func crossEntropy(
    _ kind: LossKind, logits z: UnsafePointer<Float>, probabilities p: UnsafePointer<Float>,
    batch B: Int, outputs N: Int, targets y: UnsafePointer<Float>, sampleWeights w: UnsafePointer<Float>?,
    labelSmoothing: Float = 0, logitGradient dz: UnsafeMutablePointer<Float>
) -> Float {
    let keep = 1 - labelSmoothing, spread = labelSmoothing / Float(kind == .sparseCategoricalCrossEntropy ? N : 2)
    var total = 0.0  // Double: summing B per-sample losses in Float would cost digits for nothing
    for b in 0..<B {
        let weight = w?[b] ?? 1
        let zr = z + b * N, pr = p + b * N, dr = dz + b * N
        switch kind {
        case .sparseCategoricalCrossEntropy:
            let label = Int(y[b])
            precondition(label >= 0 && label < N, "class index \(label) outside [0, \(N))")
            var mx = -Double.infinity
            for j in 0..<N { mx = max(mx, Double(zr[j])) }
            var sum = 0.0, targetLogits = 0.0
            for j in 0..<N {
                sum += exp(Double(zr[j]) - mx)
                targetLogits += Double((j == label ? keep : 0) + spread) * Double(zr[j])
            }
            // −Σ_j t_j·log p_j = logsumexp(z) − Σ_j t_j·z_j, as the targets t sum to 1.
            total += Double(weight) * (mx + log(sum) - targetLogits)
            let scale = weight / Float(B)
            for j in 0..<N { dr[j] = (pr[j] - ((j == label ? keep : 0) + spread)) * scale }
        case .binaryCrossEntropy, .multiLabelBinaryCrossEntropy:
            let yr = kind == .binaryCrossEntropy ? y + b : y + b * N
            var sampleLoss = 0.0
            for j in 0..<N {
                let zj = Double(zr[j]), yj = Double(yr[j] * keep + spread)
                // log(1 + e^z) − z·y, arranged so neither exp overflows.
                sampleLoss += max(zj, 0) - zj * yj + log1p(exp(-abs(zj)))
            }
            total += Double(weight) * sampleLoss / Double(N)
            let scale = weight / Float(B * N)
            for j in 0..<N { dr[j] = (pr[j] - (yr[j] * keep + spread)) * scale }
        }
    }
    return Float(total / Double(B))
}
