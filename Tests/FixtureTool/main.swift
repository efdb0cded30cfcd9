// textrnn-fixture: a developer tool, in no product. Writes a Keras reference fixture
// (../shared/fixtures/keras/models/*.json) as a bundle, with the synthetic vocabulary
// "", "[UNK]", "t2", "t3", ... The Python tests and the fuzz corpus use it.
//
//     textrnn-fixture FIXTURE --output BUNDLE
import Foundation
import TextRNNRuntime
import TextRNNTestSupport

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("textrnn-fixture: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3, arguments[1] == "--output" || arguments[1] == "-o" else {
    fail("usage: textrnn-fixture FIXTURE --output BUNDLE")
}
let (fixture, output) = (arguments[0], arguments[2])
let model: KerasModelFixture
do {
    model = try KerasModelFixture(contentsOf: URL(fileURLWithPath: fixture))
} catch {
    fail("\(fixture): \(error)")
}
do {
    try BundleWriter.write(model.bundleContents(), to: output)
} catch {
    fail(error.message)
}
