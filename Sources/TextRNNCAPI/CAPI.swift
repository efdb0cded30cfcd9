// The C ABI of include/textrnn.h, implemented over TextRNNRuntime.
//
// Every function is checked against its C declaration by `@c @implementation` (the header is
// imported through the CTextRNN module), so the header stays the spec.
//
// Design
// - A `textrnn_model *` is a retained `ModelHandle`: the immutable `Model` plus the labels as
//   NUL-terminated C strings owned by the handle. Threads share it without locks.
// - Everything a call writes lives in a per-thread `ThreadState` (pthread key with a destructor):
//   the prediction scratch, small work arrays, and the last error message (a malloc'd C string).
//   Nothing mutable is shared between threads.
// - No entry point traps on bad input: arguments are validated first, sizes are compared as
//   unsigned (a size_t above Int.max is "huge", never negative), and products are
//   overflow-checked.
// No Foundation here: the library carries the Swift standard library only.

import CTextRNN
import CTextRNNKernels
import Glibc
@_spi(TextRNNInternal) import TextRNNRuntime

// MARK: - Model handle

/// What a `textrnn_model *` points to (retained once by textrnn_load, released by textrnn_free).
final class ModelHandle {
    let model: Model
    let labelCount: Int
    /// NUL-terminated UTF-8 label names, owned here, valid until the handle is freed.
    let labelNames: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ model: Model) throws(TextRNNError) {
        self.model = model
        labelCount = model.labelCount
        labelNames = .allocate(capacity: max(labelCount, 1))
        labelNames.initialize(repeating: nil, count: max(labelCount, 1))
        for (index, label) in model.labels.enumerated() {
            guard let copy = strdup(label) else {
                throw TextRNNError(.outOfMemory, "cannot copy label \(index)")
            }
            labelNames[index] = copy
        }
    }

    deinit {
        for index in 0..<max(labelCount, 1) { free(labelNames[index]) }
        labelNames.deallocate()
    }
}

@inline(__always)
private func borrowHandle(_ pointer: OpaquePointer?) -> ModelHandle? {
    guard let pointer else { return nil }
    return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

func requireHandle(_ pointer: OpaquePointer?) throws(TextRNNError) -> ModelHandle {
    guard let handle = borrowHandle(pointer) else { throw TextRNNError(.invalidArgument, "model is NULL") }
    return handle
}

// MARK: - Per-thread state

/// Per-thread working memory and the thread's last error message.
final class ThreadState {
    let scratch = PredictionScratch()
    var tokenizer = TokenizerScratch()
    var ids: [Int32] = []
    var floats: [Float] = []
    var order: [Int] = []
    /// malloc'd, NUL-terminated; nil = no failure yet on this thread.
    var lastError: UnsafeMutablePointer<CChar>? = nil

    deinit { free(lastError) }
}

/// The pthread key of the calling thread's `ThreadState`; its destructor releases the state when
/// the thread exits. Swift initializes globals once, thread-safely. nil if no key was available.
private let threadStateKey: pthread_key_t? = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { pointer in
        guard let pointer else { return }
        Unmanaged<ThreadState>.fromOpaque(pointer).release()
    }
    return status == 0 ? key : nil
}()

/// Used only if pthread_key_create failed (PTHREAD_KEYS_MAX reached): a fresh state per call,
/// with errors kept process-wide (best effort).
nonisolated(unsafe) private var fallbackError: UnsafeMutablePointer<CChar>? = nil

private func currentThreadState() -> ThreadState {
    guard let key = threadStateKey else { return ThreadState() }
    if let pointer = pthread_getspecific(key) {
        return Unmanaged<ThreadState>.fromOpaque(pointer).takeUnretainedValue()
    }
    let state = ThreadState()
    let retained = Unmanaged.passRetained(state)
    if pthread_setspecific(key, retained.toOpaque()) != 0 { retained.release() }
    return state
}

private func status(_ value: TextRNNError.Status) -> textrnn_status {
    textrnn_status(rawValue: numericCast(value.rawValue))
}

/// Records `error` as the calling thread's last error and returns its status.
private func fail(_ function: StaticString, _ error: TextRNNError) -> textrnn_status {
    let message = strdup("\(function): \(error.message)")
    if threadStateKey != nil {
        let state = currentThreadState()
        free(state.lastError)
        state.lastError = message
    } else {
        free(fallbackError)
        fallbackError = message
    }
    return status(error.status)
}

/// Runs `body`, turning a thrown error into a status plus the thread's last error message.
@inline(__always)
func run(_ function: StaticString, _ body: () throws(TextRNNError) -> Void) -> textrnn_status {
    do {
        try body()
        return TEXTRNN_OK
    } catch {
        return fail(function, error)
    }
}

// MARK: - Argument helpers

private let maxTextBytes = UInt(TEXTRNN_MAX_TEXT_BYTES)

/// size_t arrives as Int; values above Int.max come in negative. Compare sizes as UInt.
@inline(__always)
func unsigned(_ value: Int) -> UInt { UInt(bitPattern: value) }

/// The bytes of a text argument: NULL with size 0 is the empty text.
func textBytes(
    _ text: UnsafePointer<CChar>?, _ size: Int, _ name: String = "text"
) throws(TextRNNError) -> UnsafeBufferPointer<UInt8> {
    guard unsigned(size) <= maxTextBytes else {
        throw TextRNNError(.limitExceeded, "\(name) of \(unsigned(size)) bytes exceeds TEXTRNN_MAX_TEXT_BYTES (\(maxTextBytes))")
    }
    guard let text else {
        guard size == 0 else { throw TextRNNError(.invalidArgument, "\(name) is NULL but its size is \(size)") }
        return UnsafeBufferPointer(start: nil, count: 0)
    }
    return UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: size)
}

/// Checks an output buffer of `capacity` floats for `needed` values.
private func outputBuffer(
    _ pointer: UnsafeMutablePointer<Float>?, capacity: Int, needed: Int, _ what: String = "probabilities"
) throws(TextRNNError) -> UnsafeMutableBufferPointer<Float> {
    guard unsigned(capacity) >= UInt(needed) else {
        throw TextRNNError(.invalidArgument, "capacity is \(unsigned(capacity)) floats, but \(needed) are needed (one per label)")
    }
    guard let pointer else {
        if needed == 0 { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        throw TextRNNError(.invalidArgument, "\(what) is NULL")
    }
    return UnsafeMutableBufferPointer(start: pointer, count: needed)
}

/// A C string argument as a Swift string; invalid UTF-8 is refused rather than repaired (a
/// repaired path would name a different file).
private func pathString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(TextRNNError) -> String {
    guard let pointer else { throw TextRNNError(.invalidArgument, "\(name) is NULL") }
    guard let string = String(validatingCString: pointer) else {
        throw TextRNNError(.invalidArgument, "\(name) is not valid UTF-8")
    }
    guard !string.isEmpty else { throw TextRNNError(.invalidArgument, "\(name) is empty") }
    return string
}

private func newModel(_ model: Model, _ out: UnsafeMutablePointer<OpaquePointer?>) throws(TextRNNError) {
    let handle = try ModelHandle(model)
    out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
}

// MARK: - Version and status

nonisolated(unsafe) private let versionString: UnsafePointer<CChar> = {
    // The library's own version (TextRNNVersion), which the header's TEXTRNN_VERSION_STRING must
    // equal; static storage for the life of the process.
    UnsafePointer(strdup(TextRNNVersion.string) ?? UnsafeMutablePointer(mutating: staticCString("0.0.0")))
}()

@inline(__always)
private func staticCString(_ string: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation public func textrnn_version() -> UnsafePointer<CChar>! {
    versionString
}

@c @implementation public func textrnn_kernels() -> UnsafePointer<CChar>! {
    trk_kernel_name()
}

@c @implementation public func textrnn_status_string(_ value: textrnn_status) -> UnsafePointer<CChar>! {
    switch value {
    case TEXTRNN_OK: staticCString("ok")
    case TEXTRNN_ERROR_INVALID_ARGUMENT: staticCString("invalid argument")
    case TEXTRNN_ERROR_IO: staticCString("I/O error")
    case TEXTRNN_ERROR_INVALID_BUNDLE: staticCString("invalid bundle")
    case TEXTRNN_ERROR_UNSUPPORTED: staticCString("unsupported")
    case TEXTRNN_ERROR_LIMIT: staticCString("limit exceeded")
    case TEXTRNN_ERROR_OUT_OF_MEMORY: staticCString("out of memory")
    case TEXTRNN_ERROR_INTERNAL: staticCString("internal error")
    default: staticCString("unknown status")
    }
}

@c @implementation public func textrnn_last_error() -> UnsafePointer<CChar>! {
    if threadStateKey == nil { return UnsafePointer(fallbackError) ?? staticCString("") }
    // Do not create a state (and its scratch) just to say "no error".
    guard let key = threadStateKey, let pointer = pthread_getspecific(key) else { return staticCString("") }
    let state = Unmanaged<ThreadState>.fromOpaque(pointer).takeUnretainedValue()
    return UnsafePointer(state.lastError) ?? staticCString("")
}

// MARK: - Loading

@c @implementation public func textrnn_load(
    _ bundle_path: UnsafePointer<CChar>?, _ out_model: UnsafeMutablePointer<OpaquePointer?>?
) -> textrnn_status {
    run("textrnn_load") { () throws(TextRNNError) in
        guard let out_model else { throw TextRNNError(.invalidArgument, "out_model is NULL") }
        out_model.pointee = nil
        let path = try pathString(bundle_path, "bundle_path")
        try newModel(try Model(bundlePath: path), out_model)
    }
}

@c @implementation public func textrnn_load_from_memory(
    _ manifest_json: UnsafeRawPointer?, _ manifest_size: Int, _ weights: UnsafeRawPointer?, _ weights_size: Int,
    _ out_model: UnsafeMutablePointer<OpaquePointer?>?
) -> textrnn_status {
    run("textrnn_load_from_memory") { () throws(TextRNNError) in
        guard let out_model else { throw TextRNNError(.invalidArgument, "out_model is NULL") }
        out_model.pointee = nil
        guard unsigned(manifest_size) <= UInt(Model.maxManifestBytes) else {
            throw TextRNNError(.limitExceeded, "manifest_size \(unsigned(manifest_size)) exceeds the limit of \(Model.maxManifestBytes) bytes")
        }
        guard manifest_json != nil || manifest_size == 0 else {
            throw TextRNNError(.invalidArgument, "manifest_json is NULL but manifest_size is \(manifest_size)")
        }
        guard weights_size >= 0 else {
            throw TextRNNError(.limitExceeded, "weights_size \(unsigned(weights_size)) is too large")
        }
        guard weights != nil || weights_size == 0 else {
            throw TextRNNError(.invalidArgument, "weights is NULL but weights_size is \(weights_size)")
        }
        let manifest = UnsafeRawBufferPointer(start: manifest_size == 0 ? nil : manifest_json, count: manifest_size)
        let weightBytes = UnsafeRawBufferPointer(start: weights_size == 0 ? nil : weights, count: weights_size)
        try newModel(try Model(manifestJSON: manifest, weights: weightBytes), out_model)
    }
}

@c @implementation public func textrnn_free(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

// MARK: - Model information

@c @implementation public func textrnn_label_count(_ model: OpaquePointer?) -> Int {
    borrowHandle(model)?.labelCount ?? 0
}

@c @implementation public func textrnn_label(_ model: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    guard let handle = borrowHandle(model), index >= 0, index < handle.labelCount else { return nil }
    return UnsafePointer(handle.labelNames[index])
}

@c @implementation public func textrnn_output(_ model: OpaquePointer?) -> textrnn_output_kind {
    guard let handle = borrowHandle(model) else { return TEXTRNN_OUTPUT_SOFTMAX }
    switch handle.model.manifest.output {
    case .softmax: return TEXTRNN_OUTPUT_SOFTMAX
    case .binarySigmoid: return TEXTRNN_OUTPUT_BINARY_SIGMOID
    case .multiLabelSigmoid: return TEXTRNN_OUTPUT_MULTI_LABEL_SIGMOID
    }
}

@c @implementation public func textrnn_vocabulary_size(_ model: OpaquePointer?) -> Int {
    borrowHandle(model)?.model.pipeline.vocabulary.count ?? 0
}

@c @implementation public func textrnn_sequence_length(_ model: OpaquePointer?) -> Int {
    borrowHandle(model)?.model.pipeline.config.sequenceLength ?? 0
}

// MARK: - Prediction

@c @implementation public func textrnn_predict(
    _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ text_size: Int,
    _ probabilities: UnsafeMutablePointer<Float>?, _ capacity: Int
) -> textrnn_status {
    run("textrnn_predict") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        let bytes = try textBytes(text, text_size)
        let output = try outputBuffer(probabilities, capacity: capacity, needed: handle.labelCount)
        try handle.model.predict(text: bytes, into: output, scratch: currentThreadState().scratch)
    }
}

@c @implementation public func textrnn_predict_ids(
    _ model: OpaquePointer?, _ ids: UnsafePointer<Int32>?, _ count: Int,
    _ probabilities: UnsafeMutablePointer<Float>?, _ capacity: Int
) -> textrnn_status {
    run("textrnn_predict_ids") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard unsigned(count) <= UInt(TextLimits.maxTokens) else {
            throw TextRNNError(.limitExceeded, "count \(unsigned(count)) exceeds the limit of \(TextLimits.maxTokens) token ids")
        }
        guard ids != nil || count == 0 else { throw TextRNNError(.invalidArgument, "ids is NULL but count is \(count)") }
        let output = try outputBuffer(probabilities, capacity: capacity, needed: handle.labelCount)
        let sequence = UnsafeBufferPointer(start: count == 0 ? nil : ids, count: count)
        try handle.model.predict(tokenIDs: sequence, into: output, scratch: currentThreadState().scratch)
    }
}

/// The texts of a textrnn_predict_batch call (the caller's arrays, read-only during the call).
struct CTextBatch: BatchTexts, @unchecked Sendable {
    let texts: UnsafePointer<UnsafePointer<CChar>?>
    let sizes: UnsafePointer<Int>
    let count: Int

    func byteCount(_ index: Int) -> Int { sizes[index] }

    func withText(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(TextRNNError) -> Void) throws(TextRNNError) {
        try body(try textBytes(texts[index], sizes[index], "texts[\(index)]"))
    }
}

let maxBatchThreads = 256

@c @implementation public func textrnn_predict_batch(
    _ model: OpaquePointer?, _ texts: UnsafePointer<UnsafePointer<CChar>?>?, _ text_sizes: UnsafePointer<Int>?,
    _ count: Int, _ probabilities: UnsafeMutablePointer<Float>?, _ capacity: Int, _ threads: Int
) -> textrnn_status {
    run("textrnn_predict_batch") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard count >= 0 else { throw TextRNNError(.invalidArgument, "count \(unsigned(count)) is too large") }
        let (needed, overflow) = count.multipliedReportingOverflow(by: handle.labelCount)
        guard !overflow else {
            throw TextRNNError(.invalidArgument, "count \(count) x \(handle.labelCount) labels overflows size_t")
        }
        guard unsigned(capacity) >= UInt(needed) else {
            throw TextRNNError(.invalidArgument, "capacity is \(unsigned(capacity)) floats, but \(count) texts x \(handle.labelCount) labels = \(needed) are needed")
        }
        guard count > 0 else { return }
        guard let texts else { throw TextRNNError(.invalidArgument, "texts is NULL but count is \(count)") }
        guard let text_sizes else { throw TextRNNError(.invalidArgument, "text_sizes is NULL but count is \(count)") }
        guard let probabilities else { throw TextRNNError(.invalidArgument, "probabilities is NULL") }
        // Check every text before predicting any, so the first bad one is reported.
        for index in 0..<count {
            _ = try textBytes(texts[index], text_sizes[index], "texts[\(index)]")
        }
        let requested = unsigned(threads) == 0 ? min(onlineProcessors(), maxBatchThreads) : Int(min(unsigned(threads), UInt(maxBatchThreads)))
        let workers = min(requested, count)
        // The calling thread keeps its scratch from call to call; the others are new threads.
        let scratches = [currentThreadState().scratch] + (1..<workers).map { _ in PredictionScratch() }
        let batch = CTextBatch(texts: texts, sizes: text_sizes, count: count)
        if let failure = handle.model.predictBatch(batch, into: probabilities, scratches: scratches, threads: requested) {
            throw TextRNNError(failure.error.status, "text \(failure.index): \(failure.error.message)")
        }
    }
}

@c @implementation public func textrnn_top_k(
    _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ text_size: Int, _ k: Int,
    _ labels: UnsafeMutablePointer<Int>?, _ probabilities: UnsafeMutablePointer<Float>?,
    _ out_count: UnsafeMutablePointer<Int>?
) -> textrnn_status {
    run("textrnn_top_k") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard k != 0 else { throw TextRNNError(.invalidArgument, "k is 0") }
        guard let labels else { throw TextRNNError(.invalidArgument, "labels is NULL") }
        guard let probabilities else { throw TextRNNError(.invalidArgument, "probabilities is NULL") }
        guard let out_count else { throw TextRNNError(.invalidArgument, "out_count is NULL") }
        let bytes = try textBytes(text, text_size)
        let state = currentThreadState()
        let labelCount = handle.labelCount
        if state.floats.count < labelCount { state.floats = [Float](repeating: 0, count: labelCount) }
        try state.floats.withUnsafeMutableBufferPointer { buffer throws(TextRNNError) in
            let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<labelCount])
            try handle.model.predict(text: bytes, into: values, scratch: state.scratch)
        }
        let values = state.floats
        state.order.removeAll(keepingCapacity: true)
        state.order.append(contentsOf: 0..<labelCount)
        state.order.sort { a, b in LabelOrder.ranks(a, before: b, in: values) }
        let written = Int(min(unsigned(k), UInt(labelCount)))
        for rank in 0..<written {
            labels[rank] = state.order[rank]
            probabilities[rank] = values[state.order[rank]]
        }
        out_count.pointee = written
    }
}

@c @implementation public func textrnn_top_labels(
    _ model: OpaquePointer?, _ probabilities: UnsafePointer<Float>?, _ rows: Int, _ labels: UnsafeMutablePointer<Int>?
) -> textrnn_status {
    run("textrnn_top_labels") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard rows >= 0 else { throw TextRNNError(.invalidArgument, "rows \(unsigned(rows)) is too large") }
        guard !rows.multipliedReportingOverflow(by: handle.labelCount).overflow else {
            throw TextRNNError(.invalidArgument, "rows \(rows) x \(handle.labelCount) labels overflows size_t")
        }
        guard rows > 0 else { return }
        guard let probabilities else { throw TextRNNError(.invalidArgument, "probabilities is NULL but rows is \(rows)") }
        guard let labels else { throw TextRNNError(.invalidArgument, "labels is NULL but rows is \(rows)") }
        let width = handle.labelCount
        for row in 0..<rows {
            labels[row] = LabelOrder.top(UnsafeBufferPointer(start: probabilities + row * width, count: width))
        }
    }
}

// MARK: - Debugging

@c @implementation public func textrnn_tokenize(
    _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ text_size: Int,
    _ ids: UnsafeMutablePointer<Int32>?, _ capacity: Int, _ out_count: UnsafeMutablePointer<Int>?
) -> textrnn_status {
    run("textrnn_tokenize") { () throws(TextRNNError) in
        let handle = try requireHandle(model)
        guard let out_count else { throw TextRNNError(.invalidArgument, "out_count is NULL") }
        guard ids != nil || capacity == 0 else {
            throw TextRNNError(.invalidArgument, "ids is NULL but capacity is \(unsigned(capacity))")
        }
        let bytes = try textBytes(text, text_size)
        let state = currentThreadState()
        try handle.model.pipeline.encode(bytes, into: &state.ids, scratch: &state.tokenizer)
        let written = Int(min(unsigned(capacity), UInt(state.ids.count)))
        if let ids, written > 0 {
            state.ids.withUnsafeBufferPointer { source in
                ids.update(from: source.baseAddress!, count: written)
            }
        }
        out_count.pointee = state.ids.count
    }
}
