import Foundation
import Glibc
import Testing

@testable import TextRNNRuntime

/// Issue 14, items 1-3: what the writers may replace, what they refuse untouched, and that every
/// output path is checked before any work (OutputCheck, BundleWriter, AtomicFile).
@Suite struct OutputSafetyTests {
    let manifest = Array("{\"m\": 1}".utf8), weights: [UInt8] = [1, 2, 3]

    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("output-safety-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    private func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func aFolderWithTheUsersFilesIsRefusedUntouched() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/out"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        expectFailure(.io, "exists and is not a bundle (it holds \"notes.txt\")") {
            try BundleWriter.write(manifest: manifest, weights: weights, to: folder)
        }
        #expect(try entries(root) == ["out"], "nothing renamed aside, no temporary left")
        #expect(try entries(folder) == ["manifest.json", "notes.txt"])
        #expect(try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8) == "mine")
    }

    @Test func aPlainFileIsRefusedUntouched() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("text".utf8).write(to: URL(fileURLWithPath: root + "/model"))
        expectFailure(.io, "exists and is not a bundle (not a directory)") {
            try BundleWriter.write(manifest: manifest, weights: weights, to: root + "/model")
        }
        #expect(try String(contentsOfFile: root + "/model", encoding: .utf8) == "text")
        #expect(try entries(root) == ["model"])
    }

    @Test func aBundleOrAnEmptyDirectoryIsReplaced() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/m.textrnn"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try BundleWriter.write(manifest: manifest, weights: weights, to: path)
        try BundleWriter.write(manifest: Array("{\"m\": 2}".utf8), weights: weights, to: path + "/")
        #expect(try entries(root) == ["m.textrnn"])
        #expect(try entries(path) == ["manifest.json", "weights.bin"])
        #expect(try String(contentsOfFile: path + "/manifest.json", encoding: .utf8) == "{\"m\": 2}")
    }

    @Test func theUsersFilesBesideTheTargetAreNeverTouched() throws {
        // The old writer cleared TARGET.tmp-PID and TARGET.old-PID before using them.
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/m.textrnn"
        for suffix in ["tmp", "old"] {
            let neighbour = "\(path).\(suffix)-\(getpid())"
            try FileManager.default.createDirectory(atPath: neighbour, withIntermediateDirectories: false)
            try Data("keep".utf8).write(to: URL(fileURLWithPath: neighbour + "/manifest.json"))
        }
        try BundleWriter.write(manifest: manifest, weights: weights, to: path)
        try BundleWriter.write(manifest: manifest, weights: weights, to: path)
        for suffix in ["tmp", "old"] {
            #expect(try String(contentsOfFile: "\(path).\(suffix)-\(getpid())/manifest.json", encoding: .utf8) == "keep")
        }
        #expect(try entries(root).count == 3)
    }

    @Test func missingAndUnwritableDirectoriesAreRefusedUpFront() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        expectFailure(.io, "cannot write in \(root)/missing: no such directory") { try OutputCheck.bundle(root + "/missing/m.textrnn") }
        expectFailure(.io, "cannot write in \(root)/file: not a directory") { try OutputCheck.file(root + "/file/report.html") }
        expectFailure(.io, "is a directory") { try OutputCheck.file(root) }
        expectFailure(.io, "not a regular file") { try OutputCheck.file("/dev/null") }
        try OutputCheck.file(root + "/report.html")
        try OutputCheck.bundle(root + "/new.textrnn")
        #expect(try entries(root) == ["file"], "the checks leave nothing behind")
    }

    @Test func atomicWriteReplacesAFileAndLeavesNoTemporary() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/report.html"
        try AtomicFile.write(Array("old".utf8), to: path)
        try AtomicFile.write(Array("new".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try entries(root) == ["report.html"])
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o644)
        expectFailure(.io, "\(root)/missing/x") { try AtomicFile.write([1], to: root + "/missing/x") }
        #expect(AtomicFile.parentDirectory(of: "a") == "." && AtomicFile.parentDirectory(of: "/a") == "/"
            && AtomicFile.parentDirectory(of: "x/y/") == "x")
    }
}
