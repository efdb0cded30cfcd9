import Dispatch
import Foundation

/// Training progress on standard error (docs/cli.md, "Progress"):
/// - `.bar`: on a terminal a live bar, redrawn in place and cut to the terminal's width; when
///   redirected, plain lines about every 10% of an epoch;
/// - `.epochs`: one line per epoch;
/// - `.quiet`: nothing (the command prints its final summary itself).
/// Every line starts with "Epoch" (one capitalisation, whatever the level).
public final class ProgressReporter {
    /// One report, for callers that take progress in process (the trainer's C ABI) rather than
    /// on standard error: the numbers plus the line that would have been printed.
    public enum Event {
        case message(String)
        case batch(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double, line: String)
        case epoch(EpochRecord, epochs: Int, line: String)
    }

    public enum Level: String, Sendable, CaseIterable {
        case bar, epochs, quiet
    }

    private let interactive: Bool
    private let level: Level
    private let columns: Int
    /// When set, receives every event instead of standard error (and `level` is ignored).
    private let observer: ((Event) -> Void)?
    private var epoch = 0, epochs = 0, batches = 0, rows = 0
    private var started = DispatchTime.now()
    private var lastPrinted = 0
    private var firstBatch = 0

    public init(
        interactive: Bool = isatty(STDERR_FILENO) != 0, level: Level = .bar, columns: Int? = nil
    ) {
        self.interactive = interactive
        self.level = level
        self.columns = columns ?? ProgressReporter.terminalColumns()
        self.observer = nil
    }

    /// Sends every event to `observer` (plain lines, as when standard error is not a terminal).
    public init(observer: @escaping (Event) -> Void) {
        self.interactive = false
        self.level = .bar
        self.columns = 80
        self.observer = observer
    }

    public convenience init(interactive: Bool = isatty(STDERR_FILENO) != 0, quiet: Bool) {
        self.init(interactive: interactive, level: quiet ? .quiet : .bar)
    }

    /// The width to fit: $COLUMNS when set, else the terminal's (stderr), else 80.
    public static func terminalColumns() -> Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 { return value }
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    func beginEpoch(_ epoch: Int, of epochs: Int, batches: Int, rows: Int) {
        (self.epoch, self.epochs, self.batches, self.rows) = (epoch, epochs, batches, rows)
        started = DispatchTime.now()
        lastPrinted = 0
        firstBatch = -1
    }

    func batchDone(_ batch: Int, loss: Double, accuracy: Double) {
        guard level == .bar || observer != nil else { return }
        if firstBatch < 0 { firstBatch = batch - 1 }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let done = batch - firstBatch
        let perBatch = elapsed / Double(max(done, 1))
        let samplesPerSecond = Double(done) * Double(rows) / Double(max(batches, 1)) / max(elapsed, 1e-9)
        let eta = perBatch * Double(batches - batch)
        if let observer {
            let stats = String(format: "loss %.4f  acc %.4f  %.0f samples/s", loss, accuracy, samplesPerSecond)
            let line = "Epoch \(epoch)/\(epochs) batch \(batch)/\(batches)  ETA \(ProgressReporter.clock(eta))  \(stats)"
            observer(.batch(epoch: epoch, epochs: epochs, batch: batch, batches: batches, loss: loss, accuracy: accuracy, line: line))
        } else if interactive {
            let line = ProgressReporter.barLine(
                epoch: epoch, of: epochs, batch: batch, of: batches, eta: eta, loss: loss, accuracy: accuracy,
                samplesPerSecond: samplesPerSecond, columns: columns)
            write("\r\u{1B}[2K" + line)
        } else if batch * 10 / max(batches, 1) > lastPrinted * 10 / max(batches, 1) || batch == batches {
            lastPrinted = batch
            let stats = String(format: "loss %.4f  acc %.4f  %.0f samples/s", loss, accuracy, samplesPerSecond)
            write("Epoch \(epoch)/\(epochs) batch \(batch)/\(batches) (\(batch * 100 / max(batches, 1))%)  ETA \(ProgressReporter.clock(eta))  \(stats)\n")
        }
    }

    /// The live bar, at most `columns - 1` characters (a line that fills the last column wraps
    /// on some terminals, and a wrapped line is not redrawn in place): the bar narrows first,
    /// then the least useful figures go.
    static func barLine(
        epoch: Int, of epochs: Int, batch: Int, of batches: Int, eta: Double, loss: Double, accuracy: Double,
        samplesPerSecond: Double, columns: Int
    ) -> String {
        let limit = max(columns - 1, 1)
        let head = "Epoch \(epoch)/\(epochs) "
        let count = " \(batch)/\(batches)"
        var tails = [
            String(format: "  ETA %@  loss %.4f  acc %.4f  %.0f/s", clock(eta), loss, accuracy, samplesPerSecond),
            String(format: "  ETA %@  loss %.4f  acc %.4f", clock(eta), loss, accuracy),
            String(format: "  ETA %@  loss %.4f", clock(eta), loss),
            "  ETA \(clock(eta))",
            "",
        ]
        let maximumBar = 30, minimumBar = 10
        while let tail = tails.first {
            let room = limit - head.count - count.count - tail.count - 2
            if room >= minimumBar || tails.count == 1 {
                let width = max(0, min(maximumBar, room))
                let filled = width * batch / max(batches, 1)
                let bar = "[" + String(repeating: "=", count: filled) + String(repeating: ".", count: width - filled) + "]"
                return String((head + bar + count + tail).prefix(limit))
            }
            tails.removeFirst()
        }
        return ""
    }

    func endEpoch(_ record: EpochRecord) {
        guard level != .quiet || observer != nil else { return }
        var line = String(format: "Epoch %d/%d  %.1fs  loss %.4f  acc %.4f", record.epoch, epochs, record.seconds, record.trainLoss, record.trainAccuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += String(format: "  val_loss %.4f  val_acc %.4f", loss, accuracy)
        }
        if let observer { return observer(.epoch(record, epochs: epochs, line: line)) }
        write((interactive && level == .bar ? "\r\u{1B}[2K" : "") + line + "\n")
    }

    public func message(_ text: String) {
        if let observer { return observer(.message(text)) }
        guard level != .quiet else { return }
        // In a terminal a line too long for it is wrapped at words, its continuation indented,
        // instead of mid-word by the terminal; in a log it stays one line (one grep hit).
        let lines = !interactive ? [text] : text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { line in
            line.count < columns ? [String(line)] : wordWrapped(String(line), head: "", indent: "    ", width: max(columns - 1, 20))
        }
        write(lines.joined(separator: "\n") + "\n")
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.isFinite ? seconds.rounded() : 0)
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
