import Dispatch
import Foundation

/// Training progress on standard error: a live bar with ETA, loss, accuracy and samples/s on a
/// terminal; plain periodic lines (about every 10% of an epoch) when redirected to a file.
public final class ProgressReporter {
    /// One report, for callers that take progress in process (the trainer's C ABI) rather than
    /// on standard error: the numbers plus the line that would have been printed.
    public enum Event {
        case message(String)
        case batch(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double, line: String)
        case epoch(EpochRecord, epochs: Int, line: String)
    }

    private let interactive: Bool
    private let quiet: Bool
    /// When set, receives every event instead of standard error (and `quiet` is ignored).
    private let observer: ((Event) -> Void)?
    private var epoch = 0, epochs = 0, batches = 0, rows = 0
    private var started = DispatchTime.now()
    private var lastPrinted = 0
    private var firstBatch = 0

    public init(interactive: Bool = isatty(STDERR_FILENO) != 0, quiet: Bool = false) {
        self.interactive = interactive
        self.quiet = quiet
        self.observer = nil
    }

    /// Sends every event to `observer` (plain lines, as when standard error is not a terminal).
    public init(observer: @escaping (Event) -> Void) {
        self.interactive = false
        self.quiet = false
        self.observer = observer
    }

    func beginEpoch(_ epoch: Int, of epochs: Int, batches: Int, rows: Int) {
        (self.epoch, self.epochs, self.batches, self.rows) = (epoch, epochs, batches, rows)
        started = DispatchTime.now()
        lastPrinted = 0
        firstBatch = -1
    }

    func batchDone(_ batch: Int, loss: Double, accuracy: Double) {
        guard !quiet else { return }
        if firstBatch < 0 { firstBatch = batch - 1 }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let done = batch - firstBatch
        let perBatch = elapsed / Double(max(done, 1))
        let samplesPerSecond = Double(done) * Double(rows) / Double(max(batches, 1)) / max(elapsed, 1e-9)
        let eta = perBatch * Double(batches - batch)
        let stats = String(format: "loss %.4f  acc %.4f  %.0f samples/s", loss, accuracy, samplesPerSecond)
        if let observer {
            let line = "epoch \(epoch)/\(epochs) batch \(batch)/\(batches)  ETA \(format(eta))  \(stats)"
            observer(.batch(epoch: epoch, epochs: epochs, batch: batch, batches: batches, loss: loss, accuracy: accuracy, line: line))
        } else if interactive {
            let width = 30
            let filled = width * batch / max(batches, 1)
            let bar = String(repeating: "=", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[2KEpoch \(epoch)/\(epochs) [\(bar)] \(batch)/\(batches)  ETA \(format(eta))  \(stats)")
        } else if batch * 10 / max(batches, 1) > lastPrinted * 10 / max(batches, 1) || batch == batches {
            lastPrinted = batch
            write("epoch \(epoch)/\(epochs) batch \(batch)/\(batches) (\(batch * 100 / max(batches, 1))%)  ETA \(format(eta))  \(stats)\n")
        }
    }

    func endEpoch(_ record: EpochRecord) {
        guard !quiet else { return }
        var line = String(format: "epoch %d/%d  %.1fs  loss %.4f  acc %.4f", record.epoch, epochs, record.seconds, record.trainLoss, record.trainAccuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += String(format: "  val_loss %.4f  val_acc %.4f", loss, accuracy)
        }
        if let observer { return observer(.epoch(record, epochs: epochs, line: line)) }
        write((interactive ? "\r\u{1B}[2K" : "") + line + "\n")
    }

    public func message(_ text: String) {
        if let observer { return observer(.message(text)) }
        guard !quiet else { return }
        write(text + "\n")
    }

    private func format(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
