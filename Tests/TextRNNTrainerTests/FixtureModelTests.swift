import Foundation
import Testing
import TextRNNTestSupport
import TextRNNRuntime
@testable import TextRNNTrainer

/// Whole models on token ids against Keras 3: probabilities, loss, every weight gradient, and the
/// weights after two steps of Adam, RMSprop and SGD with the fixture's configs.
@Suite struct FixtureModelTests {
    static let modelNames = (try? KerasFixtures.names("models")) ?? ["<fixtures missing>"]

    /// index.json and the models folder agree, so every fixture file is run (new ones too).
    @Test func fixtureIndexListsAllModels() throws {
        let listed = Set(try KerasFixtures.names("models"))
        #expect(!listed.isEmpty)
        #expect(listed == (try KerasFixtures.files("models")))
    }

    struct Case {
        let json: [String: Any]
        let specs: [LayerSpec]
        let ids: [Int32]
        let batch: Int, time: Int
        let targets: [Float]
        let kind: LossKind

        init(_ name: String) throws {
            json = try KerasFixtures.load("models", name)
            specs = try (json["layers"] as! [[String: Any]]).map(KerasModelFixture.layerSpec)
            let rows = json["token_ids"] as! [[Int]]
            batch = rows.count
            time = rows[0].count
            ids = rows.flatMap { $0.map(Int32.init) }
            targets = flatten(json["labels"]).map(Float.init)
            guard case .dense(_, let activation) = specs.last! else { throw FixtureError("no Dense head") }
            kind = activation == .softmax ? .sparseCategoricalCrossEntropy : .binaryCrossEntropy
        }

        func network() throws -> Network {
            let net = try Network(layers: specs)
            try loadFixtureWeights(json["weights"] as! [String: Any], into: net.store)
            return net
        }

        func step(_ net: Network) throws -> (loss: Float, probabilities: [Float]) {
            var rng = SeededGenerator(seed: 1)
            return try net.lossAndGradients(tokenIds: ids, batch: batch, time: time, targets: targets, loss: kind, rng: &rng)
        }
    }

    @Test(arguments: modelNames)
    func lossAndGradientsMatchKeras(_ name: String) throws {
        let c = try Case(name)
        let net = try c.network()
        let (loss, probabilities) = try c.step(net)
        expectMatchesKeras(probabilities, flatten(c.json["probabilities"]), "\(name) probabilities")
        expectMatchesKeras([loss], [c.json["loss"] as! Double], "\(name) loss")
        let grads = c.json["grad_weights"] as! [String: Any]
        #expect(Set(grads.keys) == Set(net.store.tensorNames))
        for (tensor, value) in grads {
            expectMatchesKeras(try net.store.gradient(named: tensor), flatten(value), "\(name) grad \(tensor)")
        }
    }

    @Test(arguments: modelNames)
    func twoOptimizerStepsMatchKeras(_ name: String) throws {
        let c = try Case(name)
        let steps = c.json["after_two_steps"] as! [String: Any]
        #expect(Set(steps.keys) == ["adam", "rmsprop", "sgd"])
        for (optimizerName, entry) in steps {
            let entry = entry as! [String: Any]
            let config = entry["config"] as! [String: Any]
            let lr = LearningRateSchedule.constant(Float(config["learning_rate"] as! Double))
            let optimizer: any Optimizer
            switch optimizerName {
            case "adam":
                #expect(config["amsgrad"] as? Bool == false)
                optimizer = Adam(learningRate: lr, beta1: Float(config["beta_1"] as! Double), beta2: Float(config["beta_2"] as! Double),
                                 epsilon: Float(config["epsilon"] as! Double))
            case "rmsprop":
                #expect(config["centered"] as? Bool == false)
                optimizer = RMSprop(learningRate: lr, rho: Float(config["rho"] as! Double), momentum: Float(config["momentum"] as! Double),
                                    epsilon: Float(config["epsilon"] as! Double))
            case "sgd":
                optimizer = SGD(learningRate: lr, momentum: Float(config["momentum"] as! Double), nesterov: config["nesterov"] as? Bool ?? false)
            default:
                Issue.record("unknown optimizer \(optimizerName)")
                continue
            }
            let net = try c.network()
            for _ in 0..<(entry["steps"] as! Int) {
                _ = try c.step(net)
                optimizer.step(net.store)
            }
            #expect(optimizer.iterations == 2)
            let expected = entry["weights"] as! [String: Any]
            #expect(Set(expected.keys) == Set(net.store.tensorNames))
            for (tensor, value) in expected {
                expectMatchesKeras(try net.store.tensor(named: tensor), flatten(value), "\(name) \(optimizerName) \(tensor)")
            }
        }
    }
}
