import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// Keras functional and Sequential models that are not ResNets, loaded as `GraphNetwork`s from
/// `.h5` and `.keras`, against Keras' own outputs, `model.summary()` and the tutorial's
/// `generate_grad_cam` under TensorFlow (tools/make_keras_graph_fixtures.py): `mini` (MobileNet /
/// EfficientNet blocks), `branches` (a user's branchy base nested in the tutorial's classifier, a
/// shared layer, every merge, padding and resampling layer, a keras.ops node), `convnext`
/// (ConvNeXt's layer types, nested Sequential blocks), `sequential` (no global pooling: no CAM),
/// `branches_keras2` (the same model from tf_keras 2).
@Suite struct KerasGraphTests {
    static let files = [
        "mini.h5", "mini.keras", "branches.h5", "branches.keras", "convnext.h5", "convnext.keras", "sequential.h5", "sequential.keras",
        "branches_keras2.h5"
    ]

    static func load(_ file: String) throws -> GraphNetwork {
        try #require(ModelLoader.load(Fixtures.url("keras-graph/\(file)")).model as? GraphNetwork)
    }

    @Test(arguments: files) func everyLayerProbabilitiesGradCAMAndSummaryMatchKeras(_ file: String) throws {
        let name = String(file.split(separator: ".")[0])
        let ref = try KerasReference(fixture: name)
        let network = try Self.load(file)
        let e = try ref.compare(network)
        #expect(e.missing.isEmpty, "\(file): Keras layers missing from the graph: \(e.missing)")
        #expect(e.layers >= 8)
        #expect(e.worst_error <= 1e-4, "\(file): \(e.worst_layer) \(e.worst_error)")
        #expect(e.probabilities <= 1e-4)
        #expect(e.gradcam <= 1e-3)
        let mismatches = try ref.summaryMismatches(network)
        #expect(mismatches.isEmpty, "\(file): \(mismatches)")
        // `--layer auto` is the layer feeding global pooling where there is one.
        if let feature = ref.manifest.feature_layer { #expect(network.lastFeatureLayer == feature) }
    }

    @Test func camNeedsAPoolingThenDenseHeadAndSaysWhy() throws {
        #expect(try Self.load("mini.h5").camHead?.poolLayer == "avg_pool")
        #expect(try Self.load("branches.keras").camHead?.featureLayer == "base_model")
        for file in ["sequential.h5", "convnext.keras"] {
            let network = try Self.load(file)
            #expect(network.camHead == nil)
            let reason = try #require(network.camUnavailableReason)
            #expect(!reason.isEmpty)
            #expect(throws: ExplainError.self) {
                try Explainer(model: network).explain(Tensor.randn([1, 3, 24, 24]), methods: [.cam], layers: [network.lastFeatureLayer])
            }
        }
    }

    @Test func theOptimisedEvalPassEqualsThePlainOne() throws {
        for file in ["mini.h5", "branches.h5", "convnext.h5"] {
            let network = try Self.load(file)
            let size = try KerasReference(fixture: String(file.split(separator: ".")[0])).manifest.size
            let x = try Tensor.randn([4, 3, size, size])
            let fast = try withInferenceMode { try network(x) }
            network.optimizesEvalForward = false
            let plain = try withInferenceMode { try network(x) }
            #expect(try KerasModelTests.relativeError(fast, plain) < 1e-4, "\(file)")
        }
    }

    @Test func camAtTheHeadEqualsTheClosedForm() throws {
        let network = try Self.load("mini.keras")
        let x = try Tensor.randn([2, 3, 32, 32])
        let e = try Explainer(model: network).explain(x, methods: [.cam, .gradCAM], layers: ["out_relu"])
        // At the layer feeding GAP, Grad-CAM's weights are the head's / hw: the same map up to that factor.
        let cam = try #require(e.maps.first { $0.method == .cam }).raw
        let grad = try #require(e.maps.first { $0.method == .gradCAM }).raw
        let s = cam.shape
        #expect(try KerasModelTests.relativeError(grad * Double(s[0] * s[1]), cam) < 1e-4)
    }

    @Test func aTruncatedKerasArchiveIsAClearError() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-keras-archive")
        let data = try Data(contentsOf: Fixtures.url("keras-graph/mini.keras"))
        let cut = dir.appendingPathComponent("cut.keras")
        try data.prefix(data.count / 2).write(to: cut)
        do {
            _ = try ModelLoader.load(cut)
            Issue.record("a truncated .keras loaded")
        } catch let error as KerasGraphError {
            #expect(error.description.contains("cut.keras") && error.description.contains("truncated or damaged"))
        }
    }

    /// A Lambda layer, a deleted weight and a weight of the wrong shape: load-time errors that name
    /// the file and the layer (tools/make_keras_graph_fixtures.py --bad-inputs).
    @Test(arguments: [
        ("bad_lambda.h5", "'double' is a Lambda"), ("bad_missing_weight.h5", "'conv1'"),
        ("bad_wrong_shape.h5", "'conv1' weight 'kernel' has shape [3, 3, 3, 9]")
    ])
    func badModelsAreClearErrors(_ file: String, _ says: String) throws {
        do {
            _ = try ModelLoader.load(Fixtures.url("keras-graph/\(file)"))
            Issue.record("\(file) loaded")
        } catch {
            #expect("\(error)".contains(file) && "\(error)".contains(says), "\(error)")
            // The user's file, not CAMKit, is at fault: a 400/422 from the server, never a 500.
            #expect([ErrorKind.badInput, .unprocessable].contains(try #require((error as? any UserFacingError)?.errorKind)))
        }
    }
}
