import COpenBLAS
import Dispatch

/// Grants the trainer `n` threads (TrainingSession does, from `--threads`). Parallelism is
/// explicit: with n ≥ 2, `runPair` runs the two directions of a Bidirectional layer, or the two
/// lanes of a recurrent layer, on two threads. OpenBLAS itself stays on one thread per caller:
/// the per-step GEMMs are too small to split, the large ones already run inside a pair, and
/// OpenBLAS threads competing with the pair's spin in sched_yield.
public func setComputeThreads(_ n: Int) {
    computeThreads = max(1, n)
    openblas_set_num_threads(1)
}

/// The threads granted by `setComputeThreads`; 1 until a session grants more.
nonisolated(unsafe) private var computeThreads = 1

/// Runs `body` over `0..<count` split into two halves on the two threads (one call when
/// `count` is below `minimum` or one thread was granted): for elementwise passes over the
/// parameter store, whose halves touch disjoint elements.
func forEachHalf(_ count: Int, minimum: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    guard computeThreads >= 2 && count >= minimum else { body(0..<count); return }
    let mid = count / 2
    runPair({ body(0..<mid) }, { body(mid..<count) })
}

/// Two independent pieces of work (the directions of a Bidirectional layer, the lanes of a
/// recurrent layer) on two threads when the run was granted two or more (`setComputeThreads`),
/// else one after the other. Each piece does exactly the arithmetic it would do alone, on
/// single-threaded GEMMs, so results are the same run to run.
func runPair(_ first: () -> Void, _ second: () -> Void) {
    guard computeThreads >= 2 else { first(); second(); return }
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            let work = PairWork(first, second)
            DispatchQueue.concurrentPerform(iterations: 2) { work.run($0) }
        }
    }
}

private final class PairWork: @unchecked Sendable {
    let first: () -> Void, second: () -> Void
    init(_ first: @escaping () -> Void, _ second: @escaping () -> Void) { self.first = first; self.second = second }
    func run(_ i: Int) { if i == 0 { first() } else { second() } }
}
