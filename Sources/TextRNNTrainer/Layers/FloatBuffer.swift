/// A growable, zero-initialised Float buffer owned by a layer. Layers size their buffers once per
/// batch shape (before any time loop), so the hot loops work on stable raw pointers and never
/// allocate. Growing keeps nothing: contents are scratch between forward calls.
public final class FloatBuffer {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int
    /// Elements in use for the current batch shape.
    public private(set) var count: Int = 0

    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `n` elements; zeroes them when `zero` (state buffers need a zero start).
    @discardableResult
    public func resize(_ n: Int, zero: Bool = false) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer.deallocate()
            capacity = n
            pointer = .allocate(capacity: n)
            pointer.initialize(repeating: 0, count: n)
        } else if zero {
            pointer.update(repeating: 0, count: n)
        }
        count = n
        return pointer
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
