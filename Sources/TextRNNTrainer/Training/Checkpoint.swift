import Foundation
import TextRNNRuntime

/// Everything needed to continue a run exactly where it stopped: parameters, optimizer slots,
/// the batch position, history and early-stopping state. One file, written to a temporary name
/// and renamed, so a crash mid-write leaves the previous checkpoint intact.
///
/// Layout: "TEXTRNN-CHECKPOINT 1\n", one line of JSON (metadata, array lengths), then the float32
/// arrays little-endian (parameters, optimizer slots, best parameters), then the CRC-32 of all
/// preceding bytes as 4 little-endian bytes.
enum Checkpoint {
    static let magic = "TEXTRNN-CHECKPOINT 1\n"

    struct Header: Codable {
        var config: TrainingConfig
        var labels: [String]
        var vocabularyCRC32: UInt32
        var epoch: Int
        var batch: Int
        var history: TrainingHistory
        var epochLossSum: Double
        var epochCorrect: Double
        var epochRows: Int
        var epochSeconds: Double
        var bestEpoch: Int?
        var bestValue: Double?
        var optimizerIterations: Int
        var parameterCount: Int
        var slotCounts: [Int]
        var bestCount: Int
    }

    static func vocabularyCRC(_ vocabulary: Vocabulary) -> UInt32 {
        var crc: UInt32 = 0
        for id in 0..<vocabulary.count {
            let bytes = Array(vocabulary.tokenBytes(id)) + [0]
            crc = bytes.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
        }
        return crc
    }

    static func save(_ session: TrainingSession, to path: String) throws {
        let store = session.network.store
        let state = session.optimizer.exportState()
        let header = Header(
            config: session.config, labels: session.labelNames, vocabularyCRC32: vocabularyCRC(session.pipeline.vocabulary),
            epoch: session.position.epoch, batch: session.position.batch, history: session.history,
            epochLossSum: session.epochLoss.sum, epochCorrect: session.epochLoss.correct, epochRows: session.epochLoss.rows,
            epochSeconds: session.epochSeconds, bestEpoch: session.best?.epoch, bestValue: session.best?.value,
            optimizerIterations: state.iterations, parameterCount: store.count, slotCounts: state.slots.map(\.count),
            bestCount: session.best?.parameters.count ?? 0)
        var data = Data(magic.utf8)
        data.append(try JSONEncoder().encode(header))
        data.append(0x0A)
        func append(_ values: UnsafeBufferPointer<Float>) {
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        append(UnsafeBufferPointer(start: store.parameters, count: store.count))
        for slot in state.slots { slot.withUnsafeBufferPointer(append) }
        session.best?.parameters.withUnsafeBufferPointer(append)
        let crc = data.withUnsafeBytes { CRC32.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { data.append(contentsOf: $0) }
        try AtomicFile.write(Array(data), to: path)
    }

    /// Restores `session` (freshly built from the same data and config) from `path`.
    static func restore(_ session: TrainingSession, from path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingError("\(path): cannot read checkpoint: \(error.localizedDescription)")
        }
        guard data.count > magic.utf8.count + 4, data.prefix(magic.utf8.count) == Data(magic.utf8) else {
            throw TrainingError("\(path): not a TextRNN checkpoint")
        }
        let body = data.prefix(data.count - 4)
        let stored = data.suffix(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard body.withUnsafeBytes({ CRC32.checksum($0) }) == stored else {
            throw TrainingError("\(path): checkpoint is damaged (CRC-32 mismatch)")
        }
        guard let newline = body[(body.startIndex + magic.utf8.count)...].firstIndex(of: 0x0A) else {
            throw TrainingError("\(path): checkpoint header is damaged")
        }
        let header = try JSONDecoder().decode(Header.self, from: body[(body.startIndex + magic.utf8.count)..<newline])
        var expected = session.config
        expected.epochs = header.config.epochs
        expected.givenKeys = header.config.givenKeys  // how a value was set is not a setting
        guard header.config == expected else {
            let changes = settingChanges(from: header.config, to: expected).joined(separator: ", ")
            throw TrainingError("\(path): the checkpoint was trained with other settings (\(changes)); resume with the same flags (only --epochs may change)")
        }
        guard header.labels == session.labelNames, header.vocabularyCRC32 == vocabularyCRC(session.pipeline.vocabulary) else {
            throw TrainingError("\(path): the checkpoint was trained on other data (labels or vocabulary differ)")
        }
        let store = session.network.store
        guard header.parameterCount == store.count else { throw TrainingError("\(path): checkpoint does not match the model") }
        let floats = (body.count - (newline + 1 - body.startIndex)) / 4
        guard floats == header.parameterCount + header.slotCounts.reduce(0, +) + header.bestCount else {
            throw TrainingError("\(path): checkpoint is truncated")
        }
        var cursor = newline + 1
        func read(_ count: Int) -> [Float] {
            var values = [Float](repeating: 0, count: count)
            body[cursor..<(cursor + 4 * count)].withUnsafeBytes { raw in
                for index in 0..<count { values[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))) }
            }
            cursor += 4 * count
            return values
        }
        read(header.parameterCount).withUnsafeBufferPointer { store.parameters.update(from: $0.baseAddress!, count: store.count) }
        let slots = header.slotCounts.map(read)
        try session.optimizer.importState(OptimizerState(iterations: header.optimizerIterations, slots: slots), count: store.count)
        if let epoch = header.bestEpoch, let value = header.bestValue {
            session.best = (epoch, value, read(header.bestCount))
        }
        session.position = (header.epoch, header.batch)
        session.history = header.history
        session.epochLoss = (header.epochLossSum, header.epochCorrect, header.epochRows)
        session.epochSeconds = header.epochSeconds
    }

    /// "key: checkpoint value, now new value" for each setting that differs.
    static func settingChanges(from old: TrainingConfig, to new: TrainingConfig) -> [String] {
        func fields(_ config: TrainingConfig) -> [String: String] {
            guard let data = try? JSONEncoder().encode(config),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { value in
                (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
            }
        }
        let (a, b) = (fields(old), fields(new))
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            a[key] == b[key] ? nil : "\(key): checkpoint \(a[key] ?? "unset"), now \(b[key] ?? "unset")"
        }
    }
}
