import TextRNNRuntime

public enum EmbeddingError: Error, CustomStringConvertible {
    case tokenOutOfRange(id: Int32, inputDim: Int)
    public var description: String {
        switch self {
        case .tokenOutOfRange(let id, let inputDim): "token id \(id) outside the embedding's [0, \(inputDim))"
        }
    }
}

/// Embedding lookup [B, T] ids → [B, T, C], mask = id != 0 when maskZero, and SpatialDropout1D on
/// the result during training (one mask per sample over channels, so a dropped channel is dropped
/// at every time step).
///
/// The gradient is sparse: backward adds only into rows of tokens present in the batch
/// (`touchedRows`). Keras's Adam treats this gradient as dense, so the optimizers do too.
final class EmbeddingLayer {
    let inputDim: Int
    let outputDim: Int
    let maskZero: Bool
    let embeddings: TensorView  // [inputDim, C]
    var spatialDropout: Float = 0
    var batch = 0, time = 0
    var useDropout = false
    /// Rows that receive gradient from the last batch (its distinct ids), ascending.
    var touchedRows: [Int] { Set(ids.map(Int.init)).sorted() }

    private var ids: [Int32] = []         // [B, T] copy of the last batch
    let output = FloatBuffer()            // [B, T, C]
    let mask = FloatBuffer()              // [B, T] 1 = real token
    let channelMask = FloatBuffer()       // [B, C] spatial dropout mask

    init(inputDim: Int, outputDim: Int, maskZero: Bool, layer: Int, layout: inout ParameterLayout) {
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        embeddings = layout.add(tensorName(layer: layer, role: "embeddings"), [inputDim, outputDim], sparse: true)
    }

    func forward(ids x: UnsafePointer<Int32>, batch B: Int, time T: Int, training: Bool, rng: inout SeededGenerator, parameters p: UnsafeMutablePointer<Float>) throws -> UnsafeMutablePointer<Float> {
        batch = B; time = T
        let C = outputDim
        ids.removeAll(keepingCapacity: true)
        ids.append(contentsOf: UnsafeBufferPointer(start: x, count: B * T))
        for id in ids where id < 0 || Int(id) >= inputDim { throw EmbeddingError.tokenOutOfRange(id: id, inputDim: inputDim) }
        nonisolated(unsafe) let out = output.resize(B * T * C), m = mask.resize(B * T)
        nonisolated(unsafe) let table = p + embeddings.offset, idP = x
        let zeroMasks = maskZero
        forEachHalf(B * T, minimum: 4096) { lookups in
            for i in lookups {
                (out + i * C).update(from: table + Int(idP[i]) * C, count: C)
                m[i] = zeroMasks && idP[i] == 0 ? 0 : 1
            }
        }
        useDropout = training && spatialDropout > 0
        if useDropout {
            let cm = channelMask.resize(B * C)
            DropoutMask.fill(cm, count: B * C, rate: spatialDropout, rng: &rng)
            for b in 0..<B { for t in 0..<T { let row = out + (b * T + t) * C; for c in 0..<C { row[c] *= cm[b * C + c] } } }
        }
        return out
    }

    /// The mask for downstream layers, nil when the Embedding does not mask.
    var outputMask: UnsafeMutablePointer<Float>? { maskZero ? mask.pointer : nil }

    /// Adds dY [B, T, C] (times the spatial dropout mask) into the rows of the looked-up tokens.
    /// Also adds each lookup's squared slice into `squares` (see ParameterStore.sparseGradientSquares).
    func backward(outputGradient dY: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Float>) {
        let B = batch, T = time, C = outputDim
        nonisolated(unsafe) let table = g + embeddings.offset, sqTable = squares + embeddings.offset
        nonisolated(unsafe) let cm = channelMask.pointer, dYs = dY
        let dropped = useDropout
        ids.withUnsafeBufferPointer { idBuffer in
            nonisolated(unsafe) let idP = idBuffer.baseAddress!
            // Lookups of the same token add into the same row, so the threads split the channels
            // rather than the lookups; each channel keeps the lookup order of a single thread.
            forEachHalf(C, minimum: B * T * C >= 4096 ? 2 : Int.max) { channels in
                let lo = channels.lowerBound, n = channels.count
                for b in 0..<B {
                    let keep = dropped ? UnsafePointer(cm + b * C + lo) : nil
                    for t in 0..<T {
                        let lookup = b * T + t, id = Int(idP[lookup])
                        addLookup(dYs + lookup * C + lo, keep, into: table + id * C + lo, squares: sqTable + id * C + lo, n)
                    }
                }
            }
        }
    }

    /// dst += v and squares += v² for v = src (· keep), n floats, eight at a time.
    @inline(__always)
    private func addLookup(_ src: UnsafePointer<Float>, _ keep: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>,
                           squares sq: UnsafeMutablePointer<Float>, _ n: Int) {
        var c = 0
        while c + 8 <= n {
            var v = UnsafeRawPointer(src + c).loadUnaligned(as: SIMD8<Float>.self)
            if let keep { v *= UnsafeRawPointer(keep + c).loadUnaligned(as: SIMD8<Float>.self) }
            let d = UnsafeMutableRawPointer(dst + c), q = UnsafeMutableRawPointer(sq + c)
            d.storeBytes(of: d.loadUnaligned(as: SIMD8<Float>.self) + v, as: SIMD8<Float>.self)
            q.storeBytes(of: q.loadUnaligned(as: SIMD8<Float>.self) + v * v, as: SIMD8<Float>.self)
            c += 8
        }
        while c < n {
            let v = keep.map { src[c] * $0[c] } ?? src[c]
            dst[c] += v
            sq[c] += v * v
            c += 1
        }
    }
}
