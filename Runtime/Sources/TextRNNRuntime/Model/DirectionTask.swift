import CTextRNNKernels

/// One direction of a Bidirectional layer, run on a helper thread (textrnn_helpers.h) while the
/// calling thread runs the other: the two directions share nothing but the read-only input, so
/// the result is the same bits either way. Kept in a `PredictionScratch`, so posting a task
/// allocates nothing.
final class DirectionTask {
    private var layer: RecurrentLayer?
    private var input: UnsafePointer<Float>?
    private var mask: UnsafePointer<UInt8>?
    private var steps = 0
    private var output: UnsafeMutablePointer<Float>?
    private var work: UnsafeMutablePointer<Float>?
    private var ids: UnsafePointer<Int32>?
    /// Tasks a helper ran (the others ran on the calling thread), for tests.
    private(set) var helperRuns = 0

    /// Runs `layer.forward(...)` on a helper thread while `beside` runs on this one, and returns
    /// when both are done. Without a free helper, runs `beside`, then the layer, here.
    func run(
        _ layer: RecurrentLayer, input: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, steps: Int,
        output: UnsafeMutablePointer<Float>, scratch work: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>?,
        beside: () -> Void
    ) {
        self.layer = layer
        self.input = input
        self.mask = mask
        self.steps = steps
        self.output = output
        self.work = work
        self.ids = ids
        let handle = trk_helper_post({ context in
            Unmanaged<DirectionTask>.fromOpaque(context!).takeUnretainedValue().runLayer()
        }, Unmanaged.passUnretained(self).toOpaque())
        beside()
        if handle >= 0 {
            trk_helper_join(handle)
            helperRuns += 1
        } else {
            runLayer()
        }
        self.layer = nil
    }

    private func runLayer() {
        layer!.forward(input: input!, mask: mask, steps: steps, output: output!, scratch: work!, ids: ids)
    }
}
