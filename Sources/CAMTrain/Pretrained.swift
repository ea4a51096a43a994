import Foundation
import Torch
import CAMModels

/// Starting weights for fine-tuning: a whole graph model (any Keras functional or Sequential
/// model, or a CAMKit checkpoint of one) trained as it is, or backbone weights for a ResNet
/// (Keras' ImageNet notop `.h5`, a torchvision safetensors state dict or a CAMKit checkpoint; head excluded).
public enum Pretrained {
    /// The network a run trains, with its info: the graph model in `pretrained` given a classifier
    /// of `classes` outputs (`KerasGraphImport.withClassifier`), or else a new `arch` ResNet with
    /// the backbone weights of `pretrained` when there is such a file. In training mode.
    public static func network(
        arch: String, pretrained: URL?, classes: Int, preprocessing: Preprocessing, inputSize: Int
    ) throws -> (model: any Network, info: ModelInfo) {
        if let pretrained, let graph = try graphModel(pretrained) {
            let model = try KerasGraphImport.withClassifier(graph, classes: classes, file: pretrained)
            model.train()
            let info = ModelInfo(classes: classes, preprocessing: preprocessing, inputSize: inputSize, graph: model.architecture)
            return (model, info)
        }
        let spec = try ResNetSpec.named(arch, classes: classes)
        let model = try ResNet(spec)
        if let pretrained { try load(pretrained, into: model) }
        model.train()
        return (model, ModelInfo(spec: spec, preprocessing: preprocessing, inputSize: inputSize))
    }

    /// The graph network in `url` (a whole Keras model that is not a ResNet, a `.keras` archive, a
    /// CAMKit checkpoint of a graph network), or nil for ResNet and weights-only files.
    public static func graphModel(_ url: URL) throws -> GraphNetwork? {
        try readable(url)
        let ext = url.pathExtension.lowercased()
        guard ["h5", "hdf5", "keras", "safetensors"].contains(ext) || KerasArchive.isZip(url) else { return nil }
        if ext == "safetensors" {
            let file = try SafeTensors.read(contentsOf: url)
            guard Checkpoint.isCheckpoint(file.metadata) else { return nil }
            let checkpoint = try Checkpoint(file: file, source: url.path)
            guard checkpoint.info.graph != nil else { return nil }
            return try checkpoint.makeModel(source: url.path) as? GraphNetwork
        }
        if KerasArchive.isZip(url) { return try KerasArchive.load(url, headless: true).model as? GraphNetwork }
        let weights = try KerasWeights(contentsOf: url)
        guard let config = weights.modelConfig, !KerasImport.isResNet(config) else { return nil }
        return try KerasGraphImport.load(weights, headless: true).model as? GraphNetwork
    }

    /// Loads the backbone weights of `url` into `model`, keeping its head.
    public static func load(_ url: URL, into model: ResNet) throws {
        let path = url.path
        try readable(url)
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

    private static func readable(_ url: URL) throws {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ModelError.incompatibleWeights(file: url.path, reason: "cannot read the pretrained weights file")
        }
    }
}
