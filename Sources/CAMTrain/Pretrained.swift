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
        let opened = try pretrained.map { try open($0, buildingGraphs: true) }
        if case .graph(let graph) = opened, let pretrained {
            let model = try KerasGraphImport.withClassifier(graph, classes: classes, file: pretrained)
            model.train()
            let info = ModelInfo(classes: classes, preprocessing: preprocessing, inputSize: inputSize, graph: model.architecture)
            return (model, info)
        }
        let spec = try ResNetSpec.named(arch, classes: classes)
        let model = try ResNet(spec)
        if let opened, let pretrained { try load(opened, into: model, path: pretrained.path) }
        model.train()
        return (model, ModelInfo(spec: spec, preprocessing: preprocessing, inputSize: inputSize))
    }

    /// The graph network in `url` (a whole Keras model that is not a ResNet, a `.keras` archive, a
    /// CAMKit checkpoint of a graph network), or nil for ResNet and weights-only files.
    public static func graphModel(_ url: URL) throws -> GraphNetwork? {
        if case .graph(let graph) = try open(url, buildingGraphs: true) { return graph }
        return nil
    }

    /// Loads the backbone weights of `url` into `model`, keeping its head.
    public static func load(_ url: URL, into model: ResNet) throws {
        try load(open(url, buildingGraphs: false), into: model, path: url.path)
    }

    /// A starting-point file, read once.
    private enum Opened {
        case graph(GraphNetwork)
        case keras(KerasWeights)
        case tensors(SafeTensorsFile)
    }

    /// Reads `url`; with `buildingGraphs`, a whole graph model or graph checkpoint becomes `.graph`.
    private static func open(_ url: URL, buildingGraphs: Bool) throws -> Opened {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ModelError.incompatibleWeights(file: url.path, reason: "cannot read the pretrained weights file")
        }
        let ext = url.pathExtension.lowercased()
        if ["h5", "hdf5", "keras"].contains(ext) || KerasArchive.isZip(url) {
            if buildingGraphs && KerasArchive.isZip(url) {
                return try .graph(KerasArchive.load(url, headless: true).model as! GraphNetwork)
            }
            let weights = try KerasWeights(contentsOf: url)
            if buildingGraphs, let config = weights.modelConfig, !KerasImport.isResNet(config) {
                return try .graph(KerasGraphImport.load(weights, headless: true).model as! GraphNetwork)
            }
            return .keras(weights)
        }
        let file = try SafeTensors.read(contentsOf: url)
        if buildingGraphs, Checkpoint.isCheckpoint(file.metadata) {
            let checkpoint = try Checkpoint(file: file, source: url.path)
            if checkpoint.info.graph != nil { return try .graph(checkpoint.makeModel(source: url.path) as! GraphNetwork) }
        }
        return .tensors(file)
    }

    private static func load(_ opened: Opened, into model: ResNet, path: String) throws {
        switch opened {
        case .graph:
            throw ModelError.incompatibleWeights(file: path, reason: "a whole graph model is trained as it is, not loaded into --arch")
        case .keras(let weights):
            guard model.spec.layout == .keras else {
                throw ModelError.incompatibleWeights(file: path, reason: "Keras weights need a Keras-layout architecture (keras-resnet50, ...)")
            }
            try KerasImport.loadWeights(weights, into: model, includeHead: false)
        case .tensors(let file):
            let state: [String: Tensor]
            var sourceHead = "fc."
            if Checkpoint.isCheckpoint(file.metadata) {
                let checkpoint = try Checkpoint(file: file, source: path)
                state = checkpoint.modelState
                sourceHead = try checkpoint.info.resnetSpec(file: path).headName + "."
            } else {
                guard model.spec.layout == .torchvision else {
                    throw ModelError.incompatibleWeights(
                        file: path, reason: "torchvision weights need a torchvision-layout architecture (resnet50, ...)")
                }
                state = file.tensors
            }
            try model.loadStateDictKeepingHead(state.filter { !$0.key.hasPrefix(sourceHead) }, source: path)
        }
    }
}
