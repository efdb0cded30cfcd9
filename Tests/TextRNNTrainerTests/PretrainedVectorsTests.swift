import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// `--pretrained-vectors`: a `.vec` file the test writes itself initializes the embedding rows of
/// the words it matches through the tokenizer; frozen rows stay exactly as given through training.
@Suite struct PretrainedVectorsTests {
    func writeVectors(_ lines: [String]) throws -> String {
        let path = try DataTestSupport.temporaryDirectory() + "/vectors.vec"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func matchedRowsAreSetAndStayFrozen() throws {
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        let data = full.subset(Array(stride(from: 0, to: full.count, by: 20)))  // 300 rows
        // Header, a capitalized and a punctuated spelling (matched through the standardizer), a
        // word not in the vocabulary, and a later duplicate that must not win.
        let path = try writeVectors([
            "5 4", "The 0.1 0.2 0.3 0.4", "said, -1 -2 -3 -4", "zzzunseen 9 9 9 9", "the 7 7 7 7", "of 0.5 0.5 0.5 0.5",
        ])
        #expect(try PretrainedVectors.dimension(of: path) == 4)
        var config = TrainingConfig()
        config.cell = .gru
        config.units = [4]
        config.embeddingDim = 4
        config.epochs = 2
        config.validationSplit = 0
        config.bag = false
        config.pretrainedVectors = path
        config.freezeEmbeddings = true
        let session = try TrainingSession(config: config, train: data, log: { _ in })
        let encoded = try session.encode(data)
        let before = try session.network.store.tensor(named: "0/embeddings")
        _ = try session.fit(train: encoded, validation: nil, progress: ProgressReporter(quiet: true), checkpoint: { _ in }, shouldStop: { false })
        let after = try session.network.store.tensor(named: "0/embeddings")
        let vocabulary = session.pipeline.vocabulary
        func row(_ table: [Float], _ word: String) -> [Float] {
            let id = Int(vocabulary.id(of: word))
            return Array(table[(id * 4)..<(id * 4 + 4)])
        }
        #expect(row(after, "the") == [0.1, 0.2, 0.3, 0.4])
        #expect(row(after, "said") == [-1, -2, -3, -4])
        #expect(row(after, "of") == [0.5, 0.5, 0.5, 0.5])
        #expect(after == before, "frozen: training must not move any row")

        // Not frozen: the rows move.
        config.freezeEmbeddings = false
        let free = try TrainingSession(config: config, train: data, log: { _ in })
        _ = try free.fit(train: try free.encode(data), validation: nil, progress: ProgressReporter(quiet: true), checkpoint: { _ in }, shouldStop: { false })
        #expect(row(try free.network.store.tensor(named: "0/embeddings"), "the") != [0.1, 0.2, 0.3, 0.4])
    }

    @Test func badLinesNameFileAndLine() throws {
        let path = try writeVectors(["the 0.1 0.2", "of 0.1 x"])
        let full = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        var config = TrainingConfig()
        config.embeddingDim = 2
        config.units = [2]
        config.pretrainedVectors = path
        let error = #expect(throws: TrainingError.self) {
            try TrainingSession(config: config, train: full.subset(Array(0..<200)), log: { _ in })
        }
        #expect(error?.description.contains("\(path):2:") == true, "\(error?.description ?? "")")
    }
}
