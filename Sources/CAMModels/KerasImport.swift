import CAMCore
import Foundation
import Torch

/// Builds Keras-layout ResNets from Keras `.h5` files: whole models saved with `model.save('x.h5')`
/// (like the tutorial's `cam_model.h5`) and weights-only files (Keras' ImageNet `_notop.h5`).
///
/// Layers are matched by name; conv kernels go HWIO → OIHW and dense kernels [in, out] → [out, in].
public enum KerasImport {
    /// Opens a Keras file as a ready model. The architecture and head come from the file
    /// (`model_config`, layer names and kernel shapes) unless `arch` / `classes` are given.
    public static func load(_ url: URL, arch: String?, classes: Int?) throws -> LoadedModel {
        let weights = try KerasWeights(contentsOf: url)
        if arch == nil, let config = weights.modelConfig, !isResNet(config) {
            if let classes, classes != weights.denseHead?.units {
                throw ModelError.incompatibleWeights(
                    file: url.path, reason: "--classes \(classes) would replace the model's trained head; a Keras graph model keeps its own")
            }
            return try KerasGraphImport.load(weights)
        }
        let head = weights.denseHead
        if let head, let classes, classes != head.units {
            throw ModelError.incompatibleWeights(
                file: url.path,
                reason:
                    "--classes \(classes) would replace the model's trained head of \(head.units) classes with an untrained one; drop --classes (to train a new head: camkit train --pretrained \(url.lastPathComponent) --classes \(classes))"
            )
        }
        guard head != nil || classes != nil else {
            throw ModelError.incompatibleWeights(
                file: url.path, reason: "the file has no Dense head (a weights-only backbone); give --classes to add a fresh one")
        }
        var spec =
            try arch.map { try ResNetSpec.named($0, classes: classes ?? head?.units ?? 1000) }
            ?? inferSpec(weights, classes: classes)
        if let head, classes == nil || classes == head.units {
            spec.headName = head.layerName
            spec.softmaxHead = head.activation == "softmax"
        }
        let model = try ResNet(spec)
        try loadWeights(weights, into: model, includeHead: head != nil && spec.classes == head?.units)
        model.eval()
        // `inputShape` has no batch dimension: [height, width, channels]; None (any size) → 224.
        let inputSize = weights.modelConfig?.inputShape.flatMap { $0.count == 3 ? $0[0] : nil } ?? 224
        guard (1...Limits.maxInputSize).contains(inputSize) else {
            throw ModelError.incompatibleWeights(
                file: url.path,
                reason: "the model takes \(inputSize)x\(inputSize) images; CAMKit builds inputs of 1...\(Limits.maxInputSize) pixels a side")
        }
        // A whole model is taken to be the tutorial's (inputs / 255); Keras' ImageNet backbones expect caffe.
        let preprocessing: Preprocessing = weights.layout == .weightsOnly ? .caffe : .seed
        return LoadedModel(model: model, info: ModelInfo(spec: spec, preprocessing: preprocessing, inputSize: inputSize), source: url)
    }

    /// Whether a whole-model config is exactly a Keras ResNet with a GAP + dense head (what
    /// `ResNet` builds): ResNet layer names and only the layer classes a ResNet has.
    public static func isResNet(_ config: KerasModelConfig) -> Bool {
        let layers = config.allLayers
        let names = Set(layers.map(\.name))
        let classes: Set<String> = [
            "InputLayer", "ZeroPadding2D", "Conv2D", "BatchNormalization", "Activation", "MaxPooling2D", "Add",
            "GlobalAveragePooling2D", "Dense", "Functional", "Model", "Sequential"
        ]
        guard names.contains("conv1_conv"), names.contains("conv2_block1_1_conv"), layers.allSatisfy({ classes.contains($0.className) }) else {
            return false
        }
        // Exactly one dense layer, fed by the global pooling (the tutorial's head).
        return layers.filter { $0.className == "Dense" }.count == 1 && layers.filter { $0.className == "GlobalAveragePooling2D" }.count == 1
    }

    /// Infers a Keras ResNet spec from the layer names and kernel shapes.
    public static func inferSpec(_ weights: KerasWeights, classes: Int?) throws -> ResNetSpec {
        let names = Set(
            weights.layers.map(\.name) + weights.flattenedLayers.map(\.name)
                + (weights.modelConfig?.allLayers.map(\.name) ?? []))
        var blocks: [Int] = []
        var widths: [Int] = []
        for stage in 2... {
            var count = 0
            while names.contains("conv\(stage)_block\(count + 1)_1_conv") { count += 1 }
            if count == 0 { break }
            blocks.append(count)
            widths.append(try weights.weights(forLayer: "conv\(stage)_block1_1_conv").tensor("kernel").shape[3])
        }
        guard !blocks.isEmpty, names.contains("conv1_conv") else {
            throw ModelError.incompatibleWeights(file: weights.file, reason: "not a Keras ResNet (no conv1_conv / conv2_block1_1_conv layers)")
        }
        let stem = try weights.weights(forLayer: "conv1_conv").tensor("kernel").shape  // HWIO
        let head = weights.denseHead
        return ResNetSpec(
            layout: .keras, block: .bottleneck, blocks: blocks, widths: widths, stemWidth: stem[3], stemKernel: stem[0],
            stemStride: 2, stemPool: names.contains("pool1_pool"),
            stageStrides: [1] + Array(repeating: 2, count: blocks.count - 1),
            classes: classes ?? head?.units ?? 1000, headName: head?.layerName, softmaxHead: head?.activation == "softmax")
    }

    /// Copies every conv, BatchNorm (and, with `includeHead`, dense) layer of `model` from the file by
    /// Keras layer name. Strict: a missing layer or a wrongly shaped kernel is an error naming both.
    public static func loadWeights(_ weights: KerasWeights, into model: ResNet, includeHead: Bool) throws {
        var state: [String: Tensor] = [:]
        for (name, module) in model.namedModules() {
            if let conv = module as? Conv2d {
                let layer = try weights.weights(forLayer: name)
                state["\(name).weight"] = try layer.convKernelOIHW(expectedOIHW: conv.weight.shape)
                if let bias = conv.bias { state["\(name).bias"] = try layer.tensor("bias", expectedShape: bias.shape) }
            } else if let bn = module as? BatchNorm2d {
                let p = try weights.weights(forLayer: name).batchNorm(channels: bn.weight.shape[0])
                state["\(name).weight"] = try p.gamma ?? Tensor.ones(bn.weight.shape)
                state["\(name).bias"] = try p.beta ?? Tensor.zeros(bn.bias.shape)
                state["\(name).running_mean"] = p.movingMean
                state["\(name).running_var"] = p.movingVariance
            } else if let dense = module as? Linear, includeHead {
                let layer = try weights.weights(forLayer: name)
                state["\(name).weight"] = try layer.denseKernelOutIn(expectedOutIn: dense.weight.shape)
                if let bias = dense.bias { state["\(name).bias"] = try layer.tensor("bias", expectedShape: bias.shape) }
            }
        }
        if includeHead {
            try model.loadStateDict(state, source: weights.file)
        } else {
            // Keep the fresh head; everything else is checked strictly.
            try model.loadStateDictKeepingHead(state, source: weights.file)
        }
    }
}
