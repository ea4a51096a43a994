import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// A Keras functional model that is not a ResNet (zero padding, depthwise and separable
/// convolutions, squeeze-excite, `same` padding with an even kernel, pooling, concatenation,
/// layer norm, GAP + dense softmax) loaded as a `GraphNetwork`, against Keras' own outputs and the
/// tutorial's `generate_grad_cam` under TensorFlow (tools/make_keras_graph_fixtures.py).
@Suite struct KerasGraphTests {
    static let model = Fixtures.url("keras-graph/mini.h5")
    static let reference = Fixtures.url("keras-graph/mini_io.safetensors")

    @Test func outputsLayersAndGradCAMMatchKeras() throws {
        let loaded = try ModelLoader.load(Self.model)
        let network = try #require(loaded.model as? GraphNetwork)
        #expect(network.classes == 5)
        #expect(network.lastFeatureLayer == "out_relu")
        #expect(network.camHead?.poolLayer == "avg_pool")
        let ref = try SafeTensors.read(contentsOf: Self.reference).tensors
        let x = try #require(ref["input"]).permute([0, 3, 1, 2]).contiguous()
        let out = try network.forward(x, tapping: ["add", "predictions"])
        let probabilities = try Functional.softmax(out.logits, dim: 1)
        #expect(try KerasModelTests.relativeError(probabilities, #require(ref["probabilities"])) < 1e-4)
        #expect(try KerasModelTests.relativeError(#require(out.activations["predictions"]), #require(ref["probabilities"])) < 1e-4)
        let add = try KerasModelTests.nhwc(#require(out.activations["add"]))
        #expect(try KerasModelTests.relativeError(add, #require(ref["add"])) < 1e-4)

        // The tutorial's Grad-CAM explains the softmax output at an inner layer.
        let e = try Explainer(model: network).explain(
            x.slice(dim: 0, start: 0, end: 1), methods: [.gradCAM], layers: ["add"], score: .softmax)
        let raw = try #require(e.maps.first).raw
        #expect(try KerasModelTests.relativeError(raw, #require(ref["gradcam_add"])) < 1e-3)
    }

    @Test func theOptimisedEvalPassEqualsThePlainOne() throws {
        let network = try #require(ModelLoader.load(Self.model).model as? GraphNetwork)
        let x = try Tensor.randn([4, 3, 32, 32])
        let fast = try withInferenceMode { try network(x) }
        network.optimizesEvalForward = false
        let plain = try withInferenceMode { try network(x) }
        #expect(try KerasModelTests.relativeError(fast, plain) < 1e-4)
    }

    @Test func camAtTheHeadEqualsTheClosedForm() throws {
        let network = try #require(ModelLoader.load(Self.model).model as? GraphNetwork)
        let x = try Tensor.randn([2, 3, 32, 32])
        let e = try Explainer(model: network).explain(x, methods: [.cam, .gradCAM], layers: ["out_relu"])
        // At the layer feeding GAP, Grad-CAM's weights are the head's / hw: the same map up to that factor.
        let cam = try #require(e.maps.first { $0.method == .cam }).raw
        let grad = try #require(e.maps.first { $0.method == .gradCAM }).raw
        let s = cam.shape
        #expect(try KerasModelTests.relativeError(grad * Double(s[0] * s[1]), cam) < 1e-4)
    }
}
