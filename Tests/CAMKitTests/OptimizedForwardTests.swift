import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// The eval-mode fast path (batch norm folded into convolutions, channels-last) against the
/// literal layers, and its cache of folded weights against parameter changes.
@Suite struct OptimizedForwardTests {
    static let specs = [
        ResNetSpec(
            layout: .torchvision, block: .bottleneck, blocks: [1, 2], widths: [8, 16], stemWidth: 8,
            stageStrides: [1, 2], classes: 5),
        ResNetSpec(
            layout: .keras, block: .bottleneck, blocks: [1, 2], widths: [8, 16], stemWidth: 8,
            stageStrides: [1, 2], classes: 5, softmaxHead: true)
    ]

    /// A model in eval mode whose batch norms have non-trivial statistics and affine parameters.
    static func model(_ spec: ResNetSpec) throws -> ResNet {
        try Runtime.manualSeed(7)
        let model = try ResNet(spec)
        try withNoGrad {
            for (name, t) in model.stateDict() where t.shape.count == 1 {
                if name.hasSuffix("running_var") || name.hasSuffix(".weight") { try t.uniformInPlace(0.5, 2) }
                if name.hasSuffix("running_mean") || name.hasSuffix(".bias") { try t.uniformInPlace(-0.5, 0.5) }
            }
        }
        model.eval()
        return model
    }

    /// Logits and every stage's activations from the fast and the literal pass.
    static func bothPasses(_ model: ResNet, _ x: Tensor, taps: [String]) throws -> (fast: ForwardResult, literal: ForwardResult) {
        model.optimizesEvalForward = true
        let fast = try model.forward(x, tapping: taps)
        model.optimizesEvalForward = false
        defer { model.optimizesEvalForward = true }
        return (fast, try model.forward(x, tapping: taps))
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        let y = try b.floats()
        return maxAbsDifference(try a.floats(), y) / max(y.map(abs).max() ?? 1, 1e-12)
    }

    @Test(arguments: [0, 1])
    func foldedPassEqualsLiteralLayers(_ which: Int) throws {
        let model = try Self.model(Self.specs[which])
        let x = try Tensor.randn([2, 3, 48, 48])
        let taps = [model.lastFeatureLayer, model.poolName]
        let (fast, literal) = try Self.bothPasses(model, x, taps: taps)
        #expect(try Self.relativeError(fast.logits, literal.logits) < 1e-5)
        for layer in taps {
            let got = try #require(fast.activations[layer])
            #expect(got.shape == literal.activations[layer]!.shape)
            #expect(try Self.relativeError(got, literal.activations[layer]!) < 1e-5, "\(layer)")
        }
    }

    @Test func tappedConvolutionKeepsItsOwnOutput() throws {
        let model = try Self.model(Self.specs[0])
        let x = try Tensor.randn([1, 3, 32, 32])
        let (fast, literal) = try Self.bothPasses(model, x, taps: ["layer1.0.conv1", "layer1.0.bn1"])
        #expect(try Self.relativeError(fast.activations["layer1.0.conv1"]!, literal.activations["layer1.0.conv1"]!) < 1e-6)
        #expect(try Self.relativeError(fast.activations["layer1.0.bn1"]!, literal.activations["layer1.0.bn1"]!) < 1e-5)
    }

    @Test func foldedWeightsFollowParameterChanges() throws {
        let model = try Self.model(Self.specs[0])
        let x = try Tensor.randn([4, 3, 32, 32])
        _ = try model(x)  // builds the folded weights
        // A training step changes weights and running statistics in place.
        model.train()
        let optimizer = SGD(parameters: model.namedParameters(), learningRate: 0.5, momentum: 0)
        let loss = try Functional.crossEntropy(model(x), target: Tensor([Int64(0), 1, 2, 3]))
        try loss.backward()
        try optimizer.step()
        model.eval()
        let (afterStep, literal) = try Self.bothPasses(model, x, taps: [])
        #expect(try Self.relativeError(afterStep.logits, literal.logits) < 1e-5)
        // Loading other weights does too.
        let other = try Self.model(Self.specs[0])
        try withNoGrad { for (_, t) in other.stateDict() where t.dtype == .float32 { try t.uniformInPlace(0.2, 1.0) } }
        try model.loadStateDict(Dictionary(uniqueKeysWithValues: other.stateDict()))
        let (afterLoad, literalAfterLoad) = try Self.bothPasses(model, x, taps: [])
        #expect(try Self.relativeError(afterLoad.logits, literalAfterLoad.logits) < 1e-5)
        #expect(try Self.relativeError(afterLoad.logits, afterStep.logits) > 1e-2)
    }

    @Test func gradCAMIsTheSameOnBothPaths() throws {
        let model = try Self.model(Self.specs[0])
        let x = try Tensor.randn([2, 3, 48, 48])
        let explainer = Explainer(model: model)
        func maps() throws -> [[Float]] {
            try explainer.explain(x, methods: [.cam, .gradCAM], layers: ["layer2", "layer1"]).maps.map { try $0.raw.floats() }
        }
        let fast = try maps()
        model.optimizesEvalForward = false
        let literal = try maps()
        #expect(fast.count == literal.count && !fast.isEmpty)
        for (a, b) in zip(fast, literal) {
            #expect(maxAbsDifference(a, b) / max(b.map(abs).max() ?? 1, 1e-12) < 1e-4)
        }
    }

    @Test func inferenceModePassesLeaveAutogradUsableWeights() throws {
        let model = try Self.model(Self.specs[0])
        let x = try Tensor.randn([1, 3, 32, 32])
        _ = try withInferenceMode { try model(x) }  // first folding inside inference mode
        let maps = try Explainer(model: model).explain(x, methods: [.gradCAM], layers: ["layer1"]).maps
        #expect(maps.count == 1)
    }
}
