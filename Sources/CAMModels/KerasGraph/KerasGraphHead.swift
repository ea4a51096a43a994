import CAMFormats
import Foundation
import Torch

extension KerasGraphImport {
    /// `network` with a classifier of `classes` outputs, for fine-tuning: unchanged when its head
    /// already has that many; else its output dense layer resized, or — for a backbone without a
    /// head — a `GlobalAveragePooling2D` + `Dense(classes, softmax)` added after a feature-map output
    /// (a `Dense` alone after a pooled one), as the tutorial builds its `cam_model`. New dense
    /// weights start as Keras starts them (Glorot-uniform kernel, zero bias), from libtorch's
    /// generator. The result's architecture is a real Keras config with the new layers.
    ///
    /// - Parameter file: the model's file, named in errors.
    public static func withClassifier(_ network: GraphNetwork, classes: Int, file: URL) throws -> GraphNetwork {
        func refuse(_ detail: String) -> KerasGraphError {
            .badConfig(file: file.path, detail: "cannot give the model \(classes) classes: \(detail)")
        }
        guard classes > 0 else { throw refuse("the class count must be positive") }
        guard var architecture = network.architecture else { throw refuse("it was not built from a Keras configuration") }
        if network.classes == classes && network.camHead != nil { return network }
        var state = try network.kerasState()
        let nodes = network.nodes
        let logits = network.logitsSource == .softmaxInput ? nodes[network.output].inputs[0] : network.output
        var edit = KerasConfigEdit(config: architecture.config, kerasMajor: architecture.kerasMajor, file: file.path)
        if let dense = nodes[logits].op as? DenseOp {
            // Resize the output dense layer in place.
            let path = network.sourcePaths[nodes[logits].layer] ?? nodes[logits].layer
            guard !path.contains("/") else { throw refuse("its output layer '\(path)' sits inside a nested model") }
            try edit.setUnits(layer: path, classes)
            state = state.filter { !$0.key.hasPrefix(path + "/") }
            try freshDense(into: &state, path: path, inputs: dense.weight.shape[1], classes: classes, bias: dense.bias != nil)
        } else {
            let shapes = try network.layerShapes(inputSize: network.probeSize)
            guard let shape = shapes.first(where: { $0.name == nodes[logits].name })?.shape else { throw refuse("its output has no shape") }
            switch shape.count {
            case 4:
                let dense = try edit.appendHead(pooling: true, classes: classes)
                try freshDense(into: &state, path: dense, inputs: shape[1], classes: classes, bias: true)
            case 2:
                let dense = try edit.appendHead(pooling: false, classes: classes)
                try freshDense(into: &state, path: dense, inputs: shape[1], classes: classes, bias: true)
            default:
                throw refuse("its output '\(nodes[logits].name)' has shape \(shape); a head goes after a feature map or a pooled vector")
            }
        }
        architecture.config = edit.config
        let rebuilt = try Self.network(architecture, state: state, file: file)
        rebuilt.optimizesEvalForward = network.optimizesEvalForward
        return rebuilt
    }

    /// A Glorot-uniform [inputs, classes] kernel and a zero bias under `path`.
    private static func freshDense(into state: inout [String: Tensor], path: String, inputs: Int, classes: Int, bias: Bool) throws {
        let limit = Foundation.sqrt(6.0 / Double(inputs + classes))
        state["\(path)/kernel"] = try Tensor.rand([inputs, classes]) * (2 * limit) - limit
        if bias { state["\(path)/bias"] = try Tensor.zeros([classes]) }
    }
}

/// Edits of a Keras model config: a layer's units, a classifier head appended to the outputs.
struct KerasConfigEdit {
    private(set) var config: KerasJSON
    let kerasMajor: Int
    let file: String

    init(config: KerasJSON, kerasMajor: Int, file: String) {
        self.config = config
        self.kerasMajor = kerasMajor
        self.file = file
    }

    private var isSequential: Bool { config["class_name"]?.stringValue == "Sequential" }

    private var layers: [KerasJSON] {
        get { config["config"]?["layers"]?.arrayValue ?? config["config"]?.arrayValue ?? [] }
        set {
            guard case .object(var outer) = config else { return }
            if case .object(var inner) = outer["config"] {
                inner["layers"] = .array(newValue)
                outer["config"] = .object(inner)
            } else {
                outer["config"] = .object(["layers": .array(newValue)])
            }
            config = .object(outer)
        }
    }

    private static func name(of layer: KerasJSON) -> String? { layer["name"]?.stringValue ?? layer["config"]?["name"]?.stringValue }

    /// Sets the `units` of the top-level layer `name`.
    mutating func setUnits(layer name: String, _ units: Int) throws {
        var all = layers
        guard let i = all.firstIndex(where: { Self.name(of: $0) == name }), case .object(var entry) = all[i],
            case .object(var layerConfig) = entry["config"]
        else { throw KerasGraphError.badConfig(file: file, detail: "no top-level layer '\(name)' to resize") }
        layerConfig["units"] = .number(Double(units))
        entry["config"] = .object(layerConfig)
        all[i] = .object(entry)
        layers = all
    }

    /// Appends (`GlobalAveragePooling2D` →) `Dense(classes, softmax)` after the model's output and
    /// makes it the output; returns the dense layer's name.
    mutating func appendHead(pooling: Bool, classes: Int) throws -> String {
        var all = layers
        var taken = Set(all.compactMap(Self.name))
        func fresh(_ base: String) -> String {
            var candidate = base, k = 1
            while taken.contains(candidate) {
                candidate = "\(base)_\(k)"
                k += 1
            }
            taken.insert(candidate)
            return candidate
        }
        var previous: KerasGraphBuilder.TensorRef
        if isSequential {
            guard let last = all.last.flatMap(Self.name) else { throw KerasGraphError.badConfig(file: file, detail: "the model has no layers") }
            previous = .init(layer: last, node: 0, tensor: 0)
        } else {
            let outputs = KerasGraphBuilder.tensorRefs(config["config"]?["output_layers"])
            guard outputs.count == 1 else {
                throw KerasGraphError.badConfig(file: file, detail: "the model has \(outputs.count) outputs; a head goes after one")
            }
            previous = outputs[0]
        }
        var appended: [(String, String, [String: KerasJSON])] = []
        if pooling {
            appended.append(("GlobalAveragePooling2D", fresh("global_average_pooling2d"), ["data_format": "channels_last", "keepdims": false]))
        }
        let dense = fresh("dense")
        appended.append(("Dense", dense, ["units": .number(Double(classes)), "activation": "softmax", "use_bias": true]))
        for (className, name, settings) in appended {
            var layerConfig = settings
            layerConfig["name"] = .string(name)
            layerConfig["trainable"] = true
            var entry: [String: KerasJSON] = ["class_name": .string(className), "name": .string(name), "config": .object(layerConfig)]
            if !isSequential { entry["inbound_nodes"] = .array([inbound(previous)]) }
            all.append(.object(entry))
            previous = .init(layer: name, node: 0, tensor: 0)
        }
        layers = all
        if !isSequential, case .object(var outer) = config, case .object(var inner) = outer["config"] {
            inner["output_layers"] = .array([.array([.string(dense), 0, 0])])
            outer["config"] = .object(inner)
            config = .object(outer)
        }
        return dense
    }

    /// One call's inbound node taking `ref`, in this Keras generation's format.
    private func inbound(_ ref: KerasGraphBuilder.TensorRef) -> KerasJSON {
        let history: KerasJSON = .array([.string(ref.layer), .number(Double(ref.node)), .number(Double(ref.tensor))])
        if kerasMajor >= 3 {
            let tensor: KerasJSON = ["class_name": "__keras_tensor__", "config": ["keras_history": history]]
            return ["args": .array([tensor]), "kwargs": .object([:])]
        }
        return .array([.array([.string(ref.layer), .number(Double(ref.node)), .number(Double(ref.tensor)), .object([:])])])
    }
}
