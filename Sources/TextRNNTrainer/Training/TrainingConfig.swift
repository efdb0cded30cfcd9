import Foundation
import TextRNNRuntime

/// Every hyperparameter of `textrnn train` as a typed value; its name, help, range and where it
/// is recorded are in the table (`Hyperparameter.all`), which the JSON config file (`--config`),
/// the flags, the checkpoint and the manifest read.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public enum Cell: String, Sendable, HyperparameterChoice { case lstm, gru, simpleRNN = "simple-rnn" }
    public enum Pooling: String, Sendable, HyperparameterChoice { case last, max, average }
    public enum OptimizerName: String, Sendable, HyperparameterChoice { case adam, rmsprop, sgd }
    public enum Schedule: String, Sendable, HyperparameterChoice { case constant, exponential, cosine }
    public enum ClassWeight: String, Sendable, HyperparameterChoice { case none, balanced }
    /// Keras EarlyStopping `monitor`.
    public enum Monitor: String, Sendable, HyperparameterChoice { case valLoss = "val_loss", valAccuracy = "val_accuracy" }

    // Text pipeline
    /// Punctuation separates words (Keras `text_to_word_sequence`) rather than vanishing from
    /// inside them ("X11/Motif" is "x11 motif", not "x11motif"): on short technical messages
    /// (20 Newsgroups subject lines, validation) that was worth 1.7 points, and it tokenizes as
    /// scikit-learn's TF-IDF does. `lower_and_strip_punctuation` is Keras TextVectorization's.
    public var standardize: TextPipelineConfig.Standardize = .kerasTextToWordSequence
    public var replaceHTMLBreaks: Bool = true
    /// Keras max_tokens: vocabulary size including "" and "[UNK]".
    public var maxTokens: Int = 60_000
    public var minCount: Int = 2
    public var bigrams: Bool = false
    /// Keras `ngrams`: 1 unigrams; 2 adds bigrams; 3 adds trigrams. `bigrams: true` means at least 2.
    public var ngrams: Int = 1
    /// Token ids per text; 0 lets the trainer pick (`TrainingSession.automaticLength`).
    public var sequenceLength: Int = 0
    public var padding: TextPipelineConfig.Side = .post
    public var truncating: TextPipelineConfig.Side = .post
    /// Lead every text's ids with a "[START]" vocabulary entry (id 2), as `keras.datasets.imdb`'s
    /// start_char.
    public var startToken: Bool = false

    // Model
    public var cell: Cell = .gru
    public var units: [Int] = [32]
    public var bidirectional: Bool = true
    public var embeddingDim: Int = 64
    public var resetAfter: Bool = true
    public var pooling: Pooling = .last
    /// Hidden Dense layers (ReLU) between the recurrent stack and the output layer.
    public var denseUnits: [Int] = []
    public var dropout: Float = 0.2
    public var recurrentDropout: Float = 0
    public var embeddingDropout: Float = 0.3
    public var denseDropout: Float = 0.3
    /// The bag-of-n-grams branch beside the recurrent one (FittedBag): a TF-IDF logistic
    /// regression on the token ids and their bigrams, mixed with the network on validation data.
    public var bag: Bool = true
    /// Train the network on top of the bag (TrainingSession.stackOnBag) rather than beside it.
    public var bagStacking: Bool = false
    /// The bag also reads its words' character n-grams (CharacterNgrams); the data-aware recipe
    /// turns them on for short texts.
    public var bagCharacterNgrams: Bool = false
    /// A `.vec` file (word2vec / GloVe / fastText text format) to initialize the embedding from.
    public var pretrainedVectors: String? = nil
    /// Initialize the embedding from skip-gram vectors trained on the training texts (SkipGram);
    /// the data-aware recipe turns them on for long texts.
    public var skipgramVectors: Bool = false
    /// Keep the embedding as initialized (Keras `trainable=False`).
    public var freezeEmbeddings: Bool = false

    // Optimization
    public var optimizer: OptimizerName = .adam
    public var learningRate: Float = 0.002
    public var momentum: Float = 0
    public var nesterov: Bool = false
    public var clipnorm: Float? = nil
    public var schedule: Schedule = .constant
    public var decayRate: Float = 0.5
    public var warmupSteps: Int = 0
    /// The most epochs; early stopping usually ends training sooner.
    public var epochs: Int = 10
    public var batchSize: Int = 64
    public var classWeight: ClassWeight = .none
    public var labelSmoothing: Float = 0
    /// Group batches by length so padding costs no time (exact: padding is masked).
    public var bucketByLength: Bool = true

    // Validation and control
    public var validationSplit: Double = 0.1
    /// Patience in epochs (0: off); the best epoch's weights are restored.
    public var earlyStopping: Int = 2
    /// What early stopping watches (Keras EarlyStopping `monitor`): val_loss or val_accuracy.
    public var monitor: Monitor = .valLoss
    public var seed: UInt64 = 42
    public var threads: Int = 2

    /// The snake_case keys the user set (config file keys and flags): the data-aware recipe
    /// (DataAwareRecipe) and the recipe search choose only the others. Not part of the config file.
    public var givenKeys: Set<String> = []

    /// Whether the user set the hyperparameter of this property.
    public func isGiven(_ path: PartialKeyPath<TrainingConfig>) -> Bool { givenKeys.contains(Hyperparameter.of(path).name) }

    public init() {}

    /// Decodes a config file (or a checkpoint's copy), keeping defaults for absent keys and
    /// refusing unknown ones; errors name the key and what it must be.
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: ConfigKey.self)
        let rows = Hyperparameter.all
        let names = Set(rows.map(\.name))
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !names.contains($0) }) {
            let near = rows.map(\.name).filter { $0.hasPrefix(String(unknown.prefix(3))) }
            throw TrainingError("config: unknown key \"\(unknown)\"" + (near.isEmpty ? "" : " (did you mean \(near.map { "\"\($0)\"" }.joined(separator: " or "))?)"))
        }
        for row in rows where container.contains(ConfigKey(row.name)) {
            do { try row.decode(container, &self) } catch is DecodingError {
                throw TrainingError("config: \"\(row.name)\" must be \(row.expected)")
            }
            givenKeys.insert(row.name)
        }
    }

    /// Every hyperparameter under its key (the checkpoint stores the config this way).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ConfigKey.self)
        for row in Hyperparameter.all { try row.encode(self, &container) }
    }

    /// A config file's JSON; errors name the file, the key and what was expected (or where the
    /// JSON is malformed).
    public init(configFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read config file") }
        do {
            self = try JSONDecoder().decode(TrainingConfig.self, from: data)
        } catch let error as TrainingError {
            throw TrainingError("\(path): \(error.description)")
        } catch DecodingError.typeMismatch(_, _) {
            throw TrainingError("\(path): config: expected a JSON object of hyperparameters ({\"epochs\": 5, ...})")
        } catch DecodingError.dataCorrupted {
            throw TrainingError("\(path): invalid JSON\(Self.syntaxErrorPosition(data))")
        }
    }

    /// " at line L, column C (reason)" of malformed JSON (JSONDecoder does not say where).
    private static func syntaxErrorPosition(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return ""
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            guard let marker = reason.range(of: "character "), let offset = Int(reason[marker.upperBound...].prefix { $0.isNumber }) else {
                return " (\(reason))"
            }
            let before = data.prefix(offset)
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            return " at line \(before.filter { $0 == 0x0A }.count + 1), column \(offset - lineStart + 1) (\(reason))"
        }
    }

    /// Sets the hyperparameter `name` from a flag's text and marks it as given.
    public mutating func set(_ name: String, to text: String) throws {
        guard let row = Hyperparameter.named(name) else { throw TrainingError("unknown hyperparameter \"\(name)\"") }
        guard row.assign(&self, text) else { throw TrainingError("\(row.flag) must be \(row.expected), not \"\(text)\"") }
        givenKeys.insert(name)
    }

    /// What follows from the settings together: --bigrams is --ngrams 2; --pretrained-vectors
    /// sets the embedding size to the file's (a given --embedding-dim must agree). Then validates.
    public mutating func resolve() throws {
        if bigrams { ngrams = max(ngrams, 2) }
        if let path = pretrainedVectors {
            let dimension = try PretrainedVectors.dimension(of: path)
            if isGiven(\.embeddingDim) && dimension != embeddingDim {
                throw TrainingError("\(path): vectors have \(dimension) dimensions, --embedding-dim is \(embeddingDim)")
            }
            embeddingDim = dimension
        }
        try validate()
    }

    /// Refuses values no model could train with, naming the key and its valid range.
    public func validate() throws {
        if skipgramVectors, let path = pretrainedVectors {
            throw TrainingError("--skipgram-vectors and --pretrained-vectors \(path) both initialize the embedding; give one")
        }
        for row in Hyperparameter.all where !row.isValid(self) {
            throw TrainingError("\(row.name) (\(row.flag)) must be \(row.expected), not \(row.text(self))")
        }
    }
}

public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
