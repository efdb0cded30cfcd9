import CTextRNNKernels
import Glibc

/// A row-major float32 matrix borrowed from the weights (Keras layout: [inputs, outputs]).
struct Matrix: @unchecked Sendable {
    let base: UnsafePointer<Float>  // [rows, columns]
    let rows: Int
    let columns: Int
}

/// A weight matrix [rows, columns] in the Keras layout ([inputs, outputs]): float32, or int8
/// kept as int8 with one float scale per column (output unit). Int8 matrices used as recurrent
/// kernels also carry a packed copy for integer dot products (see textrnn_kernels.h).
struct WeightMatrix: @unchecked Sendable {  // pointers into immutable weights
    let rows: Int
    let columns: Int
    let float: UnsafePointer<Float>?
    let int8: UnsafePointer<Int8>?
    let scales: UnsafePointer<Float>?  // [columns], int8 only
    var packed: UnsafePointer<Int8>? = nil  // [ceil(rows/4)][columns][4]
    var columnSums: UnsafePointer<Int32>? = nil  // [columns]
    /// Float recurrent kernels: a copy in 16-column panels, for several texts' products at once
    /// (trk_gemv_f32_lanes).
    var panels: UnsafePointer<Float>? = nil

    init(_ matrix: Matrix) {
        rows = matrix.rows
        columns = matrix.columns
        float = matrix.base
        int8 = nil
        scales = nil
    }

    init(int8 values: UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        float = nil
        int8 = values
        self.scales = scales
    }

    var isQuantized: Bool { int8 != nil }

    /// Every weight is zero (int8: every value or its column's scale), so x · W is zero for any x.
    var isZero: Bool {
        if let float { return UnsafeBufferPointer(start: float, count: rows * columns).allSatisfy { $0 == 0 } }
        return (0..<rows * columns).allSatisfy { int8![$0] == 0 || scales![$0 % columns] == 0 }
    }

    /// y[0..<count] += x[0..<rows] · W[:, first..<first + count], with float activations.
    @inline(__always)
    func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, first: Int = 0, count: Int? = nil) {
        let n = Int32(count ?? columns)
        if let float {
            trk_gemv_f32(x, Int32(rows), float + first, Int32(columns), n, y)
        } else {
            trk_gemv_f32s8(x, Int32(rows), int8! + first, Int32(columns), n, scales! + first, y)
        }
    }

    /// y[0..<columns] += x · W, with int8 matrices through integer dot products on x quantized
    /// per call (`quantizedScratch`: at least `quantizedScratchBytes` bytes).
    @inline(__always)
    func accumulateRecurrent(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, quantizedScratch: UnsafeMutableRawPointer) {
        if let packed {
            let xq = quantizedScratch.assumingMemoryBound(to: UInt8.self)
            let acc = (quantizedScratch + ((rows + 3) / 4 * 4 + 63) / 64 * 64).assumingMemoryBound(to: Int32.self)
            trk_gemv_q8(x, Int32(rows), packed, columnSums!, scales!, Int32(columns), y, xq, acc)
        } else {
            accumulate(x, into: y)
        }
    }

    /// y[0..<columns] = initial + x · W (as `accumulateRecurrent`, without copying `initial` first).
    @inline(__always)
    func multiplyRecurrent(
        _ x: UnsafePointer<Float>, adding initial: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        quantizedScratch: UnsafeMutableRawPointer
    ) {
        if let packed {
            let xq = quantizedScratch.assumingMemoryBound(to: UInt8.self)
            let acc = (quantizedScratch + ((rows + 3) / 4 * 4 + 63) / 64 * 64).assumingMemoryBound(to: Int32.self)
            trk_gemv_q8_from(initial, x, Int32(rows), packed, columnSums!, scales!, Int32(columns), y, xq, acc)
        } else if let float {
            trk_gemv_f32_from(initial, x, Int32(rows), float, Int32(columns), Int32(columns), y)
        } else {
            if initial != UnsafePointer(y) { y.update(from: initial, count: columns) }
            accumulate(x, into: y)
        }
    }

    /// Bytes of scratch `accumulateRecurrent` needs.
    var quantizedScratchBytes: Int { ((rows + 3) / 4 * 4 + 63) / 64 * 64 + 4 * columns }
}

/// The small dense kernels of batch-1 inference; the hot loops are in CTextRNNKernels.
enum Kernels {
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    @inline(__always)
    static func activate(_ x: Float, _ activation: Activation) -> Float {
        switch activation {
        case .linear, .softmax: x
        case .relu: max(x, 0)
        case .tanh: tanhf(x)
        case .sigmoid: sigmoid(x)
        }
    }

    /// Applies `activation` to v[0..<n] in place; softmax normalizes the whole vector.
    static func activate(_ v: UnsafeMutablePointer<Float>, _ n: Int, _ activation: Activation) {
        switch activation {
        case .linear: return
        case .softmax:
            var largest = -Float.infinity
            for i in 0..<n { largest = max(largest, v[i]) }
            var sum: Float = 0
            for i in 0..<n {
                v[i] = expf(v[i] - largest)
                sum += v[i]
            }
            for i in 0..<n { v[i] /= sum }
        case .sigmoid: trk_sigmoid(v, Int32(n))
        case .tanh: trk_tanh(v, Int32(n))
        case .relu: for i in 0..<n { v[i] = max(v[i], 0) }
        }
    }
}
