/// The layer graph of a model: the `layers` array of manifest.json, shared by the runtime (which
/// runs it), the trainer (which trains and exports it) and the bundle writer.
///
/// Weights use Keras layouts and Keras names, so fixture and Keras weights load unchanged:
///   Embedding  embeddings        [input_dim, output_dim]
///   SimpleRNN  kernel            [input, units]            recurrent_kernel [units, units]    bias [units]
///   LSTM       kernel            [input, 4*units] (i,f,c,o) recurrent_kernel [units, 4*units]  bias [4*units]
///   GRU        kernel            [input, 3*units] (z,r,h)   recurrent_kernel [units, 3*units]
///              bias [2, 3*units] (row 0 input, row 1 recurrent) when reset_after, else [3*units]
///   Dense      kernel            [input, units]             bias [units]
/// A tensor is named "<layer index>/<role>", or "<layer index>/forward/<role>" and
/// "<layer index>/backward/<role>" inside Bidirectional (see `tensorName`).

public enum RecurrentCell: String, Sendable, CaseIterable {
    case simpleRNN = "SimpleRNN"
    case lstm = "LSTM"
    case gru = "GRU"

    /// Gate blocks in the kernels: SimpleRNN 1, GRU 3 (z, r, h), LSTM 4 (i, f, c, o).
    public var gateCount: Int {
        switch self {
        case .simpleRNN: 1
        case .gru: 3
        case .lstm: 4
        }
    }
}

public enum Activation: String, Sendable, CaseIterable {
    case linear, relu, tanh, sigmoid, softmax
}

public enum MergeMode: String, Sendable, CaseIterable {
    case concat, sum, ave, mul
}

public struct RecurrentSpec: Sendable, Equatable {
    public var cell: RecurrentCell
    public var units: Int
    /// The candidate/output activation (Keras `activation`): tanh, or relu etc. for SimpleRNN.
    public var activation: Activation = .tanh
    /// The gate activation (Keras `recurrent_activation`); unused by SimpleRNN.
    public var recurrentActivation: Activation = .sigmoid
    public var returnSequences: Bool = false
    public var goBackwards: Bool = false
    /// GRU only: Keras `reset_after` (true is the Keras 3 default and the cuDNN layout).
    public var resetAfter: Bool = true
    public var useBias: Bool = true

    public init(
        cell: RecurrentCell, units: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, returnSequences: Bool = false,
        goBackwards: Bool = false, resetAfter: Bool = true, useBias: Bool = true
    ) {
        self.cell = cell
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.resetAfter = resetAfter
        self.useBias = useBias
    }

    /// Weight shapes by role, for an input of `inputDim` features.
    public func weightShapes(inputDim: Int) -> [(role: String, shape: [Int])] {
        let gates = cell.gateCount * units
        var shapes: [(String, [Int])] = [("kernel", [inputDim, gates]), ("recurrent_kernel", [units, gates])]
        if useBias { shapes.append(("bias", cell == .gru && resetAfter ? [2, gates] : [gates])) }
        return shapes
    }
}

public enum LayerSpec: Sendable, Equatable {
    /// Keras `Embedding(input_dim, output_dim, mask_zero)`.
    case embedding(inputDim: Int, outputDim: Int, maskZero: Bool)
    case recurrent(RecurrentSpec)
    /// Keras `Bidirectional`: `backward` runs with `goBackwards == true`; its sequence output is
    /// re-reversed so both directions align in time before merging.
    case bidirectional(forward: RecurrentSpec, backward: RecurrentSpec, mergeMode: MergeMode)
    /// Max over time. `masked`: skip masked steps (TextRNN's default). Keras 3's
    /// GlobalMaxPooling1D ignores the mask, i.e. includes the outputs of masked steps;
    /// bundles exported from Keras say `masked: false`.
    case globalMaxPooling(masked: Bool)
    /// Mean over the unmasked steps (Keras GlobalAveragePooling1D with a mask).
    case globalAveragePooling
    case dense(units: Int, activation: Activation)

    /// Keras class name, as written in the manifest's `class` field.
    public var className: String {
        switch self {
        case .embedding: "Embedding"
        case .recurrent(let spec): spec.cell.rawValue
        case .bidirectional: "Bidirectional"
        case .globalMaxPooling: "GlobalMaxPooling1D"
        case .globalAveragePooling: "GlobalAveragePooling1D"
        case .dense: "Dense"
        }
    }
}

/// The tensor name of a weight: "<layer>/<role>" or "<layer>/<direction>/<role>".
public func tensorName(layer: Int, direction: String? = nil, role: String) -> String {
    if let direction { return "\(layer)/\(direction)/\(role)" }
    return "\(layer)/\(role)"
}
