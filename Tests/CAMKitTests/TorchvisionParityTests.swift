import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// CAMKit's torchvision-layout ResNets against torchvision's own outputs (tools/make_model_fixtures.py).
@Suite struct TorchvisionParityTests {
    struct Case {
        let model: ResNet
        let input: Tensor
        let expected: [String: Tensor]
        let logits: Tensor
    }

    static func load(_ name: String) throws -> Case {
        let file = try SafeTensors.read(contentsOf: Fixtures.url("models/tv_\(name).safetensors"))
        var state: [String: Tensor] = [:]
        var expected: [String: Tensor] = [:]
        for (key, t) in file.tensors {
            if key.hasPrefix("model.") { state[String(key.dropFirst(6))] = t }
            if key.hasPrefix("out.") { expected[String(key.dropFirst(4))] = t }
        }
        let spec = try JSONDecoder().decode(ResNetSpec.self, from: Data(file.metadata["spec"]!.utf8))
        #expect(try TorchvisionImport.inferSpec(state, file: name) == spec)
        let model = try TorchvisionImport.model(from: state, file: name)
        return Case(model: model, input: file.tensors["input"]!, expected: expected, logits: file.tensors["logits"]!)
    }

    /// Largest |a - b| relative to the largest |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        let x = try a.floats(), y = try b.floats()
        let scale = max(y.map(abs).max() ?? 1, 1e-12)
        return maxAbsDifference(x, y) / scale
    }

    @Test(arguments: ["bottleneck", "basic"])
    func logitsAndTapsMatchTorchvision(_ name: String) throws {
        let c = try Self.load(name)
        let out = try c.model.forward(c.input, tapping: Array(c.expected.keys))
        #expect(try Self.relativeError(out.logits, c.logits) < 1e-4)
        for (layer, want) in c.expected {
            let got = try #require(out.activations[layer], "layer \(layer) not tapped")
            #expect(got.shape == want.shape, "\(layer)")
            #expect(try Self.relativeError(got, want) < 1e-4, "\(layer)")
        }
    }

    @Test func strictLoadingListsMissingUnexpectedAndMisshapenKeys() throws {
        let file = try SafeTensors.read(contentsOf: Fixtures.url("models/tv_basic.safetensors"))
        var state: [String: Tensor] = [:]
        for (key, t) in file.tensors where key.hasPrefix("model.") { state[String(key.dropFirst(6))] = t }
        let spec = try TorchvisionImport.inferSpec(state, file: "x")
        state["layer1.0.conv1.weight"] = nil
        state["extra.weight"] = try Tensor.zeros([1])
        state["fc.bias"] = try Tensor.zeros([3])
        let model = try ResNet(spec)
        #expect {
            try model.loadStateDict(state, source: "weights.safetensors")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("weights.safetensors") && text.contains("missing keys: layer1.0.conv1.weight")
                && text.contains("unexpected keys: extra.weight") && text.contains("fc.bias expected [7] found [3]")
        }
    }
}
