/// Dropout rates of one recurrent (or Bidirectional) layer, Keras `dropout` / `recurrent_dropout`.
public struct RecurrentDropout: Sendable, Equatable {
    public var dropout: Float
    public var recurrentDropout: Float
    public init(dropout: Float = 0, recurrentDropout: Float = 0) {
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
    }
}

/// Regularisation that exists only while training; none of it changes the parameter set.
/// Layers are addressed by their index in the `[LayerSpec]` array.
public struct TrainingOptions: Sendable, Equatable {
    /// SpatialDropout1D rate applied to the Embedding output (whole channels per sample).
    public var embeddingDropout: Float
    /// Per recurrent/Bidirectional layer index.
    public var recurrentDropout: [Int: RecurrentDropout]
    /// Per Dense layer index: rate of a Dropout applied to that Dense layer's input.
    public var denseDropout: [Int: Float]

    public init(embeddingDropout: Float = 0, recurrentDropout: [Int: RecurrentDropout] = [:], denseDropout: [Int: Float] = [:]) {
        self.embeddingDropout = embeddingDropout
        self.recurrentDropout = recurrentDropout
        self.denseDropout = denseDropout
    }
}
