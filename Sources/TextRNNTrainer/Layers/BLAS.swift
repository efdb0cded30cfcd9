import COpenBLAS

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
