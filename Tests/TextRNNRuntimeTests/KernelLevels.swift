import CTextRNNKernels
import Foundation
import Testing

/// The kernel level is process-wide (trk_set_kernel_level), and tests run in parallel: tests
/// that change it take this lock, so each sees only the levels it sets.
private let kernelLevelLock = NSLock()

/// Runs `body` at every kernel level this CPU has (portable first, then AVX2, AVX-512...),
/// passing the level's name, then restores the level in use before.
func atEveryKernelLevel(_ body: (String) throws -> Void) rethrows {
    kernelLevelLock.lock()
    defer { kernelLevelLock.unlock() }
    let previous = trk_kernel_level()
    defer { trk_set_kernel_level(previous) }
    for level in 0...trk_cpu_level() {
        #expect(trk_set_kernel_level(level) == level)
        try body(String(cString: trk_kernel_name()))
    }
}
