import Glibc

/// Checks an output path before any work starts (a training run, a quantization), so a run never
/// fails at its end for a path it could have refused at once, and never replaces what is not
/// ours: an existing bundle may be replaced, any other file or directory at a bundle path is
/// refused untouched.
public enum OutputCheck {
    /// `path` may receive a bundle directory: it does not exist, or it is an empty directory or a
    /// bundle (a directory holding only manifest.json and weights.bin), and its parent directory
    /// exists and is writable.
    public static func bundle(_ path: String) throws(TextRNNError) {
        let target = trimmed(path)
        var info = stat()
        if lstat(target, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw TextRNNError(.io, "\(target): exists and is not a bundle (not a directory); refusing to replace it")
            }
            if let foreign = foreignEntry(in: target) {
                throw TextRNNError(.io, "\(target): exists and is not a bundle (it holds \"\(foreign)\"); refusing to replace it")
            }
        }
        try writableDirectory(AtomicFile.parentDirectory(of: target), for: target)
    }

    /// `path` may receive a file: it does not exist or is a regular file, and its directory
    /// exists and is writable.
    public static func file(_ path: String) throws(TextRNNError) {
        var info = stat()
        if stat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { throw TextRNNError(.io, "\(path): is a directory") }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw TextRNNError(.io, "\(path): exists and is not a regular file; refusing to replace it")
            }
        }
        try writableDirectory(AtomicFile.parentDirectory(of: path), for: path)
    }

    /// The first entry of `directory` that a bundle does not hold, or nil.
    static func foreignEntry(in directory: String) -> String? {
        guard let stream = opendir(directory) else { return "(unreadable)" }
        defer { closedir(stream) }
        let bundleFiles: Set<String> = [Manifest.manifestFileName, Manifest.defaultWeightsFileName]
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            var info = stat()
            let regular = lstat(directory + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
            if !bundleFiles.contains(name) || !regular { return name }
        }
        return nil
    }

    /// Proves `directory` takes new files by creating (and removing) one: access(2) says yes to
    /// root on a read-only file system.
    private static func writableDirectory(_ directory: String, for path: String) throws(TextRNNError) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw TextRNNError(.io, "\(path): cannot write in \(directory): no such directory")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw TextRNNError(.io, "\(path): cannot write in \(directory): not a directory") }
        guard let (probe, descriptor) = AtomicFile.makeUnique("\(directory)/.textrnn-write-test-", directory: false) else {
            throw TextRNNError(.io, "\(path): cannot write in \(directory): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        unlink(probe)
    }

    static func trimmed(_ path: String) -> String {
        var target = path
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        return target
    }
}
