import ArgumentParser
import Dispatch
import Foundation
import TextRNNRuntime
import TextRNNTrainer

/// `textrnn bench`: training-speed benchmarks on real IMDB token ids (bench/README.md).
///
///   textrnn bench train --workload P1 --batches 50      samples/s, peak RSS, FLOP rate
///   textrnn bench export-ids --workload P1 --output DIR the same batches for bench/peers.py
///
/// Both subcommands build the same batches from the same seed, so every framework trains on
/// identical token ids in identical order.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Training-speed benchmarks (P1-P4) and the token ids the peer frameworks train on (developer tool).",
        shouldDisplay: false,
        subcommands: [BenchTrain.self, BenchExportIDs.self])
}

/// The benchmark workloads of issue 4 (vocabulary 10,000, Embedding 64, Adam, binary IMDB).
struct BenchWorkload {
    let name: String
    let description: String
    let sequenceLength: Int
    let batchSize: Int
    let cell: TrainingConfig.Cell
    let units: [Int]
    let bidirectional: Bool
    let denseUnits: [Int]

    static let all: [BenchWorkload] = [
        BenchWorkload(name: "P1", description: "Embedding 64 (mask) -> BiLSTM 64 -> Dense 1 sigmoid; 256 tokens, batch 64",
                      sequenceLength: 256, batchSize: 64, cell: .lstm, units: [64], bidirectional: true, denseUnits: []),
        BenchWorkload(name: "P2", description: "Embedding 64 (mask) -> GRU 128 -> Dense 1 sigmoid; 64 tokens, batch 128",
                      sequenceLength: 64, batchSize: 128, cell: .gru, units: [128], bidirectional: false, denseUnits: []),
        BenchWorkload(name: "P3", description: "Embedding 64 (mask) -> BiLSTM 64 (seq) -> BiLSTM 32 -> Dense 64 relu -> Dense 1 sigmoid; 256 tokens, batch 64",
                      sequenceLength: 256, batchSize: 64, cell: .lstm, units: [64, 32], bidirectional: true, denseUnits: [64]),
        BenchWorkload(name: "P4", description: "Embedding 64 (mask) -> SimpleRNN 50 -> Dense 1 sigmoid; 50 tokens, batch 512",
                      sequenceLength: 50, batchSize: 512, cell: .simpleRNN, units: [50], bidirectional: false, denseUnits: []),
    ]

    static func named(_ name: String) throws -> BenchWorkload {
        guard let w = all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw ValidationError("--workload must be one of \(all.map(\.name).joined(separator: ", ")), not \"\(name)\"")
        }
        return w
    }

    func config(threads: Int, seed: UInt64) -> TrainingConfig {
        var c = TrainingConfig()
        c.maxTokens = 10_000
        c.sequenceLength = sequenceLength
        c.padding = .post
        c.truncating = .post
        c.cell = cell
        c.units = units
        c.bidirectional = bidirectional
        c.embeddingDim = 64
        c.denseUnits = denseUnits
        c.batchSize = batchSize
        c.epochs = 1
        c.validationSplit = 0
        c.seed = seed
        c.threads = threads
        return c
    }

    /// Nominal training FLOPs per sample at the full sequence length (forward 2·(D+U)·G per step
    /// and direction, backward twice that; Dense layers likewise), as the issue counts them.
    static func flopsPerSample(_ layers: [LayerSpec], time T: Int) -> Double {
        var total = 0.0, dim = 0
        func recurrent(_ s: RecurrentSpec, _ d: Int) -> Double {
            6 * Double(d + s.units) * Double(s.cell.gateCount * s.units) * Double(T)
        }
        for layer in layers {
            switch layer {
            case .embedding(_, let out, _): dim = out
            case .recurrent(let s): total += recurrent(s, dim); dim = s.units
            case .bidirectional(let f, let b, let merge):
                total += recurrent(f, dim) + recurrent(b, dim)
                dim = merge == .concat ? 2 * f.units : f.units
            case .dense(let units, _): total += 6 * Double(dim * units); dim = units
            case .globalMaxPooling, .globalAveragePooling: break
            }
        }
        return total
    }
}

/// The data and batches shared by `bench train` and `bench export-ids`.
struct BenchSetup {
    let workload: BenchWorkload
    let session: TrainingSession
    let data: EncodedDataset
    let batches: [ArraySlice<Int>]

    static func dataDirectory(_ explicit: String?) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["TEXTRNN_DATA"], !env.isEmpty { return env }
        return "../shared/data"
    }

    init(workload: BenchWorkload, dataDir: String?, order: String, count: Int, threads: Int, seed: UInt64, log: Bool) throws {
        self.workload = workload
        let path = BenchSetup.dataDirectory(dataDir) + "/imdb/train.csv"
        let started = DispatchTime.now()
        let dataset = try DatasetLoader.load(path)
        let config = workload.config(threads: threads, seed: seed)
        session = try TrainingSession(config: config, train: dataset) { if log { printError($0) } }
        data = try session.encode(dataset)
        var rng = SeededGenerator(seed: seed).split(0xBE4C)
        var all: [ArraySlice<Int>]
        switch order {
        case "random":
            var rows = Array(0..<data.count)
            rows.shuffle(using: &rng)
            let rowsCopy = rows
            let size = workload.batchSize
            all = stride(from: 0, to: rows.count - size + 1, by: size).map { rowsCopy[$0..<($0 + size)] }
        case "bucketed":
            all = data.epochBatches(batchSize: workload.batchSize, bucket: true, rng: &rng).filter { $0.count == workload.batchSize }
        default:
            throw ValidationError("--order must be random or bucketed, not \"\(order)\"")
        }
        guard count <= all.count else {
            throw ValidationError("\(workload.name) has \(all.count) full batches of \(workload.batchSize); asked for \(count)")
        }
        batches = Array(all.prefix(count))
        if log {
            let secs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            printError(String(format: "bench: %@ data ready in %.1f s (%d rows, %d batches)", workload.name, secs, data.count, batches.count))
        }
    }
}

struct BenchOptions: ParsableArguments {
    @Option(help: "Workload: P1, P2, P3 or P4.") var workload: String = "P1"
    @Option(help: "Timed batches per repeat.") var batches: Int = 30
    @Option(help: "Untimed batches first (buffers grow, caches warm).") var warmup: Int = 3
    @Option(help: "Batch order: random (a seeded shuffle) or bucketed (as textrnn train groups by length).") var order: String = "random"
    @Option(help: "Threads.") var threads: Int = 2
    @Option var seed: UInt64 = 42
    @Option(help: "Data directory holding imdb/ (default $TEXTRNN_DATA or ../shared/data).") var data: String?
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a workload for a fixed number of batches; print samples/s, peak RSS and FLOP rate.")

    @OptionGroup var options: BenchOptions
    @Option(help: "Repeat the timed batches (training continues) and report the best.") var repeats: Int = 3
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let workload = try BenchWorkload.named(options.workload)
        let setup = try BenchSetup(workload: workload, dataDir: options.data, order: options.order,
                                   count: options.warmup + options.batches, threads: options.threads, seed: options.seed, log: !json)
        let network = setup.session.network, optimizer = setup.session.optimizer, loss = setup.session.plan.loss
        var ids: [Int32] = [], targets: [Float] = []
        var tokens = 0, cells = 0
        func step(_ index: Int) throws -> Float {
            let (batch, time) = setup.data.batch(setup.batches[index], ids: &ids, targets: &targets)
            var rng = SeededGenerator(seed: options.seed).split(UInt64(index))
            let (l, _) = try network.lossAndGradients(tokenIds: ids, batch: batch, time: time, targets: targets, loss: loss, training: true, rng: &rng)
            optimizer.step(network.store)
            tokens += ids.lazy.filter { $0 != 0 }.count
            cells += batch * time
            return l
        }
        for i in 0..<options.warmup { _ = try step(i) }
        var before = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        var best = Double.infinity, lastLoss: Float = 0, realTokens = 0, paddedCells = 0
        var all: [Double] = []
        for _ in 0..<max(1, repeats) {
            tokens = 0; cells = 0
            let start = DispatchTime.now()
            for i in options.warmup..<(options.warmup + options.batches) { lastLoss = try step(i) }
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            all.append(secs)
            best = min(best, secs)
            realTokens = tokens; paddedCells = cells
        }
        let samples = Double(options.batches * workload.batchSize)
        let perSample = BenchWorkload.flopsPerSample(network.specs, time: workload.sequenceLength)
        let rate = samples / best
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rssMB = Double(usage.ru_maxrss) / 1024
        let faultsPerBatch = Double(usage.ru_minflt - before.ru_minflt) / Double(max(1, repeats) * options.batches)
        let fill = Double(realTokens) / Double(samples * Double(workload.sequenceLength))
        if json {
            let runs = all.map { String(format: "%.2f", samples / $0) }.joined(separator: ",")
            print(String(format: "{\"framework\":\"textrnn\",\"workload\":\"%@\",\"order\":\"%@\",\"threads\":%d,\"batches\":%d,\"samples_per_s\":%.2f,\"runs\":[%@],\"peak_rss_mb\":%.1f,\"nominal_gflop_per_s\":%.2f,\"mflop_per_sample\":%.2f,\"token_fill\":%.4f,\"loss\":%.5f}",
                         workload.name, options.order, options.threads, options.batches, rate, runs, rssMB, rate * perSample / 1e9,
                         perSample / 1e6, fill, lastLoss))
        } else {
            print("\(workload.name): \(workload.description)")
            print(String(format: "  %d batches x %d, order %@, %d threads: %.1f samples/s (best of %d: %@)", options.batches, workload.batchSize,
                         options.order, options.threads, rate, all.count, all.map { String(format: "%.1f", samples / $0) }.joined(separator: ", ")))
            print(String(format: "  nominal %.1f MFLOP/sample -> %.1f GFLOP/s; real tokens %.1f%% of %d x %d, trimmed cells %.1f%%",
                         perSample / 1e6, rate * perSample / 1e9, 100 * fill, Int(samples), workload.sequenceLength,
                         100 * Double(paddedCells) / (samples * Double(workload.sequenceLength))))
            print(String(format: "  peak RSS %.1f MB; %.0f page faults per batch; last loss %.4f", rssMB, faultsPerBatch, lastLoss))
        }
    }
}

struct BenchExportIDs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-ids",
        abstract: "Write the benchmark batches as raw little-endian arrays for bench/peers.py.",
        discussion: """
            OUTPUT/ids.i32 [batches, batch, length] int32 (post-padded, 0 = padding), \
            OUTPUT/lengths.i32 [batches, batch], OUTPUT/labels.f32 [batches, batch] and OUTPUT/meta.json.
            """)

    @OptionGroup var options: BenchOptions
    @Option(help: "Output directory.") var output: String

    func run() throws {
        let workload = try BenchWorkload.named(options.workload)
        let n = options.warmup + options.batches
        let setup = try BenchSetup(workload: workload, dataDir: options.data, order: options.order, count: n,
                                   threads: options.threads, seed: options.seed, log: true)
        let data = setup.data, L = data.length
        var ids: [Int32] = [], lengths: [Int32] = [], labels: [Float] = []
        for batch in setup.batches {
            for row in batch {
                ids.append(contentsOf: data.ids[(row * L)..<((row + 1) * L)])
                lengths.append(data.tokenCounts[row])
                labels.append(data.targets[row])
            }
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        func write<T>(_ values: [T], _ name: String) throws {
            let bytes = values.withUnsafeBytes { Data($0) }
            try bytes.write(to: URL(fileURLWithPath: output + "/" + name))
        }
        try write(ids, "ids.i32")
        try write(lengths, "lengths.i32")
        try write(labels, "labels.f32")
        let vocab = setup.session.pipeline.vocabulary.count
        let perSample = BenchWorkload.flopsPerSample(setup.session.network.specs, time: workload.sequenceLength)
        let meta = """
            {"workload":"\(workload.name)","description":"\(workload.description)","order":"\(options.order)",\
            "batches":\(n),"warmup":\(options.warmup),"batch_size":\(workload.batchSize),"length":\(L),\
            "vocabulary":\(vocab),"embedding_dim":64,"cell":"\(workload.cell.rawValue)",\
            "units":[\(workload.units.map(String.init).joined(separator: ","))],"bidirectional":\(workload.bidirectional),\
            "dense_units":[\(workload.denseUnits.map(String.init).joined(separator: ","))],"mflop_per_sample":\(perSample / 1e6)}

            """
        try meta.write(toFile: output + "/meta.json", atomically: true, encoding: .utf8)
        printError("bench: wrote \(n) batches of \(workload.batchSize) x \(L) to \(output)")
    }
}
