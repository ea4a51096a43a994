import Foundation
import Torch
import CAMModels

/// Starting weights for fine-tuning: everything but the head, from Keras' ImageNet notop `.h5`,
/// a torchvision safetensors state dict or a CAMKit checkpoint.
public enum Pretrained {
    public static func load(_ url: URL, into model: ResNet) throws {
        let path = url.path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModelError.incompatibleWeights(file: path, reason: "cannot read the pretrained weights file")
        }
        if ["h5", "hdf5"].contains(url.pathExtension.lowercased()) {
            guard model.spec.layout == .keras else {
                throw ModelError.incompatibleWeights(file: path, reason: "Keras weights need a Keras-layout architecture (keras-resnet50, ...)")
            }
            try KerasImport.loadWeights(KerasWeights(contentsOf: url), into: model, includeHead: false)
            return
        }
        let file = try SafeTensors.read(contentsOf: url)
        let state: [String: Tensor]
        var sourceHead = "fc."
        if Checkpoint.isCheckpoint(file.metadata) {
            let checkpoint = try Checkpoint(file: file, source: path)
            state = checkpoint.modelState
            sourceHead = try checkpoint.info.resnetSpec(file: path).headName + "."
        } else {
            guard model.spec.layout == .torchvision else {
                throw ModelError.incompatibleWeights(file: path, reason: "torchvision weights need a torchvision-layout architecture (resnet50, ...)")
            }
            state = file.tensors
        }
        try model.loadStateDictKeepingHead(state.filter { !$0.key.hasPrefix(sourceHead) }, source: path)
    }
}
