/// What an optimizer must save for a resumed run to take exactly the steps an uninterrupted run
/// would: its step count and its slot buffers (Adam m and v, RMSprop velocity and momentum,
/// SGD momentum), each [store.count] in the parameter store's layout.
public struct OptimizerState: Sendable, Equatable {
    public var iterations: Int
    public var slots: [[Float]]
}

extension Optimizer {
    public func exportState() -> OptimizerState {
        OptimizerState(iterations: iterations, slots: stateSlots.map { $0?.array ?? [] })
    }

    /// Restores `state` into an optimizer of the same kind over a store of `count` parameters.
    public func importState(_ state: OptimizerState, count: Int) throws {
        let slots = stateSlots
        guard state.slots.count == slots.count, state.slots.allSatisfy({ $0.isEmpty || $0.count == count }) else {
            throw TrainingError("checkpoint: optimizer state does not match this optimizer and model")
        }
        var restored: [Slot?] = []
        for values in state.slots {
            if values.isEmpty {
                restored.append(nil)
            } else {
                let slot = Slot(count: count)
                values.withUnsafeBufferPointer { slot.pointer.update(from: $0.baseAddress!, count: count) }
                restored.append(slot)
            }
        }
        setStateSlots(restored, iterations: state.iterations)
    }

    private var stateSlots: [Slot?] {
        switch self {
        case let adam as Adam: [adam.m, adam.v]
        case let rmsprop as RMSprop: [rmsprop.velocity, rmsprop.buffer]
        case let sgd as SGD: [sgd.velocity]
        default: []
        }
    }

    private func setStateSlots(_ slots: [Slot?], iterations: Int) {
        switch self {
        case let adam as Adam:
            (adam.m, adam.v, adam.iterations) = (slots[0], slots[1], iterations)
        case let rmsprop as RMSprop:
            (rmsprop.velocity, rmsprop.buffer, rmsprop.iterations) = (slots[0], slots[1], iterations)
        case let sgd as SGD:
            (sgd.velocity, sgd.iterations) = (slots[0], iterations)
        default: break
        }
    }
}
