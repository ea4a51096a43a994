import Foundation
import Torch

/// Reads torchvision ResNet `state_dict`s saved as safetensors.
public enum TorchvisionImport {
    /// Infers the architecture from a torchvision ResNet state dict: block type, blocks per stage,
    /// widths and class count, from the keys and shapes alone.
    public static func inferSpec(_ state: [String: Tensor], file: String) throws -> ResNetSpec {
        guard let fc = state["fc.weight"], fc.rank == 2, let stem = state["conv1.weight"], stem.rank == 4 else {
            throw ModelError.incompatibleWeights(file: file, reason: "not a torchvision ResNet state dict (no conv1.weight / fc.weight)")
        }
        let bottleneck = state.keys.contains { $0.hasSuffix(".conv3.weight") }
        var blocks: [Int] = []
        var widths: [Int] = []
        for stage in 1... {
            var count = 0
            while state["layer\(stage).\(count).conv1.weight"] != nil { count += 1 }
            if count == 0 { break }
            blocks.append(count)
            let conv = bottleneck ? state["layer\(stage).0.conv2.weight"] : state["layer\(stage).0.conv1.weight"]
            widths.append(conv?.shape.first ?? 0)
        }
        guard !blocks.isEmpty else {
            throw ModelError.incompatibleWeights(file: file, reason: "no residual stages (layer1.0.conv1.weight) found")
        }
        let stemShape = stem.shape
        return ResNetSpec(
            layout: .torchvision, block: bottleneck ? .bottleneck : .basic, blocks: blocks, widths: widths,
            stemWidth: stemShape[0], stemKernel: stemShape[2], stemStride: stemShape[2] == 7 ? 2 : 1,
            stemPool: true, stageStrides: [1] + Array(repeating: 2, count: blocks.count - 1), classes: fc.shape[0])
    }

    /// Builds the model for `state` (inferring the spec unless given) and loads the weights strictly.
    public static func model(from state: [String: Tensor], spec: ResNetSpec? = nil, file: String) throws -> ResNet {
        let model = try ResNet(spec ?? inferSpec(state, file: file))
        try model.loadStateDict(state, source: file)
        model.eval()
        return model
    }
}
