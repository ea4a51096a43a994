import CAMCore
import CAMFormats
import Foundation
import Torch

/// Opens any Keras functional or Sequential model as a `GraphNetwork`: whole-model `.h5` files of
/// Keras 2 and Keras 3 (`.keras` archives: `KerasArchive`).
public enum KerasGraphImport {
    /// The model in `weights` (a whole-model file), in eval mode; `headless` accepts a backbone
    /// without a classifier (see `GraphNetwork.init`).
    public static func load(_ weights: KerasWeights, headless: Bool = false) throws -> LoadedModel {
        guard let config = weights.modelConfig else {
            throw KerasGraphError.badConfig(
                file: weights.file, detail: "a weights-only file has no architecture; save the whole model with model.save('x.h5')")
        }
        let major = Int(weights.kerasVersion?.split(separator: ".").first ?? "") ?? (weights.layout == .keras3LegacyModel ? 3 : 2)
        return try build(config: config, file: weights.url, kerasMajor: major, source: H5WeightSource(weights: weights), headless: headless)
    }

    /// Builds the network of `config` with weights from `source`.
    static func build(
        config: KerasModelConfig, file: URL, kerasMajor: Int, source: any KerasWeightSource, headless: Bool = false
    ) throws -> LoadedModel {
        var builder = KerasGraphBuilder(file: file.path, kerasMajor: kerasMajor, source: source)
        let output = try builder.build(config.raw)
        let shape = config.inputShape ?? firstLayerInputShape(config)
        if let shape, shape.count == 3, let c = shape[2], c != 3 {
            throw KerasGraphError.badConfig(file: file.path, detail: "the model takes \(c)-channel images; CAMKit feeds RGB (3 channels)")
        }
        let size = shape.flatMap { $0.count == 3 ? $0[0] : nil } ?? 224
        // The network is probed at its input size below: a config declaring 100000x100000 would allocate it.
        guard (1...Limits.maxInputSize).contains(size) else {
            throw KerasGraphError.badConfig(
                file: file.path, detail: "the model takes \(size)x\(size) images; CAMKit builds inputs of 1...\(Limits.maxInputSize) pixels a side")
        }
        if let shape, shape.count == 3, let h = shape[0], let w = shape[1], h != w {
            throw KerasGraphError.badConfig(file: file.path, detail: "the model takes \(h)x\(w) images; CAMKit feeds square inputs")
        }
        let network = try GraphNetwork(nodes: builder.nodes, output: output, groups: builder.groups, probeSize: size, headless: headless)
        network.architecture = GraphArchitecture(kerasMajor: kerasMajor, config: config.raw)
        network.sourcePaths = builder.sourcePaths
        network.eval()
        // A model that scales its own input (Rescaling / Normalization first) gets raw pixels; any
        // other is taken to be the tutorial's (inputs / 255).
        let first = builder.nodes.dropFirst().first { !($0.op is NoiseOp) }?.op
        let preprocessing: Preprocessing = first is RescalingOp || first is NormalizationOp ? .raw : .seed
        return LoadedModel(
            model: network,
            info: ModelInfo(classes: network.classes, preprocessing: preprocessing, inputSize: size, graph: network.architecture),
            source: file)
    }

    /// `batch_input_shape` of a Sequential model's first layer, or its `build_input_shape` (no InputLayer).
    private static func firstLayerInputShape(_ config: KerasModelConfig) -> [Int?]? {
        let dims =
            config.layers.first?.config["batch_input_shape"]?.arrayValue ?? config.raw["config"]?["build_input_shape"]?.arrayValue
        return dims.map { $0.dropFirst().map(\.intValue) }
    }
}

/// Weights from a whole-model `.h5` file, by layer name (nested models' layers by their inner names).
struct H5WeightSource: KerasWeightSource {
    let weights: KerasWeights

    func weights(layer name: String, className: String, config: KerasJSON, path: [String]) throws -> KerasLayerWeights {
        let layer = try weights.weights(forLayer: name)
        var out: KerasLayerWeights = [:]
        for w in layer.weights where out[w.name] == nil { out[w.name] = w.value }
        return out
    }
}
