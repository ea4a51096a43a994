import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
@testable import CAMCore
@testable import CAMImaging
@testable import CAMFormats
@testable import CAMModels
@testable import CAMData
@testable import CAMExplain
@testable import CAMLocalize
@testable import CAMTrain
@testable import CAMReport
@testable import CAMJobs

/// One training step against PyTorch (tools/make_train_fixtures.py): loss, updated weights and
/// BatchNorm running statistics after torch.optim.SGD with momentum and weight decay.
@Suite struct TrainStepTests {
    @Test func oneSGDStepMatchesPyTorch() throws {
        let file = try SafeTensors.read(contentsOf: Fixtures.url("train/sgd_step.safetensors"))
        var before: [String: Tensor] = [:], after: [String: Tensor] = [:]
        for (k, t) in file.tensors {
            if k.hasPrefix("before.") { before[String(k.dropFirst(7))] = t }
            if k.hasPrefix("after.") { after[String(k.dropFirst(6))] = t }
        }
        let spec = try JSONDecoder().decode(ResNetSpec.self, from: Data(file.metadata["spec"]!.utf8))
        let hyper = try JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as! [String: Double]
        var config = TrainingConfig()
        config.learningRate = hyper["learningRate"]!
        config.momentum = hyper["momentum"]!
        config.weightDecay = hyper["weightDecay"]!
        config.labelSmoothing = hyper["labelSmoothing"]!
        let model = try ResNet(spec)
        try model.loadStateDict(before)
        let trainer = try Trainer(
            model: model, info: ModelInfo(spec: spec, preprocessing: .seed, inputSize: 48),
            config: config, outputDirectory: Fixtures.temporaryDirectory())
        model.train()
        let (loss, _) = try trainer.step(LabeledBatch(images: file.tensors["images"]!, labels: file.tensors["labels"]!))
        let expectedLoss = try file.tensors["loss"]!.item()
        #expect(abs(loss - expectedLoss) < 1e-5)
        for (name, got) in model.stateDict() {
            let want = try #require(after[name], "\(name) missing from fixture")
            if got.dtype == .int64 {
                #expect(try got.scalars(as: Int64.self) == want.scalars(as: Int64.self), "\(name)")
            } else {
                #expect(maxAbsDifference(try got.floats(), try want.floats()) < 1e-5, "\(name)")
            }
        }
    }
}
