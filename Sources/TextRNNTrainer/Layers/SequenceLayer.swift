import TextRNNRuntime

/// A recurrent or Bidirectional layer behind one interface, as the Network and the layer
/// fixtures drive them: [B, T, D] (+ mask [B, T]) → [B, T, M] or [B, M].
public enum SequenceLayer {
    case recurrent(RecurrentLayer)
    case bidirectional(BidirectionalLayer)

    public var outputDim: Int {
        switch self {
        case .recurrent(let l): l.outputDim
        case .bidirectional(let l): l.outputDim
        }
    }

    public var returnSequences: Bool {
        switch self {
        case .recurrent(let l): l.spec.returnSequences
        case .bidirectional(let l): l.forwardLayer.spec.returnSequences
        }
    }

    /// The recurrent layers inside (one, or forward then backward).
    public var recurrentLayers: [RecurrentLayer] {
        switch self {
        case .recurrent(let l): [l]
        case .bidirectional(let l): [l.forwardLayer, l.backwardLayer]
        }
    }

    public func setDropout(_ dropout: Float, recurrent: Float) {
        for l in recurrentLayers { l.dropout = dropout; l.recurrentDropout = recurrent }
    }

    public func forward(
        input x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, batch: Int, time: Int,
        training: Bool, rng: inout SeededGenerator, parameters p: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        switch self {
        case .recurrent(let l): l.forward(input: x, mask: mask, batch: batch, time: time, training: training, rng: &rng, parameters: p)
        case .bidirectional(let l): l.forward(input: x, mask: mask, batch: batch, time: time, training: training, rng: &rng, parameters: p)
        }
    }

    public func backward(
        outputGradient dY: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
        gradients g: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        switch self {
        case .recurrent(let l): l.backward(outputGradient: dY, parameters: p, gradients: g)
        case .bidirectional(let l): l.backward(outputGradient: dY, parameters: p, gradients: g)
        }
    }
}
