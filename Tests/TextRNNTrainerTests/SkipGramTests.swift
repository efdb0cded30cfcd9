import Foundation
import Testing
import TextRNNRuntime

@testable import TextRNNTrainer

/// Skip-gram vectors from the training texts (`SkipGram`, `--skipgram-vectors`): they learn which
/// words share contexts, a seed gives the same vectors, the noise and subsampling follow
/// word2vec's formulas, and the recipe starts long-text networks from them.
@Suite struct SkipGramTests {
    /// Texts of two topics that share no word: "a0".."a9" and "b0".."b9".
    func twoTopics(texts: Int, seed: UInt64) -> [String] {
        var rng = SeededGenerator(seed: seed)
        return (0..<texts).map { index in
            let topic = index % 2 == 0 ? "a" : "b"
            return (0..<30).map { _ in "\(topic)\(Int(rng.nextUnitFloat() * 10))" }.joined(separator: " ")
        }
    }

    func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        let dot = zip(a, b).map { $0 * $1 }.reduce(0, +)
        let norms = (a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot()
        return dot / norms
    }

    @Test func wordsOfOneTopicEndUpCloserThanWordsOfTheOther() throws {
        let texts = twoTopics(texts: 400, seed: 7)
        let config = TextPipelineConfig()
        let vocabulary = try VocabularyBuilder(config: config).build(texts)
        let corpus = SkipGram.Corpus(texts: texts, vocabulary: vocabulary, config: config)
        #expect(corpus.ids.count == 400 * 30 && corpus.ends.count == 400)
        let dim = 16
        let vectors = SkipGram(dim: dim, seed: 1).train(corpus)
        func row(_ word: String) -> ArraySlice<Float> {
            let id = Int(vocabulary.id(of: word))
            return vectors[(id * dim)..<(id * dim + dim)]
        }
        // Random initial vectors give cosines near 0 either way; trained, each word is nearer
        // every word of its topic than any word of the other.
        for topic in ["a", "b"] {
            let other = topic == "a" ? "b" : "a"
            for i in 0..<10 {
                let word = row("\(topic)\(i)")
                let same = (0..<10).filter { $0 != i }.map { cosine(word, row("\(topic)\($0)")) }
                let different = (0..<10).map { cosine(word, row("\(other)\($0)")) }
                #expect(same.min()! > different.max()!, "\(topic)\(i): same topic \(same.min()!), other \(different.max()!)")
            }
        }
        // Padding and [UNK] never occur: their rows are not learned.
        #expect(corpus.counts[0] == 0 && corpus.counts[1] == 0 && vectors[0..<(2 * dim)].allSatisfy { $0 == 0 })
    }

    @Test func aSeedGivesTheSameVectors() throws {
        let texts = twoTopics(texts: 60, seed: 3)
        let config = TextPipelineConfig()
        let vocabulary = try VocabularyBuilder(config: config).build(texts)
        let corpus = SkipGram.Corpus(texts: texts, vocabulary: vocabulary, config: config)
        let first = SkipGram(dim: 8, seed: 5).train(corpus)
        #expect(first == SkipGram(dim: 8, seed: 5).train(corpus))
        #expect(first != SkipGram(dim: 8, seed: 6).train(corpus))
    }

    @Test func aLargeCorpusGetsFewerEpochsThenASampleOfItsTexts() throws {
        // 100 texts of 31 words, each with a word of its own ("u0".."u99").
        let texts = twoTopics(texts: 100, seed: 4).enumerated().map { "\($1) u\($0)" }
        let config = TextPipelineConfig()
        let vocabulary = try VocabularyBuilder(config: config).build(texts)
        let corpus = SkipGram.Corpus(texts: texts, vocabulary: vocabulary, config: config)
        let words = corpus.ids.count
        #expect(words == 3_100)
        var skipGram = SkipGram(dim: 8, seed: 2)

        // Within the budget: the corpus itself and all 5 epochs, as before there was a budget;
        // 2.5 epochs' worth gets 2.
        skipGram.wordBudget = 5 * words
        #expect(skipGram.withinBudget(corpus).ids == corpus.ids && skipGram.epochs(over: corpus) == 5)
        skipGram.wordBudget = 5 * words / 2
        #expect(skipGram.withinBudget(corpus).ids == corpus.ids && skipGram.epochs(over: corpus) == 2)

        // A third of one epoch: whole texts in a seeded order until they reach the budget; one
        // epoch; the counts are the sample's, and words only in other texts get no vector.
        skipGram.wordBudget = words / 3
        let sample = skipGram.withinBudget(corpus)
        #expect(sample.ids.count >= words / 3 && sample.ids.count < words / 3 + 31)
        #expect(sample.ends.count == 34 && skipGram.epochs(over: sample) == 1)
        let originals = Set((0..<100).map { Array(corpus.ids[corpus.span(ofText: $0)]) })
        for text in 0..<sample.ends.count { #expect(originals.contains(Array(sample.ids[sample.span(ofText: text)]))) }
        let own = (0..<100).map { Int(vocabulary.id(of: "u\($0)")) }
        #expect(own.filter { sample.counts[$0] == 1 }.count == 34 && own.filter { sample.counts[$0] == 0 }.count == 66)
        #expect(sample.counts.reduce(0, +) == sample.ids.count)
        #expect(skipGram.withinBudget(corpus).ids == sample.ids)
        var other = skipGram
        other.seed = 3
        #expect(other.withinBudget(corpus).ids != sample.ids)
        let vectors = skipGram.train(sample)
        for id in own {
            let row = vectors[(id * 8)..<(id * 8 + 8)]
            #expect(row.allSatisfy { $0 == 0 } == (sample.counts[id] == 0))
        }
    }

    @Test func noiseWordsFollowTheCountsToThePowerThreeQuarters() {
        let counts = [0, 0, 10_000, 1_000, 100, 1, 0]
        let noise = SkipGram.NoiseTable(counts: counts)
        var rng = SeededGenerator(seed: 11)
        var drawn = [Int](repeating: 0, count: counts.count)
        let draws = 400_000
        for _ in 0..<draws { drawn[Int(noise.draw(&rng))] += 1 }
        let weights = counts.map { pow(Double($0), 0.75) }
        let sum = weights.reduce(0, +)
        for (word, weight) in weights.enumerated() {
            let expected = weight / sum
            let seen = Double(drawn[word]) / Double(draws)
            // Within four binomial standard errors (and never a word of count 0).
            let tolerance = 4 * (expected * (1 - expected) / Double(draws)).squareRoot()
            #expect(abs(seen - expected) <= tolerance, "word \(word): drawn \(seen), expected \(expected)")
        }
    }

    @Test func frequentWordsAreSubsampledAsGensimDoes() {
        // 1,000,000 words, sample 1e-3: t = 1000. gensim keeps a word of count c with
        // probability (√(c/t) + 1)·t/c, at most 1.
        let keep = SkipGram(dim: 4, seed: 0).keepProbabilities([0, 0, 1_000, 10_000, 100_000, 888_000, 1_000])
        #expect(keep[0] == 0 && keep[2] == 1 && keep[6] == 1)
        #expect(abs(keep[3] - Float((10.0.squareRoot() + 1) * 0.1)) < 1e-6)
        #expect(abs(keep[4] - Float((100.0.squareRoot() + 1) * 0.01)) < 1e-6)
    }

    @Test func theRecipeStartsLongTextNetworksFromSkipGramVectors() throws {
        let imdb = try DatasetLoader.load(try DataTestSupport.dataPath("imdb/train.csv"))
        let long = imdb.subset(Array(stride(from: 0, to: imdb.count, by: 100)))  // 250 reviews
        let agNews = try DatasetLoader.load(try DataTestSupport.dataPath("ag_news_mini/train.csv"))
        func chosen(_ data: LabelledDataset, _ adjust: (inout TrainingConfig) -> Void = { _ in }) -> TrainingConfig {
            var config = TrainingConfig()
            adjust(&config)
            _ = DataAwareRecipe(config: &config, texts: data.texts, tokenizer: Tokenizer(config: config.pipelineConfig))
            return config
        }
        #expect(chosen(long).skipgramVectors)
        #expect(!chosen(agNews).skipgramVectors)
        #expect(!chosen(long) { $0.pretrainedVectors = "given.vec" }.skipgramVectors)
        #expect(!chosen(long) { try! $0.set("skipgram_vectors", to: "false") }.skipgramVectors)

        // The session writes the vectors of every word the texts hold into the embedding, and a
        // seed gives the same table.
        var config = chosen(long)
        config.units = [8]
        config.validationSplit = 0
        config.bag = false
        var logged: [String] = []
        let session = try TrainingSession(config: config, train: long, log: { logged.append($0) })
        let line = try #require(logged.first { $0.hasPrefix("skip-gram vectors: ") }, "\(logged)")
        let vocabulary = session.pipeline.vocabulary
        let corpus = SkipGram.Corpus(texts: long.texts, vocabulary: vocabulary, config: session.pipeline.config)
        #expect(line.hasPrefix("skip-gram vectors: \(vocabulary.count - 2) of \(vocabulary.count - 2) vocabulary entries from \(corpus.ids.count) words of the training texts, 5 epochs ("))
        let vectors = SkipGram(dim: config.embeddingDim, seed: config.seed).train(corpus)
        let table = try session.network.store.tensor(named: "0/embeddings")
        let dim = config.embeddingDim
        let film = Int(vocabulary.id(of: "film"))
        #expect(Array(table[(film * dim)..<(film * dim + dim)]) == Array(vectors[(film * dim)..<(film * dim + dim)]))
        let again = try TrainingSession(config: config, train: long, log: { _ in })
        #expect(try again.network.store.tensor(named: "0/embeddings") == table)
        // An autotune search's trials share the vectors of each embedding size through a cache;
        // a trial that reuses them starts where one that trained them would.
        let cache = SkipGramCache()
        _ = try TrainingSession(config: config, train: long, skipGramCache: cache, log: { _ in })
        #expect(cache.vectors(dim: dim) == vectors)
        let reusing = try TrainingSession(config: config, train: long, skipGramCache: cache, log: { _ in })
        #expect(try reusing.network.store.tensor(named: "0/embeddings") == table)
        #expect(cache.vectors(dim: 2 * dim) == nil)
        // And it does reuse them: vectors put in the cache are the ones a trial starts from.
        cache.store([Float](repeating: 0.5, count: vectors.count), dim: dim)
        let marked = try TrainingSession(config: config, train: long, skipGramCache: cache, log: { _ in }).network.store.tensor(named: "0/embeddings")
        #expect(marked[(film * dim)..<(film * dim + dim)].allSatisfy { $0 == 0.5 })

        // Both ways of initializing the embedding at once is a mistake, named.
        config.pretrainedVectors = "given.vec"
        let error = #expect(throws: TrainingError.self) { try config.validate() }
        #expect(error?.description.contains("--skipgram-vectors and --pretrained-vectors given.vec") == true)
    }
}
