import CAMFormats
import Foundation
import Torch

/// Where the importer finds a layer's weights.
protocol KerasWeightSource {
    /// The weights of layer `name` (of class `className`, configured by `config`) inside the nested
    /// models `path`, outermost first.
    func weights(layer name: String, className: String, config: KerasJSON, path: [String]) throws -> KerasLayerWeights
}

/// Builds a `GraphNetwork` from a Keras `model_config`: Functional and Sequential models, nested
/// models inlined (their inner layers keep their names; the nested model's output is tapped under
/// its own name), shared layers (one op, a node per call: `name`, `name#1`, ...).
struct KerasGraphBuilder {
    let file: String
    let kerasMajor: Int
    let source: any KerasWeightSource

    private(set) var nodes: [GraphNode] = [GraphNode(name: "input", layer: "input", op: nil, inputs: [])]
    /// Nested model name → the ops' names inside it.
    private(set) var groups: [String: [String]] = [:]
    /// Op (child) name → the layer's path in the config (`nested/name`), where its weights are found.
    private(set) var sourcePaths: [String: String] = [:]
    private var used: Set<String> = []
    /// Ops by nesting path + layer name, with their child names (shared layers reuse them).
    private var ops: [String: (op: any GraphOp, name: String)] = [:]
    private var openGroups: [String] = []

    /// Layer classes that carry weights.
    static let weighted: Set<String> = [
        "Conv2D", "Convolution2D", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D", "Dense", "BatchNormalization",
        "LayerNormalization", "Normalization", "PReLU", "LayerScale"
    ]
    static let modelClasses: Set<String> = ["Functional", "Sequential", "Model"]

    init(file: String, kerasMajor: Int, source: any KerasWeightSource) {
        self.file = file
        self.kerasMajor = kerasMajor
        self.source = source
        used = ["input"]
    }

    /// The network's nodes for the model `entry` (`{"class_name", "config"}`) applied to node 0;
    /// returns the output node.
    mutating func build(_ entry: KerasJSON) throws -> Int {
        // The input node is named as summary() lists the model's InputLayer (`input_layer`, `input_1`).
        let layers = entry["config"]?["layers"]?.arrayValue ?? []
        if let input = layers.first(where: { $0["class_name"]?.stringValue == "InputLayer" }),
            let name = input["name"]?.stringValue ?? input["config"]?["name"]?.stringValue
        {
            nodes[0] = GraphNode(name: name, layer: name, op: nil, inputs: [])
            used = [name]
        }
        let outputs = try model(entry, inputs: [0], path: [])
        guard outputs.count == 1 else {
            throw KerasGraphError.badConfig(file: file, detail: "the model has \(outputs.count) outputs; CAMKit explains single-output classifiers")
        }
        return outputs[0]
    }

    // MARK: models

    private mutating func model(_ entry: KerasJSON, inputs: [Int], path: [String]) throws -> [Int] {
        let className = entry["class_name"]?.stringValue ?? ""
        let config = entry["config"] ?? .null
        guard let layers = config["layers"]?.arrayValue ?? config.arrayValue else {
            throw KerasGraphError.badConfig(file: file, detail: "\(describe(path)) has no layers")
        }
        if className == "Sequential" {
            var x = inputs
            for layer in layers where layer["class_name"]?.stringValue != "InputLayer" {
                guard x.count == 1 else {
                    throw KerasGraphError.badConfig(file: file, detail: "\(describe(path)): a Sequential layer gets \(x.count) tensors")
                }
                x = try call(layer, inputs: x, callIndex: 0, path: path)
            }
            return x
        }
        // Functional: run each layer call once all its inputs exist.
        var produced: [String: [[Int]]] = [:]
        var nodeOffsets: [String: Int] = [:]
        let inputNames = Self.tensorRefs(config["input_layers"]).map(\.layer)
        guard inputNames.count == inputs.count else {
            throw KerasGraphError.badConfig(
                file: file, detail: "\(describe(path)) has \(inputNames.count) inputs; CAMKit explains single-image models")
        }
        for (name, node) in zip(inputNames, inputs) { produced[name] = [[node]] }
        var pending: [(entry: KerasJSON, name: String, calls: [[TensorRef]])] = []
        for layer in layers {
            guard let name = layer["name"]?.stringValue ?? layer["config"]?["name"]?.stringValue else {
                throw KerasGraphError.badConfig(file: file, detail: "\(describe(path)) has a layer without a name")
            }
            if layer["class_name"]?.stringValue == "InputLayer" {
                if produced[name] == nil {
                    throw KerasGraphError.badConfig(file: file, detail: "input layer '\(name)' is not among the model's inputs")
                }
                continue
            }
            let calls = (layer["inbound_nodes"]?.arrayValue ?? []).map(Self.callRefs)
            pending.append((layer, name, calls))
            // Keras 2 counts a nested model's own construction as its node 0: its calls here are nodes 1, 2, ...
            if kerasMajor == 2, Self.isNestedModel(layer), Self.hasOwnInput(layer) { nodeOffsets[name] = 1 }
        }
        var progress = true
        while progress {
            progress = false
            for item in pending {
                while true {
                    let done = produced[item.name]?.count ?? 0
                    guard done < item.calls.count else { break }
                    let refs = item.calls[done]
                    guard let sources = Self.resolve(refs, produced, nodeOffsets) else { break }
                    let out = try call(item.entry, inputs: sources, callIndex: done, path: path)
                    produced[item.name, default: []].append(out)
                    progress = true
                }
            }
        }
        if let stuck = pending.first(where: { (produced[$0.name]?.count ?? 0) < $0.calls.count }) {
            let missing = stuck.calls[produced[stuck.name]?.count ?? 0].map(\.layer).filter { produced[$0] == nil }
            throw KerasGraphError.badConfig(
                file: file, detail: "layer '\(stuck.name)' in \(describe(path)) takes \(missing.joined(separator: ", ")), which never runs")
        }
        let outputRefs = Self.tensorRefs(config["output_layers"])
        guard let outputs = Self.resolve(outputRefs, produced, nodeOffsets), !outputs.isEmpty else {
            throw KerasGraphError.badConfig(file: file, detail: "the outputs of \(describe(path)) are not produced by its layers")
        }
        return outputs
    }

    /// One call of a layer (a nested model is inlined); returns its output nodes.
    private mutating func call(_ entry: KerasJSON, inputs: [Int], callIndex: Int, path: [String]) throws -> [Int] {
        let className = entry["class_name"]?.stringValue ?? "?"
        let config = entry["config"] ?? .null
        let name = entry["name"]?.stringValue ?? config["name"]?.stringValue ?? className.lowercased()
        if Self.isNestedModel(entry) {
            let groupName = unique(callIndex == 0 ? name : "\(name)#\(callIndex)", path: path)
            openGroups.append(groupName)
            groups[groupName] = []
            let outs = try model(entry, inputs: inputs, path: path + [name])
            openGroups.removeLast()
            // The nested model's output under its own name, as `model.summary()` lists it.
            return outs.enumerated().map { t, node in
                append(name: t == 0 ? groupName : "\(groupName):\(t)", layer: nil, op: NoiseOp(kind: className, .identity), inputs: [node])
            }
        }
        let key = (path + [name]).joined(separator: "/")
        let op: any GraphOp
        let childName: String
        if let existing = ops[key] {
            (op, childName) = existing
        } else {
            let weights = Self.weighted.contains(className) ? try source.weights(layer: name, className: className, config: config, path: path) : [:]
            let qualified = (path + [name]).joined(separator: "/")
            op =
                try Self.scalarArithmetic(entry, callIndex: callIndex)
                ?? KerasLayerFactory.make(
                    config, weights: weights, .init(file: file, layer: qualified, className: className, kerasMajor: kerasMajor))
            childName = unique(name, path: path)
            ops[key] = (op, childName)
            sourcePaths[childName] = qualified
            for g in openGroups { groups[g, default: []].append(childName) }
        }
        let tapName = callIndex == 0 && !used.contains(childName) ? childName : unique("\(childName)#\(callIndex)", path: [])
        used.insert(childName)
        // Every layer call takes at least one tensor (a config whose inbound nodes name none is broken).
        guard !inputs.isEmpty else { throw KerasGraphError.badConfig(file: file, detail: "layer '\(name)' is called with no input tensors") }
        return [append(name: tapName, layer: childName, op: op, inputs: inputs)]
    }

    private mutating func append(name: String, layer: String?, op: any GraphOp, inputs: [Int]) -> Int {
        used.insert(name)
        nodes.append(GraphNode(name: name, layer: layer ?? name, op: op, inputs: inputs))
        return nodes.count - 1
    }

    /// `name`, or `path/name` when a layer elsewhere already has it.
    private func unique(_ name: String, path: [String]) -> String {
        if !used.contains(name) { return name }
        var candidate = (path + [name]).joined(separator: "/")
        var k = 1
        while used.contains(candidate) {
            candidate = (path + ["\(name)_\(k)"]).joined(separator: "/")
            k += 1
        }
        return candidate
    }

    private func describe(_ path: [String]) -> String { path.isEmpty ? "the model" : "nested model '\(path.joined(separator: "/"))'" }

    // MARK: inbound nodes

    struct TensorRef: Equatable {
        let layer: String
        let node: Int
        let tensor: Int
    }

    /// The tensors one call takes: Keras 3 `{"args": [...]}` (keras tensors anywhere in the args, in
    /// order) or Keras 2 `[[name, node, tensor, kwargs], ...]`.
    static func callRefs(_ call: KerasJSON) -> [TensorRef] {
        if let args = call["args"] {
            var refs: [TensorRef] = []
            func walk(_ v: KerasJSON) {
                if v["class_name"]?.stringValue == "__keras_tensor__", let h = v["config"]?["keras_history"]?.arrayValue, h.count >= 3,
                    let layer = h[0].stringValue
                {
                    refs.append(TensorRef(layer: layer, node: h[1].intValue ?? 0, tensor: h[2].intValue ?? 0))
                } else if let a = v.arrayValue {
                    a.forEach(walk)
                } else if let o = v.objectValue, o["class_name"] == nil {
                    o.keys.sorted().forEach { walk(o[$0]!) }
                }
            }
            walk(args)
            return refs
        }
        return (call.arrayValue ?? []).compactMap { ref in
            guard let a = ref.arrayValue, a.count >= 3, let layer = a[0].stringValue else { return nil }
            return TensorRef(layer: layer, node: a[1].intValue ?? 0, tensor: a[2].intValue ?? 0)
        }
    }

    /// `input_layers` / `output_layers`: `[name, node, tensor]` or a list of them.
    static func tensorRefs(_ value: KerasJSON?) -> [TensorRef] {
        guard let list = value?.arrayValue else { return [] }
        if let name = list.first?.stringValue {
            return [TensorRef(layer: name, node: list.count > 1 ? list[1].intValue ?? 0 : 0, tensor: list.count > 2 ? list[2].intValue ?? 0 : 0)]
        }
        return list.compactMap { ref in
            guard let a = ref.arrayValue, let name = a.first?.stringValue else { return nil }
            return TensorRef(layer: name, node: a.count > 1 ? a[1].intValue ?? 0 : 0, tensor: a.count > 2 ? a[2].intValue ?? 0 : 0)
        }
    }

    static func isNestedModel(_ layer: KerasJSON) -> Bool {
        modelClasses.contains(layer["class_name"]?.stringValue ?? "") || layer["config"]?["layers"] != nil
    }

    /// Whether a nested model was built on its own Input (Keras 2 then gives it an inbound node of its own).
    private static func hasOwnInput(_ layer: KerasJSON) -> Bool {
        let config = layer["config"]
        return config?["input_layers"] != nil || config?["layers"]?.arrayValue?.first?["class_name"]?.stringValue == "InputLayer"
    }

    /// A keras.ops arithmetic node with one tensor and one number among its arguments (`x + 3.0`;
    /// `.keras` marks it with module keras.src.ops.numpy, Keras 3's `.h5` only by those arguments).
    static func scalarArithmetic(_ entry: KerasJSON, callIndex: Int) throws -> (any GraphOp)? {
        guard let calls = entry["inbound_nodes"]?.arrayValue,
            callIndex < calls.count, let args = calls[callIndex]["args"]?.arrayValue, args.count == 2
        else { return nil }
        let modes: [String: ScalarArithmeticOp.Mode] = [
            "Add": .add, "Subtract": .subtract, "Multiply": .multiply, "Divide": .divide, "TrueDivide": .divide
        ]
        guard let kind = entry["class_name"]?.stringValue, let mode = modes[kind] else { return nil }
        if let c = args[1].numberValue { return ScalarArithmeticOp(kind: kind, mode, constant: c, constantFirst: false) }
        if let c = args[0].numberValue { return ScalarArithmeticOp(kind: kind, mode, constant: c, constantFirst: true) }
        return nil
    }

    /// The nodes `refs` name; a reference's node index less the layer's offset is its call here.
    private static func resolve(_ refs: [TensorRef], _ produced: [String: [[Int]]], _ nodeOffsets: [String: Int]) -> [Int]? {
        var out: [Int] = []
        for r in refs {
            let call = r.node - (nodeOffsets[r.layer] ?? 0)
            guard let calls = produced[r.layer], call >= 0, call < calls.count, r.tensor < calls[call].count else { return nil }
            out.append(calls[call][r.tensor])
        }
        return out
    }
}
