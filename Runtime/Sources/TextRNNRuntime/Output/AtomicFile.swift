import Glibc

/// The one way TextRNN writes a file (bundles, checkpoints, reports): the bytes go to a new file
/// that is fsynced, renamed over the target, and the directory entry itself is fsynced, so after
/// a crash the target holds either the old contents or the new, never a mix.
public enum AtomicFile {
    /// Replaces (or creates) the regular file `path` with `bytes`.
    public static func write(_ bytes: [UInt8], to path: String) throws(TextRNNError) {
        let directory = parentDirectory(of: path)
        guard let (temporary, descriptor) = makeUnique("\(path).tmp-", directory: false) else {
            throw ioError(path, "cannot create a temporary file beside it")
        }
        do throws(TextRNNError) {
            try writeAll(bytes, to: descriptor, path: path)
            close(descriptor)
            _ = chmod(temporary, 0o644)
            guard rename(temporary, path) == 0 else { throw ioError(path, "cannot rename \(temporary) into place") }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// Writes `bytes` to the new file `path` (which must not exist) and fsyncs it.
    public static func create(_ bytes: [UInt8], at path: String) throws(TextRNNError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ioError(path, "cannot create") }
        defer { close(descriptor) }
        try writeAll(bytes, to: descriptor, path: path)
    }

    /// Makes renames and creations inside `directory` durable. Best effort: some file systems
    /// refuse fsync on directories, and the data itself is already on disk.
    public static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Creates a new file (open, returned with its descriptor) or directory (descriptor -1) named
    /// `prefix` and six random characters; nil with errno set when it cannot.
    public static func makeUnique(_ prefix: String, directory: Bool) -> (path: String, descriptor: Int32)? {
        var template = Array((prefix + "XXXXXX").utf8CString)
        let descriptor: Int32 = template.withUnsafeMutableBufferPointer { buffer in
            directory ? (mkdtemp(buffer.baseAddress!) == nil ? -1 : -2) : mkstemp(buffer.baseAddress!)
        }
        guard descriptor != -1 else { return nil }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (path, directory ? -1 : descriptor)
    }

    /// The directory holding `path` ("." for a bare name).
    public static func parentDirectory(of path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(TextRNNError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw ioError(path, "cannot write") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw ioError(path, "cannot write (fsync)") }
    }

    static func ioError(_ path: String, _ what: String) -> TextRNNError {
        TextRNNError(.io, "\(path): \(what): \(String(cString: strerror(errno)))")
    }
}
