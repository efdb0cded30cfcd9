import COpenBLAS
import Dispatch

/// Row-major C = alpha·op(A)·op(B) + beta·C through OpenBLAS. Every matrix product in the trainer
/// goes here so that leading dimensions (strided views into [T, B, G] buffers) are spelled once.
/// A zero-sized product still honours beta, because callers rely on beta = 0 clearing C.
@inline(__always)
func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// out[j] += Σ_i rows[i][j]: bias gradients are column sums of a [rows, cols] gradient.
@inline(__always)
func addColumnSums(_ rows: UnsafePointer<Float>, rowCount: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<rowCount {
        let row = rows + i * cols
        for j in 0..<cols { out[j] += row[j] }
    }
}

/// Two independent pieces of work (the directions of a Bidirectional layer) on two threads when
/// the run has two or more threads (TrainingSession hands its thread count to OpenBLAS). The pair
/// then owns the cores: OpenBLAS is switched to one thread per caller and left there, since the
/// GEMMs outside the pairs are small (and switching it back and forth races with other callers).
/// Each piece does exactly the arithmetic it would do alone, and every GEMM of a pair runs on one
/// OpenBLAS thread, so results are the same run to run.
func runPair(_ first: () -> Void, _ second: () -> Void) {
    let current = Int(openblas_get_num_threads())
    if current != 1 { pairThreadBudget = current }  // a session (re)granted its thread count
    guard pairThreadBudget >= 2 else { first(); second(); return }
    if current != 1 { openblas_set_num_threads(1) }
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            let work = PairWork(first, second)
            DispatchQueue.concurrentPerform(iterations: 2) { work.run($0) }
        }
    }
}

/// The thread count OpenBLAS had before the first pair took it over (0: never seen above one).
nonisolated(unsafe) private var pairThreadBudget = 0

private final class PairWork: @unchecked Sendable {
    let first: () -> Void, second: () -> Void
    init(_ first: @escaping () -> Void, _ second: @escaping () -> Void) { self.first = first; self.second = second }
    func run(_ i: Int) { if i == 0 { first() } else { second() } }
}
