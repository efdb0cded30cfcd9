import TextRNNRuntime

/// TrainingConfig -> the layer graph, its training-only options and the loss.
public struct ModelPlan: Sendable {
    public let layers: [LayerSpec]
    public let options: TrainingOptions
    public let loss: LossKind
    public let output: Manifest.OutputKind

    public init(config: TrainingConfig, vocabularySize: Int, classes: Int, multiLabel: Bool) {
        let cell: RecurrentCell = switch config.cell {
        case .lstm: .lstm
        case .gru: .gru
        case .simpleRNN: .simpleRNN
        }
        var layers: [LayerSpec] = [.embedding(inputDim: vocabularySize, outputDim: config.embeddingDim, maskZero: true)]
        var recurrentDropout: [Int: RecurrentDropout] = [:]
        for (index, units) in config.units.enumerated() {
            let isLast = index == config.units.count - 1
            var spec = RecurrentSpec(cell: cell, units: units, resetAfter: config.resetAfter)
            spec.returnSequences = !isLast || config.pooling != .last
            if config.dropout > 0 || config.recurrentDropout > 0 {
                recurrentDropout[layers.count] = RecurrentDropout(dropout: config.dropout, recurrentDropout: config.recurrentDropout)
            }
            if config.bidirectional {
                var backward = spec
                backward.goBackwards = true
                layers.append(.bidirectional(forward: spec, backward: backward, mergeMode: .concat))
            } else {
                layers.append(.recurrent(spec))
            }
        }
        switch config.pooling {
        case .last: break
        case .max: layers.append(.globalMaxPooling(masked: true))
        case .average: layers.append(.globalAveragePooling)
        }
        var denseDropout: [Int: Float] = [:]
        for units in config.denseUnits {
            if config.denseDropout > 0 { denseDropout[layers.count] = config.denseDropout }
            layers.append(.dense(units: units, activation: .relu))
        }
        if config.denseDropout > 0 { denseDropout[layers.count] = config.denseDropout }
        if multiLabel {
            layers.append(.dense(units: classes, activation: .sigmoid))
            (loss, output) = (.multiLabelBinaryCrossEntropy, .multiLabelSigmoid)
        } else if classes == 2 {
            layers.append(.dense(units: 1, activation: .sigmoid))
            (loss, output) = (.binaryCrossEntropy, .binarySigmoid)
        } else {
            layers.append(.dense(units: classes, activation: .softmax))
            (loss, output) = (.sparseCategoricalCrossEntropy, .softmax)
        }
        self.layers = layers
        self.options = TrainingOptions(
            embeddingDropout: config.embeddingDropout, recurrentDropout: recurrentDropout, denseDropout: denseDropout)
    }
}

extension TrainingConfig {
    /// The optimizer the config names, with Keras defaults for what it leaves out.
    public func makeOptimizer(stepsPerEpoch: Int) -> any Optimizer {
        let totalSteps = max(1, stepsPerEpoch * epochs)
        var schedule: LearningRateSchedule = switch self.schedule {
        case .constant: .constant(learningRate)
        case .exponential: .exponentialDecay(initial: learningRate, decaySteps: max(1, stepsPerEpoch), decayRate: decayRate)
        case .cosine: .cosineDecay(initial: learningRate, decaySteps: max(1, totalSteps - warmupSteps))
        }
        if warmupSteps > 0 { schedule = .linearWarmup(steps: warmupSteps, initial: 0, then: schedule) }
        switch optimizer {
        case .adam: return Adam(learningRate: schedule, globalClipNorm: clipnorm)
        case .rmsprop: return RMSprop(learningRate: schedule, momentum: momentum, globalClipNorm: clipnorm)
        case .sgd: return SGD(learningRate: schedule, momentum: momentum, nesterov: nesterov, globalClipNorm: clipnorm)
        }
    }

    public var pipelineConfig: TextPipelineConfig {
        TextPipelineConfig(
            standardize: standardize, replaceHTMLBreaks: replaceHTMLBreaks, ngrams: max(ngrams, bigrams ? 2 : 1),
            sequenceLength: sequenceLength > 0 ? sequenceLength : nil, padding: padding, truncating: truncating,
            startToken: startToken ? Vocabulary.startToken : nil)
    }
}
