// The trainer's C ABI (include/textrnn_trainer.h), over TextRNNTrainer.
//
// Every function is checked against its C declaration by `@c @implementation` (the header is
// imported through the CTextRNNTrainer module). Training runs TrainingRun's steps, the ones
// `textrnn train` runs, on rows handed over in memory. Errors go to the caller's buffer, so the
// library keeps no per-thread or global mutable state.

import CTextRNNTrainer
import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// What a `textrnn_trainer_bundle *` points to (retained once, released by bundle_free): the
/// bundle's two files in memory it owns, so the pointers handed out stay valid until then.
final class TrainedBundle {
    let manifest: UnsafeMutableBufferPointer<UInt8>
    let weights: UnsafeMutableBufferPointer<UInt8>

    init(manifest: [UInt8], weights: [UInt8]) {
        func copy(_ bytes: [UInt8]) -> UnsafeMutableBufferPointer<UInt8> {
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<bytes.count])
        }
        (self.manifest, self.weights) = (copy(manifest), copy(weights))
    }

    deinit {
        manifest.baseAddress?.deallocate()
        weights.baseAddress?.deallocate()
    }
}

struct TrainerFailure: Error {
    let status: textrnn_trainer_status
    let message: String

    init(_ status: textrnn_trainer_status, _ message: String) {
        (self.status, self.message) = (status, message)
    }
}

/// Runs `body`; a failure becomes its status, with its message copied into `error`.
private func run(
    _ function: String, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ body: () throws -> Void
) -> textrnn_trainer_status {
    let failure: TrainerFailure
    do {
        try body()
        return TEXTRNN_TRAINER_OK
    } catch let caught as TrainerFailure {
        failure = caught
    } catch let caught as TrainingError {
        failure = TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_DATA, caught.description)
    } catch let caught as DataError {
        failure = TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_DATA, "\(caught)")
    } catch let caught as TextRNNError {
        failure = TrainerFailure(caught.status == .io ? TEXTRNN_TRAINER_ERROR_IO : TEXTRNN_TRAINER_ERROR_INTERNAL, caught.message)
    } catch let caught {
        failure = TrainerFailure(TEXTRNN_TRAINER_ERROR_INTERNAL, "\(caught)")
    }
    if let error, capacity > 0 {
        let bytes = Array("\(function): \(failure.message)".utf8.prefix(capacity - 1))
        bytes.withUnsafeBufferPointer { UnsafeMutableRawPointer(error).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        error[bytes.count] = 0
    }
    return failure.status
}

private func invalid(_ message: String) -> TrainerFailure { TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_ARGUMENT, message) }

/// The bytes of row `row` of a (pointer, size) column; NULL with size 0 is the empty string.
private func field(
    _ pointers: UnsafePointer<UnsafePointer<CChar>?>, _ sizes: UnsafePointer<Int>, _ row: Int, _ what: String
) throws -> UnsafeBufferPointer<UInt8> {
    let size = sizes[row]
    guard size >= 0 else { throw invalid("\(what)[\(row)]: size \(UInt(bitPattern: size)) is too large") }
    guard let pointer = pointers[row] else {
        guard size == 0 else { throw invalid("\(what)[\(row)] is NULL but its size is \(size)") }
        return UnsafeBufferPointer(start: nil, count: 0)
    }
    return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: size)
}

/// The rows of a textrnn_trainer_data, labels mapped by `labelMap` (nil: fitted to these rows,
/// ordered as `textrnn train` orders labels).
private func dataset(_ data: textrnn_trainer_data, _ name: String, labelMap: LabelMap?) throws -> LabelledDataset {
    let count = data.count
    guard count >= 0 else { throw invalid("\(name).count is too large") }
    guard let texts = data.texts, let textSizes = data.text_sizes, let labels = data.labels, let labelSizes = data.label_sizes else {
        throw invalid("\(name): texts, text_sizes, labels and label_sizes must not be NULL")
    }
    var textValues: [String] = []
    var labelValues: [String] = []
    textValues.reserveCapacity(count)
    labelValues.reserveCapacity(count)
    for row in 0..<count {
        // Invalid UTF-8 is refused, as `textrnn train` refuses it in a data file.
        guard let text = String(validating: try field(texts, textSizes, row, "\(name).texts"), as: UTF8.self) else {
            throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_DATA, "\(name).texts[\(row)] is not valid UTF-8")
        }
        textValues.append(text)
        guard let label = String(validating: try field(labels, labelSizes, row, "\(name).labels"), as: UTF8.self), !label.isEmpty else {
            throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_DATA, "\(name).labels[\(row)] is empty or not valid UTF-8")
        }
        labelValues.append(label)
    }
    let map = labelMap ?? LabelMap(fitting: labelValues)
    let indices = try labelValues.enumerated().map { row, label in
        guard let index = map.index(of: label) else {
            throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_DATA, "\(name).labels[\(row)]: \"\(label)\" does not occur in the training rows")
        }
        return [index]
    }
    return LabelledDataset(
        texts: textValues, labelSets: indices, labelMap: map, files: Array(repeating: name, count: count), lines: (0..<count).map { $0 + 1 })
}

/// The config JSON (`textrnn train --config` format), resolved and validated as the CLI does.
private func config(_ json: UnsafePointer<CChar>?, _ size: Int) throws -> TrainingConfig {
    guard size >= 0 else { throw invalid("config_size is too large") }
    guard let json, size > 0 else { return TrainingConfig() }
    var config: TrainingConfig
    do {
        config = try JSONDecoder().decode(TrainingConfig.self, from: Data(bytes: json, count: size))
        try config.resolve()
    } catch let error as TrainingError {
        throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_CONFIG, error.description)
    } catch let error as DataError {
        throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_CONFIG, "\(error)")
    } catch {
        throw TrainerFailure(TEXTRNN_TRAINER_ERROR_INVALID_CONFIG, "config: invalid JSON or value: \(error)")
    }
    return config
}

/// Forwards progress events to the C callback and remembers whether it asked to stop.
private final class ProgressBridge {
    let callback: textrnn_trainer_progress?
    let userData: UnsafeMutableRawPointer?
    private(set) var stopRequested = false

    init(_ callback: textrnn_trainer_progress?, _ userData: UnsafeMutableRawPointer?) {
        (self.callback, self.userData) = (callback, userData)
    }

    func send(_ event: ProgressReporter.Event) {
        guard let callback else { return }
        var record = textrnn_trainer_event(
            kind: TEXTRNN_TRAINER_EVENT_MESSAGE, epoch: 0, epochs: 0, batch: 0, batches: 0,
            loss: .nan, accuracy: .nan, validation_loss: .nan, validation_accuracy: .nan, message: nil)
        let line: String
        switch event {
        case .message(let text):
            line = text
        case let .batch(epoch, epochs, batch, batches, loss, accuracy, text):
            record.kind = TEXTRNN_TRAINER_EVENT_BATCH
            (record.epoch, record.epochs, record.batch, record.batches) = (epoch, epochs, batch, batches)
            (record.loss, record.accuracy, line) = (loss, accuracy, text)
        case let .epoch(epochRecord, epochs, text):
            record.kind = TEXTRNN_TRAINER_EVENT_EPOCH
            (record.epoch, record.epochs) = (epochRecord.epoch, epochs)
            (record.loss, record.accuracy) = (epochRecord.trainLoss, epochRecord.trainAccuracy)
            record.validation_loss = epochRecord.validationLoss ?? .nan
            record.validation_accuracy = epochRecord.validationAccuracy ?? .nan
            line = text
        }
        let stop = line.withCString { pointer in
            record.message = pointer
            return callback(&record, userData)
        }
        if stop != 0 { stopRequested = true }
    }

    func checkStop() throws {
        if stopRequested { throw TrainerFailure(TEXTRNN_TRAINER_ERROR_CANCELLED, "cancelled by the progress callback") }
    }
}

/// `textrnn train` on rows in memory: the bundle's bytes.
private func train(
    _ trainRows: LabelledDataset, _ validationRows: LabelledDataset?, _ config: TrainingConfig, _ bridge: ProgressBridge
) throws -> TrainedBundle {
    var config = config
    let progress = ProgressReporter(observer: bridge.send)
    let log = progress.message
    let (trainSet, validationSet, recipe) = TrainingRun.prepare(config: &config, train: trainRows, validation: validationRows, log: log)
    try bridge.checkStop()
    let session = try TrainingSession(config: config, train: trainSet, log: log)
    let (encodedTrain, encodedValidation, regression) = try TrainingRun.encode(session, train: trainSet, validation: validationSet, log: log)
    try bridge.checkStop()
    let outcome = try session.fit(
        train: encodedTrain, validation: encodedValidation, progress: progress, checkpoint: { _ in }, shouldStop: { bridge.stopRequested })
    switch try TrainingRun.settle(session, after: outcome, train: encodedTrain, validation: encodedValidation, regression: regression, log: log) {
    case .interrupted: try bridge.checkStop()
    case .diverged(let reason): throw TrainerFailure(TEXTRNN_TRAINER_ERROR_DIVERGED, "stopped: \(reason)")
    case .earlyStopped, .finished: break
    }
    try bridge.checkStop()
    var metrics: TextRNNRuntime.JSONValue? = nil
    if let encodedValidation, let validationSet {
        let computed = try TrainingRun.validationMetrics(session, encoded: encodedValidation, dataset: validationSet)
        metrics = computed.json
        computed.report.split(separator: "\n").forEach { log(String($0)) }
    }
    let training = session.trainingMetadata(
        dataset: "memory", trainRows: trainSet.count, validationRows: validationSet?.count ?? 0, metrics: metrics, recipe: recipe)
    let (manifest, weights) = try BundleWriter.encode(session.bundleContents(training: training))
    return TrainedBundle(manifest: manifest, weights: weights)
}

// MARK: - Entry points

nonisolated(unsafe) private let versionString: UnsafePointer<CChar> = UnsafePointer(strdup(TextRNNVersion.string)!)
nonisolated(unsafe) private let hyperparameterString: UnsafePointer<CChar> = UnsafePointer(strdup(Hyperparameter.tableJSON.rendered())!)

@c @implementation public func textrnn_trainer_version() -> UnsafePointer<CChar>! {
    versionString
}

@c @implementation public func textrnn_trainer_hyperparameters() -> UnsafePointer<CChar>! {
    hyperparameterString
}

@c @implementation public func textrnn_trainer_train(
    _ train: UnsafePointer<textrnn_trainer_data>!, _ validation: UnsafePointer<textrnn_trainer_data>!,
    _ configJSON: UnsafePointer<CChar>!, _ configSize: Int,
    _ progress: textrnn_trainer_progress!, _ userData: UnsafeMutableRawPointer!,
    _ bundle: UnsafeMutablePointer<OpaquePointer?>!, _ error: UnsafeMutablePointer<CChar>!, _ errorCapacity: Int
) -> textrnn_trainer_status {
    run("textrnn_trainer_train", error, errorCapacity) {
        guard let bundle else { throw invalid("bundle is NULL") }
        guard let train else { throw invalid("train is NULL") }
        let parsed = try config(configJSON, configSize)
        let trainRows = try dataset(train.pointee, "train", labelMap: nil)
        let validationRows = try validation.map { try dataset($0.pointee, "validation", labelMap: trainRows.labelMap) }
        let trained = try TextRNNTrainerCAPI.train(trainRows, validationRows, parsed, ProgressBridge(progress, userData))
        bundle.pointee = OpaquePointer(Unmanaged.passRetained(trained).toOpaque())
    }
}

private func borrow(_ pointer: OpaquePointer?) -> TrainedBundle? {
    pointer.map { Unmanaged<TrainedBundle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

private func bytesOf(_ bytes: UnsafeMutableBufferPointer<UInt8>, _ size: UnsafeMutablePointer<Int>?) -> UnsafePointer<UInt8>? {
    size?.pointee = bytes.count
    return bytes.baseAddress.map { UnsafePointer($0) }
}

@c @implementation public func textrnn_trainer_bundle_manifest(
    _ bundle: OpaquePointer!, _ size: UnsafeMutablePointer<Int>!
) -> UnsafePointer<UInt8>! {
    borrow(bundle).flatMap { bytesOf($0.manifest, size) }
}

@c @implementation public func textrnn_trainer_bundle_weights(
    _ bundle: OpaquePointer!, _ size: UnsafeMutablePointer<Int>!
) -> UnsafePointer<UInt8>! {
    borrow(bundle).flatMap { bytesOf($0.weights, size) }
}

@c @implementation public func textrnn_trainer_bundle_write(
    _ bundle: OpaquePointer!, _ path: UnsafePointer<CChar>!, _ error: UnsafeMutablePointer<CChar>!, _ errorCapacity: Int
) -> textrnn_trainer_status {
    run("textrnn_trainer_bundle_write", error, errorCapacity) {
        guard let trained = borrow(bundle) else { throw invalid("bundle is NULL") }
        guard let path, let target = String(validatingCString: path), !target.isEmpty else { throw invalid("path is NULL, empty or not UTF-8") }
        try BundleWriter.write(manifest: Array(trained.manifest), weights: Array(trained.weights), to: target)
    }
}

@c @implementation public func textrnn_trainer_bundle_free(_ bundle: OpaquePointer!) {
    guard let bundle else { return }
    Unmanaged<TrainedBundle>.fromOpaque(UnsafeRawPointer(bundle)).release()
}
