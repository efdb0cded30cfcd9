import CTextRNNKernels
import Foundation
import Testing

/// Runs `body` at every kernel level this CPU has (portable first, then AVX2, AVX-512...),
/// passing the level's name. The level is set for the calling thread only
/// (trk_set_thread_kernel_level): tests running in parallel keep the process's level, which
/// matters to those comparing two computations for exact equality (explanations).
func atEveryKernelLevel(_ body: (String) throws -> Void) rethrows {
    defer { trk_set_thread_kernel_level(-1) }
    for level in 0...trk_cpu_level() {
        #expect(trk_set_thread_kernel_level(level) == level)
        try body(String(cString: trk_kernel_name()))
    }
}
