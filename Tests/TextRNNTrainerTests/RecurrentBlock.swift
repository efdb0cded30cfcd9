import TextRNNRuntime
@testable import TextRNNTrainer

/// A single recurrent or Bidirectional layer with its own parameters, run on float inputs
/// [B, T, D] with an optional mask [B, T] and an arbitrary output cotangent: the unit the Keras
/// layer fixtures and gradient checks exercise outside a Network. Tensor names are those the
/// layer would have at `layerIndex` in a model ("0/kernel", "0/forward/kernel", ...).
final class RecurrentBlock {
    let layer: SequenceLayer
    let store: ParameterStore
    let inputDim: Int
    private var batch = 0, time = 0

    init(_ spec: LayerSpec, inputDim: Int, layerIndex: Int = 0, seed: UInt64 = 0) throws {
        var layout = ParameterLayout()
        switch spec {
        case .recurrent(let r):
            layer = .recurrent(RecurrentLayer(spec: r, inputDim: inputDim, prefix: "\(layerIndex)/", layout: &layout))
        case .bidirectional(let f, let b, let merge):
            layer = .bidirectional(BidirectionalLayer(forward: f, backward: b, mergeMode: merge, inputDim: inputDim, layer: layerIndex, layout: &layout))
        default:
            throw NetworkError.invalidArchitecture("RecurrentBlock takes a recurrent or Bidirectional layer, not \(spec.className)")
        }
        self.inputDim = inputDim
        store = ParameterStore(layout: layout)
        Initializers.initialize(store, lstmLayers: layer.recurrentLayers, seed: seed)
    }

    var outputDim: Int { layer.outputDim }

    /// Output [B, T, M] with return_sequences, else [B, M].
    func forward(inputs: [Float], mask: [Float]?, batch: Int, time: Int, training: Bool = false, rng: inout SeededGenerator) throws -> [Float] {
        guard inputs.count == batch * time * inputDim, mask.map({ $0.count == batch * time }) ?? true else {
            throw NetworkError.shapeMismatch("inputs/mask do not match [\(batch), \(time), \(inputDim)]")
        }
        self.batch = batch
        self.time = time
        let out = inputs.withUnsafeBufferPointer { x in
            mask.withUnsafeOptionalBuffer { m in
                layer.forward(input: x.baseAddress!, mask: m, batch: batch, time: time, training: training, rng: &rng, parameters: store.parameters)
            }
        }
        return Array(UnsafeBufferPointer(start: out, count: batch * (layer.returnSequences ? time : 1) * outputDim))
    }

    /// Backpropagates an output cotangent (shaped like the output) through the last forward; adds
    /// the weight gradients into `store.gradients` and returns the input gradient [B, T, D].
    func backward(outputGradient: [Float]) throws -> [Float] {
        guard outputGradient.count == batch * (layer.returnSequences ? time : 1) * outputDim else {
            throw NetworkError.shapeMismatch("output gradient has \(outputGradient.count) values")
        }
        let dx = outputGradient.withUnsafeBufferPointer {
            layer.backward(outputGradient: $0.baseAddress!, parameters: store.parameters, gradients: store.gradients)
        }
        return Array(UnsafeBufferPointer(start: dx, count: batch * time * inputDim))
    }
}
