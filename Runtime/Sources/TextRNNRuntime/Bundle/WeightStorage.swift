import Glibc

/// The bytes of a weights file: mapped read-only from disk (float tensors are used in place,
/// never copied) or a 64-byte-aligned copy of a caller's buffer.
final class WeightStorage: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so sharing across threads is safe.
    let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps `path`. An empty file maps to an empty buffer.
    init(mapping path: String) throws(TextRNNError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // O_NONBLOCK: a FIFO must not block the open
        guard descriptor >= 0 else {
            throw TextRNNError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw TextRNNError(.io, "\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw TextRNNError(.io, "\(path): not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw TextRNNError(.io, "\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        isMapped = true
    }

    /// Copies `buffer`, so the caller may free it as soon as loading returns.
    init(copying buffer: UnsafeRawBufferPointer) throws(TextRNNError) {
        guard buffer.count > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: buffer.count, alignment: Manifest.tensorAlignment)
        copy.copyMemory(from: buffer.baseAddress!, byteCount: buffer.count)
        bytes = UnsafeRawBufferPointer(start: copy, count: buffer.count)
        isMapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            base.deallocate()
        }
    }
}

/// Reads a whole small file (manifest.json) into memory, refusing anything over `limit` bytes.
func readFile(_ path: String, limit: Int) throws(TextRNNError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // O_NONBLOCK: a FIFO must not block the open
    guard descriptor >= 0 else {
        throw TextRNNError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
        throw TextRNNError(.io, "\(path): not a regular file")
    }
    guard Int(info.st_size) <= limit else {
        throw TextRNNError(.limitExceeded, "\(path): \(info.st_size) bytes exceed the limit of \(limit)")
    }
    var result = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < result.count {
        let count = result.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { throw TextRNNError(.io, "\(path): read failed: \(String(cString: strerror(errno)))") }
        filled += count
    }
    return result
}
