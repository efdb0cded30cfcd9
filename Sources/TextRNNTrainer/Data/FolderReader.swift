import Foundation

/// One folder per class, as Keras `text_dataset_from_directory`: `root/<label>/<file>`, each
/// file one document. Class folders are the non-hidden subdirectories of the root; files are
/// taken recursively (hidden ones skipped), depth first with the entries of each directory
/// sorted by name; classes and names compare as UTF-8 bytes, so the order does not depend on
/// the file system.
/// Each document's `file` is its path and its line is 1 (or the line of an encoding error).
enum FolderReader {
    static func read(root: String, options: DatasetOptions, into collector: inout RowCollector) throws {
        let manager = FileManager.default
        let classes: [String]
        do {
            classes = try manager.contentsOfDirectory(atPath: root).filter { name in
                var isDirectory: ObjCBool = false
                return !name.hasPrefix(".")
                    && manager.fileExists(atPath: join(root, name), isDirectory: &isDirectory) && isDirectory.boolValue
            }.sorted(by: byteOrder)
        } catch {
            throw DataError(file: root, line: nil, reason: "cannot list directory: \(error.localizedDescription)")
        }
        guard !classes.isEmpty else {
            throw DataError(file: root, line: nil, reason: "no class folders (expected root/<label>/<files>)")
        }
        for label in classes {
            let directory = join(root, label)
            let paths = try files(under: directory)
            if paths.isEmpty {
                try collector.reject(DataError(file: directory, line: nil, reason: "class folder \"\(label)\" holds no files"))
            }
            for path in paths {
                let bytes = try DataReading.readFile(path)
                let decoded = bytes.withUnsafeBufferPointer { buffer in
                    let skip = DataReading.bomLength(buffer, encoding: options.encoding)
                    return DataReading.decode(UnsafeBufferPointer(rebasing: buffer[skip...]), options.encoding, file: path, firstLine: 1)
                }
                switch decoded {
                case .success(let text): try collector.add(text: text, labels: [label], file: path, line: 1)
                case .failure(let error): try collector.reject(error)
                }
            }
        }
    }

    /// Regular files under `directory`, depth first, each directory's entries sorted by name.
    private static func files(under directory: String) throws -> [String] {
        let manager = FileManager.default
        var result: [String] = []
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted(by: byteOrder)
        } catch {
            throw DataError(file: directory, line: nil, reason: "cannot list directory: \(error.localizedDescription)")
        }
        for name in names {
            let path = join(directory, name)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                result.append(contentsOf: try files(under: path))
            } else {
                result.append(path)
            }
        }
        return result
    }

    private static func byteOrder(_ lhs: String, _ rhs: String) -> Bool { lhs.utf8.lexicographicallyPrecedes(rhs.utf8) }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
