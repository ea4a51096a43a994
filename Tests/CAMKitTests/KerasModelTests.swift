import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// Keras-layout ResNets loaded from `.h5` files against Keras/TensorFlow's own outputs
/// (tools/make_keras_fixtures.py) and `model.summary()`.
@Suite struct KerasModelTests {
    static let outputs = Fixtures.url("keras/tiny_resnet_outputs.safetensors")

    /// Largest |a - b| relative to the largest |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        let y = try b.floats()
        return maxAbsDifference(try a.floats(), y) / max(y.map(abs).max() ?? 1, 1e-12)
    }

    /// NCHW → NHWC for comparison with Keras.
    static func nhwc(_ t: Tensor) throws -> Tensor { t.rank == 4 ? try t.permute([0, 2, 3, 1]).contiguous() : t }

    @Test(arguments: ["tiny_resnet_keras2.h5", "tiny_resnet_keras3.h5", "tiny_resnet_nested_keras2.h5"])
    func outputsAndTapsMatchKeras(_ file: String) throws {
        let loaded = try ModelLoader.load(Fixtures.url("keras/\(file)"))
        let resnet = try #require(loaded.model as? ResNet)
        #expect(resnet.spec.layout == .keras)
        #expect(resnet.spec.classes == 5 && resnet.spec.softmaxHead)
        #expect(loaded.info.preprocessing == .seed)
        let reference = try SafeTensors.read(contentsOf: Self.outputs)
        let input = try reference.tensors["input"]!.permute([0, 3, 1, 2]).contiguous()
        let taps = ["conv1_relu", "conv2_block1_out", "conv5_block1_out", "avg_pool", "dense"]
        let out = try loaded.model.forward(input, tapping: taps)
        for tap in taps {
            let want = try #require(reference.tensors[tap])
            let got = try Self.nhwc(#require(out.activations[tap], "\(tap) not tapped"))
            #expect(got.shape == want.shape, "\(tap)")
            #expect(try Self.relativeError(got, want) < 1e-4, "\(file) \(tap)")
        }
        #expect(try Functional.softmax(out.logits, dim: 1).argmax().item() == 4)
    }

    @Test func weightsOnlyBackboneGetsAFreshHead() throws {
        let url = Fixtures.url("keras/tiny_resnet_weights_tf_dim_ordering_tf_kernels_notop.h5")
        #expect(throws: ModelError.self) { try ModelLoader.load(url) }
        let loaded = try ModelLoader.load(url, classes: 3)
        #expect(loaded.model.classes == 3)
        #expect(loaded.info.preprocessing == .caffe)
        let reference = try SafeTensors.read(contentsOf: Self.outputs)
        let input = try reference.tensors["input"]!.permute([0, 3, 1, 2]).contiguous()
        let pooled = try #require(loaded.model.forward(input, tapping: ["avg_pool"]).activations["avg_pool"])
        #expect(try Self.relativeError(pooled, reference.tensors["avg_pool"]!) < 1e-4)
    }

    @Test func layerSummaryMatchesKerasModelSummary() throws {
        struct Row: Decodable { let name: String; let `class`: String; let output_shape: [Int?]; let params: Int }
        struct Summary: Decodable { let total_params: Int; let layers: [Row] }
        let keras = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: Fixtures.url("keras/resnet50_summary.json")))
        let model = try ResNet(ResNetSpec.named("keras-resnet50", classes: 196))
        let ours = try LayerSummary(model: model, inputSize: 224)
        let expected = keras.layers.filter { $0.class != "InputLayer" }
        #expect(ours.rows.map(\.name) == expected.map(\.name))
        for (row, want) in zip(ours.rows, expected) {
            #expect(row.shape == want.output_shape, "\(row.name)")
            #expect(row.parameters == want.params, "\(row.name)")
        }
        #expect(ours.trainableParameters + ours.nonTrainableParameters == keras.total_params)
    }

    @Test func wronglyShapedKernelNamesFileAndLayer() throws {
        let url = Fixtures.url("keras/tiny_resnet_keras2.h5")
        #expect {
            try ModelLoader.load(url, arch: "keras-resnet50")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("tiny_resnet_keras2.h5") && text.contains("layer 'conv2_block1_1_conv'") && text.contains("expected shape")
        }
    }

    /// `--classes` other than the trained head's is refused (it would swap in a random head), naming
    /// both counts and the way to train a new head.
    @Test func classesOtherThanTheTrainedHeadAreRefused() throws {
        let url = Fixtures.url("keras/tiny_resnet_keras2.h5")
        let units = try ModelLoader.load(url).model.classes
        #expect {
            try ModelLoader.load(url, classes: units + 3)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("tiny_resnet_keras2.h5") && text.contains("head of \(units) classes") && text.contains("camkit train --pretrained")
        }
        #expect(try ModelLoader.load(url, classes: units).model.classes == units)
    }

    @Test func missingLayerNamesFileAndLayer() throws {
        // The legacy fixture holds only the first layers of a backbone.
        let url = Fixtures.url("keras/legacy_fixed_strings_notop.h5")
        #expect {
            try ModelLoader.load(url, arch: "keras-resnet50", classes: 5)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("legacy_fixed_strings_notop.h5") && text.contains("layer")
        }
    }

    @Test func nonHDF5AndTruncatedFilesAreReported() throws {
        let dir = try Fixtures.temporaryDirectory()
        let text = dir.appendingPathComponent("model.h5")
        try Data("not a model".utf8).write(to: text)
        #expect { try ModelLoader.load(text) } throws: { String(describing: $0).contains(text.path) }
        let full = try Data(contentsOf: Fixtures.url("keras/tiny_resnet_keras2.h5"))
        let cut = dir.appendingPathComponent("cut.h5")
        try full.prefix(full.count / 2).write(to: cut)
        #expect { try ModelLoader.load(cut) } throws: { String(describing: $0).contains(cut.path) }
    }
}
