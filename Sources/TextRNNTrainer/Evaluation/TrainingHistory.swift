import TextRNNRuntime

/// One epoch of training.
public struct EpochRecord: Sendable, Equatable, Codable {
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// nil when there is no validation data.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Wall-clock seconds of the epoch (training and validation).
    public var seconds: Double

    public init(
        epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double? = nil,
        validationAccuracy: Double? = nil, seconds: Double
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
    }
}

/// Per-epoch metrics of a training run (Keras `History.history`), for the HTML report and the
/// run's JSON log.
public struct TrainingHistory: Sendable, Equatable, Codable {
    public var epochs: [EpochRecord]

    public init(epochs: [EpochRecord] = []) { self.epochs = epochs }

    public mutating func append(_ record: EpochRecord) { epochs.append(record) }

    /// The epoch with the lowest validation loss (else the lowest training loss); the earliest on ties.
    public var bestEpoch: EpochRecord? {
        epochs.min { lhs, rhs in
            let left = lhs.validationLoss ?? lhs.trainLoss, right = rhs.validationLoss ?? rhs.trainLoss
            return left < right
        }
    }

    public var totalSeconds: Double { epochs.reduce(0) { $0 + $1.seconds } }

    /// `{"epochs": [{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}]}`
    /// with Keras' key names (the validation keys are null without validation data).
    public var json: JSONValue {
        .object([
            ("epochs", .array(epochs.map { record in
                .object([
                    ("epoch", .int(record.epoch)),
                    ("loss", .double(record.trainLoss)),
                    ("accuracy", .double(record.trainAccuracy)),
                    ("val_loss", record.validationLoss.map(JSONValue.double) ?? .null),
                    ("val_accuracy", record.validationAccuracy.map(JSONValue.double) ?? .null),
                    ("seconds", .double(record.seconds)),
                ])
            }))
        ])
    }
}
