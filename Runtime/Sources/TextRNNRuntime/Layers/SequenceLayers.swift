import CTextRNNKernels

/// An embedding table [rows, dim]: float32, or int8 with one scale per row.
struct EmbeddingTable: @unchecked Sendable {
    let rows: Int
    let dim: Int
    let float: UnsafePointer<Float>?
    let int8: UnsafePointer<Int8>?
    let scales: UnsafePointer<Float>?
}

/// The non-recurrent layers, each over one sequence or one vector.
enum SequenceLayers {
    /// output [steps, dim] = rows of the table [rows, dim] for ids [steps].
    /// Callers guarantee 0 <= id < rows.
    static func embed(_ table: Matrix, ids: UnsafePointer<Int32>, steps: Int, output: UnsafeMutablePointer<Float>) {
        let dim = table.columns
        for t in 0..<steps {
            (output + t * dim).update(from: table.base + Int(ids[t]) * dim, count: dim)
        }
    }

    /// As `embed`, for an int8 table with one scale per row.
    static func embed(_ table: EmbeddingTable, ids: UnsafePointer<Int32>, steps: Int, output: UnsafeMutablePointer<Float>) {
        let dim = table.dim
        if let float = table.float {
            embed(Matrix(base: float, rows: table.rows, columns: dim), ids: ids, steps: steps, output: output)
            return
        }
        for t in 0..<steps {
            let id = Int(ids[t])
            trk_dequantize_row(table.int8! + id * dim, table.scales![id], Int32(dim), output + t * dim)
        }
    }

    /// Merges the two directions of a Bidirectional layer into output. Sequences ([steps, units]
    /// each) are aligned first: the backward direction produced them in reversed time order.
    static func merge(
        forward: UnsafePointer<Float>, backward: UnsafePointer<Float>, forwardUnits: Int, backwardUnits: Int,
        steps: Int, isSequence: Bool, mode: MergeMode, output: UnsafeMutablePointer<Float>
    ) {
        let rows = isSequence ? steps : 1
        let outputWidth = mode == .concat ? forwardUnits + backwardUnits : forwardUnits
        for t in 0..<rows {
            let f = forward + t * forwardUnits
            let b = backward + (isSequence ? steps - 1 - t : 0) * backwardUnits
            let o = output + t * outputWidth
            switch mode {
            case .concat:
                o.update(from: f, count: forwardUnits)
                (o + forwardUnits).update(from: b, count: backwardUnits)
            case .sum: for j in 0..<forwardUnits { o[j] = f[j] + b[j] }
            case .ave: for j in 0..<forwardUnits { o[j] = (f[j] + b[j]) * 0.5 }
            case .mul: for j in 0..<forwardUnits { o[j] = f[j] * b[j] }
            }
        }
    }

    /// output [features] = max over the steps of input [steps, features]; masked steps are
    /// skipped when `masked`. No step left: zeros.
    static func maxPool(
        _ input: UnsafePointer<Float>, steps: Int, features: Int, mask: UnsafePointer<UInt8>?, masked: Bool,
        output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: -.infinity, count: features)
        var counted = 0
        for t in 0..<steps where !masked || mask == nil || mask![t] != 0 {
            let row = input + t * features
            for j in 0..<features { output[j] = max(output[j], row[j]) }
            counted += 1
        }
        if counted == 0 { output.update(repeating: 0, count: features) }
    }

    /// output [features] = mean over the unmasked steps of input [steps, features]
    /// (Keras GlobalAveragePooling1D with a mask). No step left: zeros.
    static func averagePool(
        _ input: UnsafePointer<Float>, steps: Int, features: Int, mask: UnsafePointer<UInt8>?,
        output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: features)
        var counted = 0
        for t in 0..<steps where mask == nil || mask![t] != 0 {
            let row = input + t * features
            for j in 0..<features { output[j] += row[j] }
            counted += 1
        }
        if counted > 0 {
            let scale = 1 / Float(counted)
            for j in 0..<features { output[j] *= scale }
        }
    }

    /// output [units] = activation(input [inputs] · kernel [inputs, units] + bias [units])
    /// `beforeActivation` adds to the pre-activation (the bag branch's logits, for the last layer).
    /// A nil input stands for one whose product is zero (`Model.skipsNetwork`): no product.
    static func dense(
        _ input: UnsafePointer<Float>?, kernel: WeightMatrix, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>, beforeActivation: ((UnsafeMutablePointer<Float>) -> Void)? = nil
    ) {
        output.update(from: bias, count: kernel.columns)
        if let input { kernel.accumulate(input, into: output) }
        beforeActivation?(output)
        Kernels.activate(output, kernel.columns, activation)
    }
}
