import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
@testable import CAMTrain

/// Training graph networks (any Keras model): one SGD step against Keras' `train_on_batch`
/// (tools/make_keras_train_fixtures.py), checkpoints that rebuild the network on their own, a head
/// resized or added for fine-tuning, head-only training, and kill -9 + `--resume` through `camkit train`.
@Suite(.serialized) struct GraphTrainingTests {
    static func network(_ file: String) throws -> GraphNetwork {
        try #require(ModelLoader.load(Fixtures.url("keras-graph/\(file)")).model as? GraphNetwork)
    }

    static func reference() throws -> SafeTensorsFile { try SafeTensors.read(contentsOf: Fixtures.url("keras-graph/train_step_ref.safetensors")) }

    static func trainer(_ model: any Network, _ configure: (inout TrainingConfig) -> Void = { _ in }) throws -> Trainer {
        var config = TrainingConfig()
        config.learningRate = 0.1
        configure(&config)
        let info = ModelInfo(classes: model.classes, preprocessing: .raw, inputSize: 24, graph: (model as? GraphNetwork)?.architecture)
        return try Trainer(model: model, info: info, config: config, outputDirectory: Fixtures.temporaryDirectory())
    }

    @Test func oneSGDStepMatchesKerasTrainOnBatch() throws {
        let ref = try Self.reference()
        let model = try Self.network("train_step.h5")
        let trainer = try Self.trainer(model)
        model.train()
        let (loss, _) = try trainer.step(LabeledBatch(images: ref.tensors["images"]!, labels: ref.tensors["labels"]!))
        let expected = try ref.tensors["loss"]!.item()
        #expect(abs(loss - expected) <= 1e-5 * max(1, abs(expected)), "loss \(loss) vs Keras \(expected)")
        let state = try model.kerasState()
        let after = ref.tensors.filter { $0.key.hasPrefix("after/") }
        #expect(after.count == 27)
        #expect(Set(state.keys) == Set(after.keys.map { String($0.dropFirst(6)) }), "\(state.keys.sorted())")
        var worst: Float = 0
        for (key, want) in after {
            let got = try #require(state[String(key.dropFirst(6))], "\(key) not in the network")
            #expect(got.shape == want.shape, "\(key)")
            // Weights and batch-norm statistics after the step, as Keras has them.
            let error = maxAbsDifference(try got.floats(), try want.floats())
            #expect(error <= 1e-5, "\(key)")
            worst = max(worst, error)
        }
        print("graph training step vs Keras: loss \(abs(loss - expected)), weights and statistics \(worst)")
    }

    @Test func aCheckpointRebuildsTheGraphOnItsOwn() throws {
        let model = try Self.network("train_step.h5")
        let x = try Tensor.randn([2, 3, 24, 24])
        let expected = try withInferenceMode { try model(x) }
        let info = ModelInfo(classes: model.classes, preprocessing: .raw, inputSize: 24, graph: model.architecture)
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("graph.safetensors")
        try Checkpoint(info: info, modelState: Checkpoint.modelState(of: model)).write(to: file)
        let loaded = try ModelLoader.load(file)
        let rebuilt = try #require(loaded.model as? GraphNetwork)
        #expect(loaded.info.graph == model.architecture)
        #expect(try rebuilt.layerNames == model.layerNames)
        #expect(rebuilt.camHead?.featureLayer == "base")
        let got = try withInferenceMode { try rebuilt(x) }
        #expect(maxAbsDifference(try got.floats(), try expected.floats()) == 0)
    }

    @Test func fineTuningResizesTheHeadOrAddsGAPAndDense() throws {
        let x = try Tensor.randn([2, 3, 24, 24])
        // A model with a head of other classes: the dense layer resized, everything before it kept.
        let model = try Self.network("train_step.h5")
        try Runtime.manualSeed(0)
        let resized = try KerasGraphImport.withClassifier(model, classes: 7, file: Fixtures.url("keras-graph/train_step.h5"))
        #expect(resized.classes == 7)
        #expect(try resized.layerNames == model.layerNames)
        let before = try withInferenceMode { try model.forward(x, tapping: ["base"]).activations["base"]! }
        let (logits, after) = try withInferenceMode {
            let r = try resized.forward(x, tapping: ["base"])
            return (r.logits, r.activations["base"]!)
        }
        #expect(logits.shape == [2, 7])
        #expect(maxAbsDifference(try after.floats(), try before.floats()) == 0)
        // Keras' Glorot-uniform start: |w| ≤ √(6 / (in + out)), zero bias.
        let state = try resized.kerasState()
        let kernel = try #require(state["predictions/kernel"])
        #expect(kernel.shape == [12, 7])
        #expect(try kernel.abs().max().item() <= Foundation.sqrt(6.0 / 19.0))
        #expect(try state["predictions/bias"]!.abs().max().item() == 0)

        // A backbone (a feature-map output): GAP + Dense(softmax) added, as the tutorial builds cam_model.
        let backbone = try #require(try Pretrained.graphModel(Fixtures.url("keras-graph/backbone.h5")))
        #expect(backbone.camHead == nil)
        let headed = try KerasGraphImport.withClassifier(backbone, classes: 3, file: Fixtures.url("keras-graph/backbone.h5"))
        #expect(try Array(headed.layerNames.suffix(2)) == ["global_average_pooling2d", "dense"])
        let head = try #require(headed.camHead)
        #expect(head.featureLayer == "out_relu" && head.poolLayer == "global_average_pooling2d" && head.linearLayer == "dense")
        #expect(headed.classes == 3)
        #expect(try withInferenceMode { try headed(x) }.shape == [2, 3])
        #expect(headed.architecture?.config["config"]?["output_layers"] == [["dense", 0, 0]])
        // Unchanged when the head already fits.
        #expect(try KerasGraphImport.withClassifier(model, classes: 4, file: Fixtures.url("keras-graph/train_step.h5")) === model)
    }

    @Test func freezingTheBackboneTrainsOnlyTheDenseHead() throws {
        let ref = try Self.reference()
        let model = try Self.network("train_step.h5")
        let before = try model.kerasState()  // copies
        let trainer = try Self.trainer(model) {
            $0.freezeBackbone = true
            $0.epochs = 1
        }
        try trainer.fit(OneBatch(images: ref.tensors["images"]!, labels: ref.tensors["labels"]!, classes: 4))
        let after = try model.kerasState()
        for (key, value) in before {
            let changed = maxAbsDifference(try value.floats(), try after[key]!.floats()) > 0
            #expect(changed == key.hasPrefix("predictions/"), "\(key) changed: \(changed)")
        }
        // No head to train alone: refused with the reason.
        let backbone = try #require(try Pretrained.graphModel(Fixtures.url("keras-graph/backbone.h5")))
        #expect(throws: TrainingError.self) { try Self.trainer(backbone) { $0.freezeBackbone = true } }
    }

    @Test func killNineThenResumeGivesIdenticalWeightsForAGraphModel() throws {
        let camkit = TrainerResumeTests.camkit
        guard FileManager.default.isExecutableFile(atPath: camkit.path) else {
            Issue.record("camkit not built at \(camkit.path)")
            return
        }
        let arguments = { (out: URL) in
            [
                "train", "--dataset", "synthetic:seed=3,classes=3,train=48,test=16,size=32", "--pretrained",
                Fixtures.url("keras-graph/backbone.h5").path, "--classes", "3", "--epochs", "2", "--batch-size", "8", "--lr", "0.05",
                "--momentum", "0.9", "--image-size", "32", "--augment", "--seed", "5", "--threads", "1", "--workers", "2",
                "--checkpoint-every", "2", "--out", out.path
            ]
        }
        let straight = try Fixtures.temporaryDirectory(), killed = try Fixtures.temporaryDirectory()
        let reference = try TrainerResumeTests.run(arguments(straight))
        #expect(reference.status == 0, "\(reference.output)")
        // Step 9 is the third step of epoch 2 (6 steps per epoch), after a mid-epoch checkpoint.
        let crashed = try TrainerResumeTests.run(arguments(killed) + ["--fault-kill-after-steps", "9"])
        #expect(crashed.status == SIGKILL, "expected death by SIGKILL, got \(crashed.status): \(crashed.output)")
        let resumed = try TrainerResumeTests.run(["train", "--resume", killed.path, "--threads", "1", "--workers", "2"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let a = try Checkpoint.read(from: straight.appendingPathComponent("checkpoint.safetensors"))
        let b = try Checkpoint.read(from: killed.appendingPathComponent("checkpoint.safetensors"))
        #expect(a.progress["epoch"] == "2" && b.progress["epoch"] == "2")
        #expect(a.modelState.keys.contains("dense/kernel") && a.modelState.keys.contains("stem_bn/moving_mean"))
        for (key, value) in a.modelState {
            #expect(try b.modelState[key]?.floats() == value.floats(), "\(key)")
        }
        // The checkpoint opens on its own: `camkit layers` lists the added head.
        let layers = try TrainerResumeTests.run(["layers", "--model", killed.appendingPathComponent("best.safetensors").path])
        #expect(layers.status == 0, "\(layers.output)")
        #expect(layers.output.contains("global_average_pooling2d") && layers.output.contains("dense"))
        // A --classes that is not the dataset's is refused before training.
        let wrong = try TrainerResumeTests.run(
            arguments(try Fixtures.temporaryDirectory()).map { $0 == "3" ? "5" : $0 })
        #expect(wrong.status != 0 && wrong.output.contains("--classes"), "\(wrong.output)")
    }
}

/// One batch as a whole training set (and as its validation set).
private struct OneBatch: TrainingData {
    let images: Tensor
    let labels: Tensor
    let classes: Int
    var classNames: [String] { (0..<classes).map { "c\($0)" } }
    func trainBatchCount(batchSize: Int) -> Int { 1 }
    func trainBatches(epoch: Int, batchSize: Int, startingAt start: Int) throws -> AnyIterator<Result<LabeledBatch, Error>> {
        var done = start > 0
        return AnyIterator {
            defer { done = true }
            return done ? nil : .success(LabeledBatch(images: images, labels: labels))
        }
    }
    func validationBatches(batchSize: Int) throws -> AnyIterator<Result<LabeledBatch, Error>> {
        try trainBatches(epoch: 0, batchSize: batchSize, startingAt: 0)
    }
}
