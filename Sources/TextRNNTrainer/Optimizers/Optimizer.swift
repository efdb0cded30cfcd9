import Foundation

/// An optimizer over a ParameterStore: its state buffers mirror the store's flat layout, so the
/// slot of tensor "1/forward/kernel" is at the same offset as the tensor itself.
///
/// A step follows Keras's `apply_gradients`: clip by global norm (if set), evaluate the schedule
/// at `iterations`, update every parameter, then increment `iterations`. The embedding gradient is
/// updated densely, as Keras does for a dense gradient (moments of untouched rows still decay).
public protocol Optimizer: AnyObject {
    var learningRate: LearningRateSchedule { get }
    /// Keras `global_clipnorm`.
    var globalClipNorm: Float? { get }
    /// Steps taken so far (Keras `optimizer.iterations`).
    var iterations: Int { get }
    /// One update of `store.parameters` from `store.gradients` (which clipping may rescale).
    func step(_ store: ParameterStore)
}

/// Keras `clip_by_global_norm`: scale every gradient by clip / max(‖g‖, clip), where ‖g‖² sums
/// Keras's squares (per slice for sparse tensors). Returns the norm.
@discardableResult
public func clipByGlobalNorm(_ store: ParameterStore, clipNorm: Float) -> Float {
    let g = store.gradients, sq = store.sparseGradientSquares
    var sum = 0.0
    var offset = 0
    for v in store.sparseTensors {
        for i in offset..<v.offset { sum += Double(g[i]) * Double(g[i]) }
        for i in v.offset..<(v.offset + v.count) { sum += Double(sq[i]) }
        offset = v.offset + v.count
    }
    for i in offset..<store.count { sum += Double(g[i]) * Double(g[i]) }
    let norm = Float(sum.squareRoot())
    if norm > clipNorm {
        let scale = clipNorm / norm
        for i in 0..<store.count { g[i] *= scale }
        for v in store.sparseTensors { for i in v.offset..<(v.offset + v.count) { sq[i] *= scale * scale } }
    }
    return norm
}

/// Optimizer state shaped like the store ([count] Floats, zero-initialised).
final class Slot {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// The shared preamble of every step: lazily size the slots, clip, read the learning rate.
func beginStep(_ store: ParameterStore, clip: Float?, schedule: LearningRateSchedule, iterations: Int) -> Float {
    if let clip, clip > 0 { clipByGlobalNorm(store, clipNorm: clip) }
    return schedule.learningRate(atStep: iterations)
}
