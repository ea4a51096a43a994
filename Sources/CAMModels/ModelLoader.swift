import Foundation
import Torch

/// A model ready to use, with what it needs to prepare inputs.
public struct LoadedModel {
    public let model: any Network
    public var info: ModelInfo
    /// The file it came from.
    public let source: URL
}

/// Opens the model files users have: CAMKit checkpoints, torchvision state dicts (safetensors)
/// and Keras `.h5` and `.keras` files.
public enum ModelLoader {
    /// Loads `url`. `arch` and `classes` are needed only where the file does not say
    /// (they are inferred for torchvision ResNets); `preprocessing` overrides the file's.
    public static func load(
        _ url: URL, arch: String? = nil, classes: Int? = nil, preprocessing: Preprocessing? = nil
    ) throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.incompatibleWeights(file: url.path, reason: "no such file")
        }
        var loaded: LoadedModel
        let ext = url.pathExtension.lowercased()
        switch ext {
        case _ where ["h5", "hdf5", "keras"].contains(ext) && KerasArchive.isZip(url):
            let refusal = ModelError.incompatibleWeights(
                file: url.path, reason: "a .keras archive holds its own architecture and head; drop --arch / --classes")
            if arch != nil { throw refusal }
            loaded = try KerasArchive.load(url)
            if let classes, classes != loaded.model.classes { throw refusal }
        case "h5", "hdf5", "keras":
            loaded = try KerasImport.load(url, arch: arch, classes: classes)
        default:
            loaded = try loadSafetensors(url, arch: arch, classes: classes)
        }
        if let preprocessing { loaded.info.preprocessing = preprocessing }
        return loaded
    }

    private static func loadSafetensors(_ url: URL, arch: String?, classes: Int?) throws -> LoadedModel {
        let file = try SafeTensors.read(contentsOf: url)
        if Checkpoint.isCheckpoint(file.metadata) {
            let checkpoint = try Checkpoint(file: file, source: url.path)
            return LoadedModel(model: try checkpoint.makeModel(source: url.path), info: checkpoint.info, source: url)
        }
        var spec = try TorchvisionImport.inferSpec(file.tensors, file: url.path)
        if let arch {
            spec = try ResNetSpec.named(arch, classes: classes ?? spec.classes)
        }
        let model = try TorchvisionImport.model(from: file.tensors, spec: spec, file: url.path)
        return LoadedModel(model: model, info: ModelInfo(spec: spec, preprocessing: .imagenet, inputSize: 224), source: url)
    }
}
