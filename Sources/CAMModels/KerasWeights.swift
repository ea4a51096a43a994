import CAMCore
import Foundation
import Torch
import CAMFormats

// Keras `.h5` files, as written by Keras itself (checked against files made by tf_keras 2.21 and
// keras 3.15 through tools/make_keras_fixtures.py):
//
// Whole model, `model.save("x.h5")` (Keras 2 and Keras 3's legacy h5 writer share the layout):
//   /                      @keras_version, @backend, @model_config (JSON), @training_config (JSON, if compiled)
//   /model_weights         @layer_names (one per layer, model order), @keras_version, @backend
//   /model_weights/<layer> @weight_names (empty float64 array for layers without weights)
//   /model_weights/<layer>/<weight name>   one dataset per weight; the weight name contains a "/",
//                          so it is a subgroup plus a dataset: conv1_conv/conv1_conv/kernel:0
//   /optimizer_weights     optimizer state (ignored here)
//   Keras 2 names weights "<layer>/kernel:0"; Keras 3 "<layer>/kernel" (no ":0"); the input layer
//   is "input_1" in Keras 2 and "input_layer" in Keras 3.
//
// Weights only, Keras 2 `save_weights("x.h5")` and Keras' ImageNet files
// (resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5): the /model_weights content at the root
//   /                      @layer_names, @keras_version, @backend
//   /<layer>               @weight_names, and the datasets as above.
//
// A nested model layer (Sequential([ResNet50(...), Dense])) is one group whose weight_names carry
// the inner layers' names: /model_weights/resnet50/conv1_conv/kernel:0. Its trainable weights
// come first, then the non-trainable ones (BN moving statistics).
//
// Attribute encodings seen: h5py 3 writes variable-length UTF-8 strings; h5py 2 (Keras 2.2-era
// files) wrote fixed-length NUL-padded byte strings. A list longer than HDF5's 64 KiB header limit is
// split by Keras into numbered attributes: layer_names0, layer_names1, ...
//
// Values stay in Keras' layout: conv kernels HWIO [kh, kw, in, out], dense kernels [in, out],
// BatchNormalization gamma/beta/moving_mean/moving_variance [C], biases [C].

/// A failure reading Keras weights, naming the file and, where it applies, the layer and weight.
public enum KerasWeightsError: Error, CustomStringConvertible, Sendable, Equatable {
    case fileNotFound(file: String)
    /// Not an HDF5 file at all.
    case notHDF5(file: String)
    /// An HDF5 file cut short.
    case truncated(file: String, detail: String)
    /// HDF5 could not open or read it.
    case unreadable(file: String, detail: String)
    /// An HDF5 file, but not one of the Keras layouts this reader knows.
    case notKerasWeights(file: String, detail: String)
    /// `model_config` is present but not what Keras writes.
    case badModelConfig(file: String, detail: String)
    /// No layer of that name; `suggestions` are the closest names in the file.
    case missingLayer(file: String, layer: String, suggestions: [String])
    /// The layer has no such weight.
    case missingWeight(file: String, layer: String, weight: String, available: [String])
    /// A weight's shape is not the one the model needs. Shapes are Keras' own layout;
    /// `note` adds the converted layout where one applies.
    case shapeMismatch(file: String, layer: String, weight: String, expected: [Int], found: [Int], note: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .notHDF5(let file):
            return "\(file): not an HDF5 file; expected Keras weights saved as .h5 (model.save('x.h5') or model.save_weights('x.h5'))"
        case .truncated(let file, let detail):
            return "\(file): the file is truncated (interrupted download or copy?); get it again. HDF5 says: \(detail)"
        case .unreadable(let file, let detail):
            return "\(file): cannot read: \(detail)"
        case .notKerasWeights(let file, let detail):
            return "\(file): not a Keras .h5 weights file: \(detail)"
        case .badModelConfig(let file, let detail):
            return "\(file): model_config: \(detail)"
        case .missingLayer(let file, let layer, let suggestions):
            let hint = suggestions.isEmpty ? "" : "; closest: \(suggestions.joined(separator: ", "))"
            return "\(file): no layer '\(layer)'\(hint)"
        case .missingWeight(let file, let layer, let weight, let available):
            let have = available.isEmpty ? "it has no weights" : "it has \(available.joined(separator: ", "))"
            return "\(file): layer '\(layer)' has no weight '\(weight)' (\(have))"
        case .shapeMismatch(let file, let layer, let weight, let expected, let found, let note):
            let prefix = file.isEmpty ? "" : "\(file): "
            let what = layer.isEmpty ? weight : "layer '\(layer)' weight '\(weight)'"
            return "\(prefix)\(what): expected shape \(expected), found \(found)\(note.isEmpty ? "" : " (\(note))")"
        }
    }

    init(_ error: HDF5Error) {
        switch error {
        case .fileNotFound(let file): self = .fileNotFound(file: file)
        case .notHDF5(let file): self = .notHDF5(file: file)
        case .truncated(let file, let detail): self = .truncated(file: file, detail: detail)
        case .cannotOpen(let file, let detail): self = .unreadable(file: file, detail: detail)
        case .missingObject(let file, _), .wrongObjectKind(let file, _, _, _), .missingAttribute(let file, _, _),
            .unsupportedType(let file, _, _), .readFailed(let file, _, _), .closed(let file):
            self = .unreadable(file: file, detail: error.description)
        }
    }
}

/// One weight of a layer, in Keras' layout.
public struct KerasWeight: Sendable {
    /// The short name: `kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`, ...
    public let name: String
    /// The name Keras stored: `conv1_conv/kernel:0` (Keras 2), `conv1_conv/kernel` (Keras 3).
    public let kerasName: String
    /// The values, raw Keras layout.
    public let value: Tensor

    public var shape: [Int] { value.shape }

    /// The short name of a stored weight name: the last path component without `:N`.
    public static func shortName(_ kerasName: String) -> String {
        let last = kerasName.split(separator: "/").last.map(String.init) ?? kerasName
        if let colon = last.lastIndex(of: ":"), last[last.index(after: colon)...].allSatisfy(\.isNumber) {
            return String(last[..<colon])
        }
        return last
    }

    /// The layer a stored weight name belongs to (the component before the short name), if any.
    public static func ownerName(_ kerasName: String) -> String? {
        let parts = kerasName.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : nil
    }
}

/// BatchNormalization parameters of one layer (Keras layout, all [C]).
public struct KerasBatchNorm: Sendable {
    /// nil when the layer was built with `scale=False`.
    public let gamma: Tensor?
    /// nil when the layer was built with `center=False`.
    public let beta: Tensor?
    public let movingMean: Tensor
    public let movingVariance: Tensor
    /// From the layer's config when the file has one (ResNet: 1.001e-5).
    public let epsilon: Double?
}

/// A layer of a Keras file: its name, class and config (when the file has a model_config) and its
/// weights in the order Keras stored them.
public struct KerasLayer: Sendable {
    /// The file, for error messages.
    public let file: String
    public let name: String
    /// `Conv2D`, `BatchNormalization`, `Dense`, ...; nil for weights-only files.
    public let className: String?
    /// The layer's `config` object from model_config; nil for weights-only files.
    public let config: KerasJSON?
    public let weights: [KerasWeight]

    public init(file: String, name: String, className: String?, config: KerasJSON?, weights: [KerasWeight]) {
        self.file = file
        self.name = name
        self.className = className
        self.config = config
        self.weights = weights
    }

    /// Short names of the weights, in stored order.
    public var weightNames: [String] { weights.map(\.name) }
    public var hasWeights: Bool { !weights.isEmpty }

    /// The weight with short name (`"kernel"`) or stored name (`"conv1_conv/kernel:0"`).
    public func weight(_ name: String) throws -> KerasWeight {
        if let w = weights.first(where: { $0.name == name || $0.kerasName == name }) { return w }
        throw KerasWeightsError.missingWeight(file: file, layer: self.name, weight: name, available: weightNames)
    }

    /// Whether the layer has a weight with this short or stored name.
    public func hasWeight(_ name: String) -> Bool { weights.contains { $0.name == name || $0.kerasName == name } }

    /// A weight's values in Keras' layout, checked against `expectedShape` when given.
    public func tensor(_ name: String, expectedShape: [Int]? = nil) throws -> Tensor {
        let w = try weight(name)
        if let expectedShape, w.shape != expectedShape {
            throw KerasWeightsError.shapeMismatch(
                file: file, layer: self.name, weight: name,
                expected: expectedShape, found: w.shape, note: "")
        }
        return w.value
    }

    /// The conv kernel converted to OIHW (`[out, in, kh, kw]`, contiguous), checked against
    /// `expectedOIHW` when given. Errors give both layouts.
    public func convKernelOIHW(expectedOIHW: [Int]? = nil) throws -> Tensor {
        let w = try kernel(
            rank: 4, expected: expectedOIHW.flatMap { $0.count == 4 ? KerasConversion.hwioShape(fromOIHW: $0) : nil },
            note: expectedOIHW.map { "Keras conv kernels are HWIO; OIHW \($0)" } ?? "a conv kernel is 4-D HWIO")
        return try KerasConversion.convKernelToOIHW(w.value)
    }

    /// The dense kernel transposed to `[out, in]` (contiguous), checked against `expectedOutIn`.
    public func denseKernelOutIn(expectedOutIn: [Int]? = nil) throws -> Tensor {
        let w = try kernel(
            rank: 2, expected: expectedOutIn.flatMap { $0.count == 2 ? [$0[1], $0[0]] : nil },
            note: expectedOutIn.map { "Keras dense kernels are [in, out]; [out, in] \($0)" } ?? "a dense kernel is 2-D [in, out]")
        return try KerasConversion.denseKernelToOutIn(w.value)
    }

    /// The `kernel` weight, checked to have `rank` dimensions and, when given, the Keras-layout
    /// shape `expected`; `note` explains the layouts in the error.
    private func kernel(rank: Int, expected: [Int]?, note: String) throws -> KerasWeight {
        let w = try weight("kernel")
        if w.shape.count != rank || (expected != nil && w.shape != expected!) {
            throw KerasWeightsError.shapeMismatch(file: file, layer: name, weight: "kernel", expected: expected ?? [], found: w.shape, note: note)
        }
        return w
    }

    /// BatchNormalization parameters, each checked to have `channels` elements when given.
    public func batchNorm(channels: Int? = nil) throws -> KerasBatchNorm {
        func get(_ n: String, optional: Bool) throws -> Tensor? {
            if optional && !hasWeight(n) { return nil }
            return try tensor(n, expectedShape: channels.map { [$0] })
        }
        return KerasBatchNorm(
            gamma: try get("gamma", optional: true), beta: try get("beta", optional: true),
            movingMean: try get("moving_mean", optional: false)!,
            movingVariance: try get("moving_variance", optional: false)!,
            epsilon: config?["epsilon"]?.numberValue)
    }
}

/// Keras-layout to PyTorch-layout conversions.
public enum KerasConversion {
    /// HWIO `[kh, kw, in, out]` to OIHW `[out, in, kh, kw]`, contiguous.
    public static func convKernelToOIHW(_ hwio: Tensor) throws -> Tensor {
        try checkRank(hwio, 4, weight: "conv kernel", note: "a conv kernel is 4-D HWIO")
        return try hwio.permute([3, 2, 0, 1]).contiguous()
    }

    /// Dense `[in, out]` to `[out, in]`, contiguous.
    public static func denseKernelToOutIn(_ kernel: Tensor) throws -> Tensor {
        try checkRank(kernel, 2, weight: "dense kernel", note: "a dense kernel is 2-D [in, out]")
        return try kernel.transposed(0, 1).contiguous()
    }

    private static func checkRank(_ t: Tensor, _ rank: Int, weight: String, note: String) throws {
        guard t.shape.count == rank else {
            throw KerasWeightsError.shapeMismatch(file: "", layer: "", weight: weight, expected: [], found: t.shape, note: note)
        }
    }

    /// OIHW `[o, i, h, w]` as Keras' HWIO `[h, w, i, o]`.
    public static func hwioShape(fromOIHW s: [Int]) -> [Int] { [s[2], s[3], s[1], s[0]] }
}

/// A layer's entry in model_config.
public struct KerasLayerConfig: Sendable {
    public let name: String
    public let className: String
    /// The layer's `config` object.
    public let config: KerasJSON
    /// The layers of a nested model (Functional / Sequential / Model), else empty.
    public let layers: [KerasLayerConfig]

    /// `units` of a Dense layer.
    public var units: Int? { config["units"]?.intValue }
    /// The activation's name (`softmax`, `relu`, `linear`, ...), for layers that have one.
    public var activation: String? { KerasModelConfig.activationName(config["activation"]) }
    /// This layer and, depth first, all layers nested in it.
    public var flattened: [KerasLayerConfig] { [self] + layers.flatMap(\.flattened) }
}

/// The classification head: the last Dense layer and the activation applied to it.
public struct KerasDenseHead: Sendable, Equatable {
    public let layerName: String
    /// Number of classes.
    public let units: Int
    /// `softmax`, `linear`, `sigmoid`...; nil when unknown (weights-only files).
    public let activation: String?
    public let useBias: Bool

    public init(layerName: String, units: Int, activation: String?, useBias: Bool) {
        self.layerName = layerName
        self.units = units
        self.activation = activation
        self.useBias = useBias
    }
}

/// The parsed `model_config` attribute.
public struct KerasModelConfig: Sendable {
    /// `Functional`, `Sequential`, `Model`, ...
    public let className: String
    public let name: String?
    /// Top-level layers in config order.
    public let layers: [KerasLayerConfig]
    /// The whole attribute.
    public let raw: KerasJSON

    /// Parses model_config JSON text (Keras 2 or Keras 3 legacy h5).
    public init(json text: String, file: String) throws {
        let raw: KerasJSON
        do { raw = try KerasJSON.parse(text) } catch {
            throw KerasWeightsError.badModelConfig(file: file, detail: "\(error)")
        }
        try self.init(raw: raw, file: file)
    }

    public init(raw: KerasJSON, file: String) throws {
        guard let className = raw["class_name"]?.stringValue else {
            throw KerasWeightsError.badModelConfig(file: file, detail: "no class_name")
        }
        self.raw = raw
        self.className = className
        self.name = raw["config"]?["name"]?.stringValue
        self.layers = try KerasModelConfig.layerList(raw["config"], file: file)
    }

    private static func layerList(_ config: KerasJSON?, file: String) throws -> [KerasLayerConfig] {
        // Functional / Sequential: {"layers": [...]}; Keras 2.0-era Sequential: the list itself.
        guard let list = config?["layers"]?.arrayValue ?? config?.arrayValue else { return [] }
        return try list.map { try layer($0, file: file) }
    }

    private static func layer(_ entry: KerasJSON, file: String) throws -> KerasLayerConfig {
        guard let className = entry["class_name"]?.stringValue else {
            throw KerasWeightsError.badModelConfig(file: file, detail: "a layer without class_name: \(entry)")
        }
        let config = entry["config"] ?? .object([:])
        guard let name = entry["name"]?.stringValue ?? config["name"]?.stringValue else {
            throw KerasWeightsError.badModelConfig(file: file, detail: "a \(className) layer without a name")
        }
        return KerasLayerConfig(
            name: name, className: className, config: config,
            layers: try layerList(config, file: file))
    }

    /// Every layer, nested ones included, depth first.
    public var allLayers: [KerasLayerConfig] { layers.flatMap(\.flattened) }

    /// The layer called `name`, searching nested models too.
    public func layer(named name: String) -> KerasLayerConfig? { allLayers.first { $0.name == name } }

    /// Names of the model's output layers (Functional), or the last layer (Sequential).
    public var outputLayerNames: [String] {
        if let outputs = raw["config"]?["output_layers"]?.arrayValue {
            // Keras 2: [["dense", 0, 0]]; Keras 3 with one output: ["dense", 0, 0].
            if let first = outputs.first?.stringValue { return [first] }
            return outputs.compactMap { $0[0]?.stringValue }
        }
        return layers.last.map { [$0.name] } ?? []
    }

    /// The input shape without the batch dimension (nil entries: any size), from the first InputLayer.
    public var inputShape: [Int?]? {
        guard let input = allLayers.first(where: { $0.className == "InputLayer" }) else { return nil }
        guard let dims = (input.config["batch_input_shape"] ?? input.config["batch_shape"])?.arrayValue else { return nil }
        return dims.dropFirst().map { $0.intValue }
    }

    /// The last Dense layer, with the activation applied to its output: its own, or a later
    /// `Activation`/`Softmax` layer's when its own is linear.
    public var denseHead: KerasDenseHead? {
        let all = allLayers
        guard let index = all.lastIndex(where: { $0.className == "Dense" }), let units = all[index].units else { return nil }
        let dense = all[index]
        var activation = dense.activation ?? "linear"
        if activation == "linear" {
            for later in all[(index + 1)...] {
                if later.className == "Softmax" { activation = "softmax"; break }
                if later.className == "Activation", let a = later.activation { activation = a; break }
            }
        }
        return KerasDenseHead(
            layerName: dense.name, units: units, activation: activation,
            useBias: dense.config["use_bias"]?.boolValue ?? true)
    }

    static func activationName(_ value: KerasJSON?) -> String? {
        guard let value else { return nil }
        if let s = value.stringValue { return s }
        // Serialized activation objects: {"class_name": "...", "config": "softmax"} or {"class_name": "Softmax", ...}.
        if let s = value["config"]?.stringValue { return s }
        if let s = value["config"]?["name"]?.stringValue { return s }
        return value["class_name"]?.stringValue?.lowercased()
    }
}

/// The weights (and, for whole-model files, the model config) of a Keras `.h5` file.
///
/// Reads the three layouts Keras writes (see the notes at the top of this file): Keras 2 whole
/// models (`model.save('x.h5')`, the tutorial's `cam_model.h5`), Keras 3 legacy-h5 whole models, and
/// weights-only files (`save_weights('x.h5')`, Keras' ImageNet `..._notop.h5`). All weights are read
/// when the file is opened; the file is closed before the initializer returns.
public struct KerasWeights: Sendable {
    public enum Layout: String, Sendable, Equatable {
        /// Keras 2 `model.save('x.h5')`.
        case keras2Model = "Keras 2 whole model"
        /// Keras 3 `model.save('x.h5')` (Keras 3's legacy h5 writer).
        case keras3LegacyModel = "Keras 3 legacy h5 model"
        /// `save_weights('x.h5')` and Keras' published weight files.
        case weightsOnly = "weights only"
    }

    public let url: URL
    public let layout: Layout
    /// `keras_version` attribute (`2.21.0`, `3.15.1`, `2.2.4`...), when present.
    public let kerasVersion: String?
    /// `backend` attribute, when present.
    public let backend: String?
    /// Parsed `model_config` (whole-model files).
    public let modelConfig: KerasModelConfig?
    /// Parsed `training_config` (whole-model files of compiled models).
    public let trainingConfig: KerasJSON?
    /// Top-level layers in `layer_names` order (the order Keras loads weights by), weightless ones included.
    public let layers: [KerasLayer]

    /// `url.path`.
    public var file: String { url.path }

    /// Reads a Keras `.h5` file.
    ///
    /// - Throws: `KerasWeightsError`: `.fileNotFound`, `.notHDF5`, `.truncated`, `.unreadable`,
    ///   `.notKerasWeights`, `.badModelConfig`.
    public init(contentsOf url: URL) throws {
        self.url = url
        let file = url.path
        do {
            let h5 = try HDF5File(readingFrom: url)
            defer { h5.close() }
            let root = h5.root

            let weightsGroup: HDF5Group
            if root.contains("model_weights"), KerasWeights.hasList(root.path(of: "model_weights"), "layer_names", h5) {
                weightsGroup = try root.group("model_weights")
            } else if KerasWeights.hasList("/", "layer_names", h5) {
                weightsGroup = root
            } else if root.contains("layers") || root.contains("vars") {
                throw KerasWeightsError.notKerasWeights(
                    file: file,
                    detail: "this is Keras 3's native .weights.h5 format (layers/<name>/vars/<i>), which is not supported; "
                        + "save with model.save('x.h5') or load it in Keras and save_weights to a legacy .h5")
            } else {
                throw KerasWeightsError.notKerasWeights(
                    file: file, detail: "no 'layer_names' attribute at the root or in /model_weights")
            }

            let version = KerasWeights.stringAttribute(root, "keras_version") ?? KerasWeights.stringAttribute(weightsGroup, "keras_version")
            kerasVersion = version
            backend = KerasWeights.stringAttribute(root, "backend") ?? KerasWeights.stringAttribute(weightsGroup, "backend")
            if weightsGroup.path == "/" {
                layout = .weightsOnly
            } else {
                layout = (version?.hasPrefix("3.") ?? false) ? .keras3LegacyModel : .keras2Model
            }

            if let text = KerasWeights.stringAttribute(root, "model_config") {
                modelConfig = try KerasModelConfig(json: text, file: file)
            } else {
                modelConfig = nil
            }
            trainingConfig = KerasWeights.stringAttribute(root, "training_config").flatMap { try? KerasJSON.parse($0) }

            let names = try KerasWeights.readList(weightsGroup.path, "layer_names", h5) ?? []
            let configs = modelConfig?.allLayers ?? []
            var layers: [KerasLayer] = []
            layers.reserveCapacity(names.count)
            for name in names {
                guard weightsGroup.contains(name) else {
                    throw KerasWeightsError.notKerasWeights(
                        file: file, detail: "layer_names lists '\(name)' but \(weightsGroup.path(of: name)) does not exist")
                }
                let group = try weightsGroup.group(name)
                let weightNames = try KerasWeights.readList(group.path, "weight_names", h5) ?? []
                var weights: [KerasWeight] = []
                for weightName in weightNames {
                    guard group.contains(weightName) else {
                        throw KerasWeightsError.notKerasWeights(
                            file: file, detail: "layer '\(name)' lists weight '\(weightName)' but \(group.path(of: weightName)) does not exist")
                    }
                    weights.append(
                        KerasWeight(
                            name: KerasWeight.shortName(weightName), kerasName: weightName,
                            value: try group.readTensor(weightName)))
                }
                let config = configs.first { $0.name == name }
                layers.append(
                    KerasLayer(
                        file: file, name: name, className: config?.className,
                        config: config?.config, weights: weights))
            }
            self.layers = layers
        } catch let error as HDF5Error {
            throw KerasWeightsError(error)
        } catch let error as KerasWeightsError {
            throw error
        } catch {
            throw KerasWeightsError.unreadable(file: file, detail: "\(error)")
        }
    }

    /// Names of the top-level layers, in file order.
    public var layerNames: [String] { layers.map(\.name) }

    /// Layers that hold weights, in file order (what Keras matches by position in `load_weights`).
    public var layersWithWeights: [KerasLayer] { layers.filter(\.hasWeights) }

    /// The layers with weights, nested models opened up: a top-level layer whose weights belong to
    /// several inner layers (`Sequential([ResNet50(...), Dense])` stores the whole ResNet as one
    /// layer) is replaced by one layer per inner layer, named as in the inner model.
    public var flattenedLayers: [KerasLayer] {
        var out: [KerasLayer] = []
        for layer in layers where layer.hasWeights {
            var owners: [String] = []
            var grouped: [String: [KerasWeight]] = [:]
            for w in layer.weights {
                let owner = KerasWeight.ownerName(w.kerasName) ?? layer.name
                if grouped[owner] == nil { owners.append(owner) }
                grouped[owner, default: []].append(w)
            }
            let isModel = ["Functional", "Sequential", "Model"].contains(layer.className ?? "")
            if owners.count <= 1 && !isModel {
                out.append(layer)
                continue
            }
            // Inner config order when the file has one; otherwise first appearance.
            let inner = modelConfig?.layer(named: layer.name)?.allInnerLayers ?? []
            let order = inner.map(\.name).filter { grouped[$0] != nil } + owners.filter { o in !inner.contains { $0.name == o } }
            for owner in order {
                let config = inner.first { $0.name == owner }
                out.append(
                    KerasLayer(
                        file: file, name: owner, className: config?.className,
                        config: config?.config, weights: grouped[owner] ?? []))
            }
        }
        return out
    }

    /// The layer called `name`: a top-level layer, or an inner layer of a nested model.
    ///
    /// - Throws: `KerasWeightsError.missingLayer` naming the file, the layer and the closest names.
    public func weights(forLayer name: String) throws -> KerasLayer {
        if let layer = layers.first(where: { $0.name == name }) { return layer }
        if let layer = flattenedLayers.first(where: { $0.name == name }) { return layer }
        let candidates = Set(layers.map(\.name) + flattenedLayers.map(\.name))
        throw KerasWeightsError.missingLayer(
            file: file, layer: name,
            suggestions: KerasWeights.closest(to: name, in: Array(candidates)))
    }

    /// The classification head from model_config; for weights-only files, the last layer whose
    /// kernel is 2-D (activation unknown).
    public var denseHead: KerasDenseHead? {
        if let modelConfig { return modelConfig.denseHead }
        guard let layer = flattenedLayers.last(where: { ($0.weights.first { $0.name == "kernel" }?.shape.count ?? 0) == 2 }),
            let kernel = try? layer.weight("kernel")
        else { return nil }
        return KerasDenseHead(layerName: layer.name, units: kernel.shape[1], activation: nil, useBias: layer.hasWeight("bias"))
    }

    /// Number of classes of the head (`denseHead?.units`).
    public var classCount: Int? { denseHead?.units }

    // MARK: helpers

    private static func stringAttribute(_ group: HDF5Group, _ name: String) -> String? {
        guard group.hasAttribute(name) else { return nil }
        return try? group.stringAttribute(name)
    }

    private static func hasList(_ path: String, _ name: String, _ h5: HDF5File) -> Bool {
        h5.hasAttribute(name, at: path) || h5.hasAttribute("\(name)0", at: path)
    }

    /// A string list attribute, or Keras' chunked form `name0`, `name1`, ... (nil if neither exists).
    private static func readList(_ path: String, _ name: String, _ h5: HDF5File) throws -> [String]? {
        func list(_ attribute: String) throws -> [String] {
            let value = try h5.attribute(attribute, at: path)
            guard let list = value.stringList else {
                throw HDF5Error.unsupportedType(
                    file: h5.filePath, path: "\(path) attribute '\(attribute)'",
                    detail: "expected a list of names, found \(value)")
            }
            return list
        }
        if h5.hasAttribute(name, at: path) { return try list(name) }
        var out: [String] = []
        var chunk = 0
        while h5.hasAttribute("\(name)\(chunk)", at: path) {
            out += try list("\(name)\(chunk)")
            chunk += 1
        }
        return chunk == 0 ? nil : out
    }

    /// Up to three names closest to `name` (edit distance), for "did you mean" hints.
    static func closest(to name: String, in candidates: [String]) -> [String] {
        let target = Array(name.lowercased())
        func distance(_ other: String) -> Int {
            let b = Array(other.lowercased())
            if target.isEmpty { return b.count }
            if b.isEmpty { return target.count }
            var previous = Array(0...b.count)
            for (i, ca) in target.enumerated() {
                var current = [i + 1] + Array(repeating: 0, count: b.count)
                for (j, cb) in b.enumerated() {
                    current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
                }
                previous = current
            }
            return previous[b.count]
        }
        let scored = candidates.map { ($0, distance($0)) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let limit = max(3, target.count / 2)
        return scored.filter { $0.1 <= limit }.prefix(3).map(\.0)
    }
}

extension KerasLayerConfig {
    /// All layers nested in this one (depth first), not including itself.
    var allInnerLayers: [KerasLayerConfig] { layers.flatMap(\.flattened) }
}

extension KerasWeightsError: UserFacingError {
    public var errorKind: ErrorKind {
        if case .fileNotFound = self { return .notFound }
        return .unprocessable
    }
    public var errorCode: String { "bad_keras_weights" }
}
