import Foundation
import TextRNNRuntime

/// Word vectors learned from the training texts themselves: word2vec's skip-gram with negative
/// sampling (Mikolov et al. 2013), with gensim's `Word2Vec(sg=1)` defaults (window 5, 5 negative
/// samples drawn from the counts to the power 0.75, frequent words subsampled at 1e-3, the
/// learning rate falling linearly from 0.025 to 0.0001, 5 epochs).
///
/// Why: the network learns its embedding from the labels only, so a word seen in a few training
/// texts gets a vector from a few gradients. Skip-gram learns from every occurrence of every
/// word in its context, labels or not, and puts "abysmal" near "awful". On the validation
/// parts these vectors raised the network alone 1-2 points on IMDB and 4 on 20 Newsgroups, and
/// the model 0.4 and 1.0 points on two 20 Newsgroups splits (IMDB's within noise; the bag
/// leads there); on short texts gensim's did not help (docs/accuracy.md, "Skip-gram vectors,
/// built").
///
/// One thread, so that a seed gives the same vectors (word2vec's lock-free threads do not).
/// IMDB's 22,500 training reviews (5 million words) take about a minute.
public struct SkipGram: Sendable {
    public var dim: Int
    public var window = 5
    public var negatives = 5
    public var epochs = 5
    /// Words more frequent than this share of the corpus are dropped from some windows.
    public var sample = 1e-3
    public var learningRate: Float = 0.025
    public var finalLearningRate: Float = 0.0001
    public var seed: UInt64
    /// Words trained on over all epochs, at most: about a minute on one core here. IMDB's 25,000
    /// reviews (5.2 million words) get all 5 epochs; a larger corpus gets fewer epochs, and one
    /// whose single epoch is over the budget gets one epoch over a seeded sample of its texts
    /// (`withinBudget`), so skip-gram's time stays bounded as the training set grows (a million
    /// reviews would otherwise take most of an hour).
    public var wordBudget = 30_000_000

    public init(dim: Int, seed: UInt64) {
        self.dim = dim
        self.seed = seed
    }

    /// The texts as vocabulary ids, whole (not cut to the sequence length), words outside the
    /// vocabulary left out as word2vec leaves out words under its min_count.
    public struct Corpus: Sendable {
        public var ids: [Int32] = []
        /// Where each text ends in `ids`.
        public var ends: [Int] = []
        /// Occurrences of each vocabulary id.
        public var counts: [Int]

        public init(texts: [String], vocabulary: Vocabulary, config: TextPipelineConfig) {
            var words = config
            words.ngrams = 1
            let tokenizer = Tokenizer(config: words)
            counts = [Int](repeating: 0, count: vocabulary.count)
            var scratch = TokenizerScratch()
            for var text in texts {
                text.withUTF8 { bytes in
                    tokenizer.forEachToken(in: bytes, scratch: &scratch) { token in
                        let id = vocabulary.id(of: token)
                        guard id > Vocabulary.unknownID else { return }
                        ids.append(id)
                        counts[Int(id)] += 1
                    }
                }
                ends.append(ids.count)
            }
        }

        init(ids: [Int32], ends: [Int], counts: [Int]) {
            self.ids = ids
            self.ends = ends
            self.counts = counts
        }

        /// Where text `index` lies in `ids`.
        func span(ofText index: Int) -> Range<Int> { (index == 0 ? 0 : ends[index - 1])..<ends[index] }

        /// The texts at `indices`, in that order, with their own counts.
        func texts(_ indices: [Int]) -> Corpus {
            var subset = Corpus(ids: [], ends: [], counts: [Int](repeating: 0, count: counts.count))
            for text in indices {
                for id in ids[span(ofText: text)] {
                    subset.ids.append(id)
                    subset.counts[Int(id)] += 1
                }
                subset.ends.append(subset.ids.count)
            }
            return subset
        }
    }

    /// `corpus` itself when one epoch of it fits `wordBudget`; otherwise a sample of its whole
    /// texts, taken in a seeded random order until they reach the budget (words only in the
    /// others get no vector: their embedding rows start as the network's other rows do).
    public func withinBudget(_ corpus: Corpus) -> Corpus {
        guard corpus.ids.count > wordBudget else { return corpus }
        var rng = SeededGenerator(seed: seed).split(0x5341_4D50)  // "SAMP"
        var chosen: [Int] = [], words = 0
        for text in Array(corpus.ends.indices).shuffled(using: &rng) where words < wordBudget {
            chosen.append(text)
            words += corpus.span(ofText: text).count
        }
        return corpus.texts(chosen)
    }

    /// Epochs over `corpus` within `wordBudget`: `epochs`, fewer for a large corpus, at least one.
    public func epochs(over corpus: Corpus) -> Int { max(1, min(epochs, wordBudget / max(1, corpus.ids.count))) }

    /// Trains on `corpus` (pass it through `withinBudget` first) for `epochs(over:)` epochs;
    /// returns the input vectors [vocabulary, dim] (rows of ids that never occur are zero:
    /// `corpus.counts` says which rows were learned).
    public func train(_ corpus: Corpus) -> [Float] {
        let rows = corpus.counts.count
        var rng = SeededGenerator(seed: seed).split(0x5347)  // "SG"
        // gensim's initialization: inputs uniform in (-1/dim, 1/dim), outputs zero.
        var input = [Float](repeating: 0, count: rows * dim)
        for row in 0..<rows where corpus.counts[row] > 0 {
            for d in 0..<dim { input[row * dim + d] = (rng.nextUnitFloat() * 2 - 1) / Float(dim) }
        }
        let output = UnsafeMutablePointer<Float>.allocate(capacity: rows * dim)
        output.initialize(repeating: 0, count: rows * dim)
        let scratch = PairScratch(dim: dim, negatives: negatives)
        let longest = zip(corpus.ends, [0] + corpus.ends).map { $0 - $1 }.max() ?? 0
        let sentence = UnsafeMutablePointer<Int32>.allocate(capacity: longest)
        defer { output.deallocate(); scratch.deallocate(); sentence.deallocate() }
        let noise = NoiseTable(counts: corpus.counts), keep = keepProbabilities(corpus.counts), sigmoid = Self.sigmoidTable
        let epochs = epochs(over: corpus), total = Double(epochs * corpus.ids.count)
        var done = 0
        input.withUnsafeMutableBufferPointer { input in
            for epoch in 0..<epochs {
                var rng = rng.split(UInt64(epoch))
                var start = 0
                for end in corpus.ends {
                    let rate = learningRate - (learningRate - finalLearningRate) * Float(Double(done) / total)
                    done += end - start
                    // Subsample frequent words; windows span the words dropped.
                    var count = 0
                    for index in start..<end {
                        let id = corpus.ids[index]
                        if keep[Int(id)] >= rng.nextUnitFloat() { sentence[count] = id; count += 1 }
                    }
                    start = end
                    for center in 0..<count {
                        let reach = window - Int(UInt32(truncatingIfNeeded: rng.next()) % UInt32(window))
                        for context in max(0, center - reach)...min(count - 1, center + reach) where context != center {
                            trainPair(input: input.baseAddress! + Int(sentence[context]) * dim, target: sentence[center],
                                      output: output, scratch: scratch, noise: noise, sigmoid: sigmoid, rate: rate, rng: &rng)
                        }
                    }
                }
            }
        }
        return input
    }

    /// One (context word, center word) pair and `negatives` noise words: logistic loss on the
    /// dot products of the context's input vector with each word's output vector (word2vec.c's
    /// skip-gram: the context word's vector predicts the center word).
    ///
    /// The words are drawn first and, when they are distinct, every dot product is taken before
    /// any update: the rows' loads (mostly cache misses) then overlap. The results are word2vec's
    /// order to the bit, since an update changes only its own row and the input is updated last;
    /// a noise word drawn twice must see its first update, so then each product waits for it.
    @inline(__always)
    private func trainPair(
        input: UnsafeMutablePointer<Float>, target: Int32, output: UnsafeMutablePointer<Float>,
        scratch: PairScratch, noise: NoiseTable, sigmoid: [Float], rate: Float, rng: inout SeededGenerator
    ) {
        let gradient = scratch.gradient, words = scratch.words, scores = scratch.scores
        gradient.update(repeating: 0, count: dim)
        words[0] = target
        var count = 1, distinct = true
        for _ in 0..<negatives {
            let word = noise.draw(&rng)
            if word == target { continue }
            for earlier in 1..<count where words[earlier] == word { distinct = false }
            words[count] = word
            count += 1
        }
        if distinct {
            for sample in 0..<count { scores[sample] = dot(input, output + Int(words[sample]) * dim) }
        }
        for sample in 0..<count {
            let label: Float = sample == 0 ? 1 : 0
            let row = output + Int(words[sample]) * dim
            let score = distinct ? scores[sample] : dot(input, row)
            // The logistic loss's gradient, times the rate; saturated as word2vec.c (|score| > 6).
            let g = (label - (score >= Self.saturation ? 1 : score <= -Self.saturation ? 0 : sigmoid[Self.sigmoidSlot(score)])) * rate
            var d = 0
            let gs = SIMD8<Float>(repeating: g)
            while d + 8 <= dim {
                let r = UnsafeRawPointer(row + d).loadUnaligned(as: SIMD8<Float>.self)
                let x = UnsafeRawPointer(input + d).loadUnaligned(as: SIMD8<Float>.self)
                let e = UnsafeRawPointer(gradient + d).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(gradient + d).storeBytes(of: e + gs * r, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(row + d).storeBytes(of: r + gs * x, as: SIMD8<Float>.self)
                d += 8
            }
            while d < dim {
                gradient[d] += g * row[d]
                row[d] += g * input[d]
                d += 1
            }
        }
        for d in 0..<dim { input[d] += gradient[d] }
    }

    /// One pair's working memory, allocated once per `train`: the input's gradient [dim], and
    /// the pair's words and their dot products [1 + negatives].
    private struct PairScratch {
        let gradient: UnsafeMutablePointer<Float>
        let words: UnsafeMutablePointer<Int32>
        let scores: UnsafeMutablePointer<Float>

        init(dim: Int, negatives: Int) {
            gradient = .allocate(capacity: dim)
            words = .allocate(capacity: negatives + 1)
            scores = .allocate(capacity: negatives + 1)
        }

        func deallocate() {
            gradient.deallocate()
            words.deallocate()
            scores.deallocate()
        }
    }

    /// Scores beyond ±6 count as saturated; between, the logistic function comes from a table
    /// of 1,000 steps (word2vec.c's EXP_TABLE: exp per pair was most of the time).
    static let saturation: Float = 6
    static let sigmoidSteps = 1000
    @inline(__always)
    static func sigmoidSlot(_ score: Float) -> Int { Int((score + saturation) * (Float(sigmoidSteps) / (2 * saturation))) }
    static let sigmoidTable: [Float] = (0..<sigmoidSteps).map { slot in
        let score = (Float(slot) + 0.5) / Float(sigmoidSteps) * 2 * saturation - saturation
        return 1 / (1 + exp(-score))
    }

    @inline(__always)
    private func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Float {
        var sum = SIMD8<Float>()
        var d = 0
        while d + 8 <= dim {
            sum += UnsafeRawPointer(a + d).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + d).loadUnaligned(as: SIMD8<Float>.self)
            d += 8
        }
        var total = sum.sum()
        while d < dim { total += a[d] * b[d]; d += 1 }
        return total
    }

    /// Noise words are drawn with probability ∝ count^0.75 (word2vec's unigram distribution)
    /// from Vose's alias table: a uniform row, then that row's word or its alias. Two arrays the
    /// size of the vocabulary stay in cache where word2vec.c's 10^8-entry table (or a 2^22 one,
    /// tried: half the time went to its cache misses) does not.
    struct NoiseTable {
        var threshold: [Float]  // keep the drawn row's own word below this uniform draw
        var alias: [Int32]

        init(counts: [Int]) {
            let weights = counts.map { pow(Double($0), 0.75) }
            let sum = weights.reduce(0, +)
            let n = counts.count
            var scaled = weights.map { sum > 0 ? $0 * Double(n) / sum : 1 }
            threshold = [Float](repeating: 1, count: n)
            alias = (0..<n).map(Int32.init)
            var small = (0..<n).filter { scaled[$0] < 1 }, large = (0..<n).filter { scaled[$0] >= 1 }
            while let few = small.popLast(), let many = large.last {
                threshold[few] = Float(scaled[few])
                alias[few] = Int32(many)
                scaled[many] -= 1 - scaled[few]
                if scaled[many] < 1 { large.removeLast(); small.append(many) }
            }
        }

        @inline(__always)
        func draw(_ rng: inout SeededGenerator) -> Int32 {
            let bits = rng.next()
            let row = Int(((bits >> 32) * UInt64(threshold.count)) >> 32)  // (Swift: >> binds tighter than *)
            let uniform = Float(bits & 0xFF_FFFF) * (1.0 / 16_777_216.0)
            return uniform < threshold[row] ? Int32(row) : alias[row]
        }
    }

    /// gensim's downsampling: a word with count c of `total` words is kept with probability
    /// (√(c/t) + 1)·t/c, t = sample·total, at most 1.
    func keepProbabilities(_ counts: [Int]) -> [Float] {
        let threshold = sample * Double(counts.reduce(0, +))
        return counts.map { count in
            count == 0 ? 0 : Float(min(1, ((Double(count) / threshold).squareRoot() + 1) * threshold / Double(count)))
        }
    }
}

/// The skip-gram corpus and vectors of one search's trials, the vectors by embedding size: the
/// trials share the texts, the vocabulary and the seed, so the texts are read once and each
/// size is trained once.
public final class SkipGramCache {
    var corpus: SkipGram.Corpus?
    private var vectorsByDim: [Int: [Float]] = [:]
    public init() {}
    func vectors(dim: Int) -> [Float]? { vectorsByDim[dim] }
    func store(_ vectors: [Float], dim: Int) { vectorsByDim[dim] = vectors }
}
