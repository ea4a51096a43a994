import CAMCore
import Foundation
import Torch
import CAMImaging

/// What a model needs besides its weights: architecture, classes and input handling.
public struct ModelInfo: Codable, Sendable, Equatable {
    /// The ResNet architecture; nil for graph networks (Keras models), which are rebuilt from their file.
    public var spec: ResNetSpec?
    public var classNames: [String]
    public var preprocessing: Preprocessing
    public var inputSize: Int
    /// A graph network's architecture (nil for ResNets).
    public var graph: GraphArchitecture?

    public init(spec: ResNetSpec, classNames: [String]? = nil, preprocessing: Preprocessing, inputSize: Int) {
        self.spec = spec
        self.classNames = classNames ?? (0..<spec.classes).map { "class_\($0)" }
        self.preprocessing = preprocessing
        self.inputSize = inputSize
    }

    /// A graph network's info: `classes` outputs named `class_<i>` unless `classNames` are given.
    public init(
        classes: Int, classNames: [String]? = nil, preprocessing: Preprocessing, inputSize: Int, graph: GraphArchitecture? = nil
    ) {
        self.spec = nil
        self.graph = graph
        self.classNames = classNames ?? (0..<classes).map { "class_\($0)" }
        self.preprocessing = preprocessing
        self.inputSize = inputSize
    }

    /// The ResNet spec, or an error naming `file` when the info describes another network.
    public func resnetSpec(file: String) throws -> ResNetSpec {
        guard let spec else { throw ModelError.incompatibleWeights(file: file, reason: "it does not describe a ResNet") }
        return spec
    }

    /// Throws `incompatibleWeights` naming `file` when the info declares more than CAMKit builds
    /// (docs/LIMITS.md): an input side outside 1...`Limits.maxInputSize`, more than
    /// `Limits.maxClasses` class names, or a ResNet outside `ResNetSpec.validate()`'s bounds.
    public func validate(file: String) throws {
        func refuse(_ why: String) -> ModelError { .incompatibleWeights(file: file, reason: "camkit.info: \(why)") }
        guard (1...Limits.maxInputSize).contains(inputSize) else {
            throw refuse("input size \(inputSize) is outside 1...\(Limits.maxInputSize)")
        }
        guard classNames.count <= Limits.maxClasses else {
            throw refuse("\(classNames.count) class names; at most \(Limits.maxClasses) classes")
        }
        do { try spec?.validate() } catch ModelError.invalidSpec(let why) { throw refuse(why) }
    }

    /// `images` resized to `inputSize` and preprocessed, as one NCHW batch: the network's input.
    public func batch(_ images: some Collection<Image>) throws -> Tensor {
        try Tensor.stack(images.map { try preprocessing.apply(pixels: $0.tensor(), size: inputSize) })
    }
}

/// A CAMKit checkpoint: one safetensors file holding the model (`model.*`), optionally the
/// optimizer state (`optimizer.*`) and the generator state (`rng.torch`), with the model info and
/// training progress in the metadata (`camkit.*` keys).
public struct Checkpoint {
    public static let formatTag = "camkit-checkpoint/1"

    public var info: ModelInfo
    public var modelState: [String: Tensor]
    public var optimizerState: [String: Tensor] = [:]
    public var rngState: [UInt8]?
    /// Free-form training progress (epoch, step, ...), stored as metadata strings.
    public var progress: [String: String] = [:]

    public init(
        info: ModelInfo, modelState: [String: Tensor], optimizerState: [String: Tensor] = [:],
        rngState: [UInt8]? = nil, progress: [String: String] = [:]
    ) {
        self.info = info
        self.modelState = modelState
        self.optimizerState = optimizerState
        self.rngState = rngState
        self.progress = progress
    }

    /// Whether a safetensors metadata map marks a CAMKit checkpoint.
    public static func isCheckpoint(_ metadata: [String: String]) -> Bool { metadata["camkit.format"] == formatTag }

    /// Writes atomically (temporary file + rename): an interrupted write leaves the old file intact.
    public func write(to url: URL) throws {
        var tensors: [(String, Tensor)] = modelState.map { ("model.\($0.key)", $0.value) }
        tensors += optimizerState.map { ("optimizer.\($0.key)", $0.value) }
        if let rngState { tensors.append(("rng.torch", try Tensor(rngState, shape: [rngState.count]))) }
        var metadata = [
            "camkit.format": Self.formatTag,
            "camkit.info": String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        ]
        for (k, v) in progress { metadata["camkit.progress.\(k)"] = v }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a checkpoint written by `write(to:)`.
    public static func read(from url: URL) throws -> Checkpoint {
        let file = try SafeTensors.read(contentsOf: url)
        return try Checkpoint(file: file, source: url.path)
    }

    package init(file: SafeTensorsFile, source: String) throws {
        guard Self.isCheckpoint(file.metadata), let infoJSON = file.metadata["camkit.info"] else {
            throw ModelError.incompatibleWeights(file: source, reason: "not a CAMKit checkpoint (no camkit.format metadata)")
        }
        modelState = [:]
        do {
            info = try JSONDecoder().decode(ModelInfo.self, from: Data(infoJSON.utf8))
        } catch {
            throw ModelError.incompatibleWeights(file: source, reason: "unreadable camkit.info metadata: \(error)")
        }
        try info.validate(file: source)
        for (key, t) in file.tensors {
            if key.hasPrefix("model.") {
                modelState[String(key.dropFirst(6))] = t
            } else if key.hasPrefix("optimizer.") {
                optimizerState[String(key.dropFirst(10))] = t
            } else if key == "rng.torch" {
                rngState = try t.scalars(as: UInt8.self)
            }
        }
        for (k, v) in file.metadata where k.hasPrefix("camkit.progress.") {
            progress[String(k.dropFirst("camkit.progress.".count))] = v
        }
    }

    /// What a checkpoint stores for `model`: a ResNet's state dict, or a graph network's weights
    /// in Keras' names and layout (`GraphNetwork.kerasState()`), which `makeModel` rebuilds it from.
    public static func modelState(of model: any Network) throws -> [String: Tensor] {
        if let graph = model as? GraphNetwork { return try graph.kerasState() }
        return Dictionary(model.stateDict(), uniquingKeysWith: { a, _ in a })
    }

    /// The model with these weights, in eval mode: a ResNet from `info.spec`, or a graph network
    /// rebuilt from `info.graph`. `source` names the file in errors.
    public func makeModel(source: String = "checkpoint") throws -> any Network {
        let url = URL(fileURLWithPath: source)
        if let graph = info.graph { return try KerasGraphImport.network(graph, state: modelState, file: url) }
        let model = try ResNet(info.resnetSpec(file: source))
        try model.loadStateDict(modelState, source: source)
        model.eval()
        return model
    }

    /// Copies these weights into `model`, which has this checkpoint's architecture (a run resuming).
    public func restore(into model: any Network, source: String) throws {
        guard info.graph != nil else { return try model.loadStateDict(modelState, source: source) }
        let rebuilt = try makeModel(source: source)
        try model.loadStateDict(Dictionary(rebuilt.stateDict(), uniquingKeysWith: { a, _ in a }), source: source)
    }
}
