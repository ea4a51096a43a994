import Torch

/// One call of a layer in a graph network.
public struct GraphNode {
    /// The tap name: the layer's name for its first call, `name#k` for its k-th later call.
    public let name: String
    /// The layer that owns the op's weights (`parameterCounts(ofLayer:)`); equal to `name` for a first call.
    public let layer: String
    /// nil for the network input.
    public let op: (any GraphOp)?
    /// Indices of the nodes whose outputs this call takes, in call order.
    public let inputs: [Int]

    public init(name: String, layer: String, op: (any GraphOp)?, inputs: [Int]) {
        self.name = name
        self.layer = layer
        self.op = op
        self.inputs = inputs
    }
}

/// Where the logits come from when the network's output is a probability.
public enum LogitsSource: Sendable, Equatable {
    /// The output itself.
    case output
    /// The output node is a dense layer with a softmax activation: its pre-activation.
    case preActivation
    /// The output node is a softmax layer: its input.
    case softmaxInput
}

/// A network given as layer calls in topological order (any Keras functional or Sequential
/// model): every node's output can be recorded, an activation is released as soon as its last
/// consumer has run, and the eval pass folds each batch norm into the convolution before it and
/// keeps batches channels-last.
public final class GraphNetwork: Network {
    public let nodes: [GraphNode]
    /// The node whose output is the network's output.
    public let output: Int
    public let logitsSource: LogitsSource
    public private(set) var classes: Int
    public let layout: String
    public let shapeConvention: ShapeConvention
    public var isTraining = true
    public var optimizesEvalForward = true
    public private(set) var lastFeatureLayer: String = ""
    public private(set) var camUnavailableReason: String?
    /// Nested models by name, with the layers inside them (for their summary rows).
    public let groups: [String: [String]]
    /// The square input size at which the layer shapes were probed (the model's own, else 224).
    public let probeSize: Int
    /// The configuration the network was built from (checkpoints store it to rebuild the network).
    public internal(set) var architecture: GraphArchitecture?
    /// Op (child) name → the layer's path in `architecture`, under which a checkpoint stores its weights.
    var sourcePaths: [String: String] = [:]

    private let ops: [(String, any GraphOp)]
    private let consumers: [[Int]]
    private let head: (feature: Int, pool: Int, linear: Int, op: DenseOp)?
    /// Batch-norm node → the convolution node it can be folded into (the conv's only consumer).
    private let foldable: [Int: Int]
    /// The inverse of `foldable`: conv node → its batch-norm node.
    private let foldedBy: [Int: Int]
    private let folds: [Int: FoldedConvBN]

    /// - Parameters:
    ///   - nodes: layer calls in topological order; node 0 is the input.
    ///   - probeSize: a square input size at which the layers' output shapes are found once (for
    ///     `lastFeatureLayer`).
    ///   - headless: accept an output that is not [N, classes] (a backbone, to be given a head
    ///     before training); `classes` is then 0.
    public init(
        nodes: [GraphNode], output: Int, layout: String = "keras", shapeConvention: ShapeConvention = .keras,
        groups: [String: [String]] = [:], probeSize: Int, headless: Bool = false
    ) throws {
        guard !nodes.isEmpty, nodes[0].op == nil, nodes.indices.contains(output) else {
            throw GraphError.malformed("the first node must be the input and the output must be a node")
        }
        var consumers = [[Int]](repeating: [], count: nodes.count)
        var ops: [(String, any GraphOp)] = []
        var seen = Set<ObjectIdentifier>()
        for (i, node) in nodes.enumerated() {
            for j in node.inputs {
                guard j >= 0 && j < i else { throw GraphError.malformed("node '\(node.name)' takes node \(j), which does not come before it") }
                consumers[j].append(i)
            }
            if let op = node.op, seen.insert(ObjectIdentifier(op)).inserted { ops.append((node.layer, op)) }
        }
        self.nodes = nodes
        self.output = output
        self.layout = layout
        self.shapeConvention = shapeConvention
        self.groups = groups
        self.probeSize = probeSize
        self.ops = ops
        self.consumers = consumers
        let last = nodes[output].op
        if let dense = last as? DenseOp, dense.activation == .softmax {
            logitsSource = .preActivation
        } else if (last as? ActivationOp)?.isSoftmax == true {
            logitsSource = .softmaxInput
        } else {
            logitsSource = .output
        }
        var foldable: [Int: Int] = [:]
        for (i, node) in nodes.enumerated() where node.op is BatchNormOp && node.inputs.count == 1 {
            let c = node.inputs[0]
            if let conv = nodes[c].op as? ConvOp, conv.activation == .linear, consumers[c] == [i], c != output { foldable[i] = c }
        }
        self.foldable = foldable
        foldedBy = Dictionary(foldable.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        folds = foldable.mapValues { _ in FoldedConvBN() }
        let found = GraphNetwork.findHead(nodes, consumers: consumers, logits: logitsSource == .softmaxInput ? nodes[output].inputs[0] : output)
        head = found.head
        camUnavailableReason = found.reason
        classes = found.classes ?? 0
        // Shapes at the probe size decide the default layer (and the classes without a dense head).
        let shapes = try layerShapes(inputSize: probeSize)
        if found.classes == nil {
            if let s = shapes.first(where: { $0.name == nodes[output].name })?.shape, s.count == 2 {
                classes = s[1]
            } else if !headless {
                throw GraphError.shape(
                    kind: nodes[output].op?.kind ?? "input",
                    detail: "the output '\(nodes[output].name)' is not [N, classes] (a backbone: `camkit train --pretrained` adds a head)")
            }
        }
        lastFeatureLayer = try GraphNetwork.defaultLayer(
            nodes, output: output, consumers: consumers, shapes: shapes, head: head, classes: classes)
    }

    public var children: [(String, any Module)] { ops.map { ($0.0, $0.1 as any Module) } }

    public var camHead: CAMHead? {
        guard let head else { return nil }
        return CAMHead(
            featureLayer: nodes[head.feature].name, poolLayer: nodes[head.pool].name, linearLayer: nodes[head.linear].name,
            weight: head.op.weight)
    }

    public var layerNames: [String] { nodes.map(\.name) }

    public var classifierLayer: (name: String, module: any Module)? {
        head.map { (nodes[$0.linear].layer, $0.op as any Module) }
    }

    public func parameterCounts(ofLayer name: String) -> (trainable: Int, nonTrainable: Int) {
        let layers = groups[name] ?? [name]
        return layers.reduce((0, 0)) { sum, layer in
            let c = parameterCounts(ofChild: layer)
            return (sum.0 + c.trainable, sum.1 + c.nonTrainable)
        }
    }

    public func layerShapes(inputSize: Int) throws -> [(name: String, shape: [Int])] {
        try TapRecorder.shapes(of: self, inputSize: inputSize) { try run($0, $1) }
    }

    public func forward(_ x: Tensor, tapping names: [String], gradientsFrom: String?) throws -> ForwardResult {
        let tap = TapRecorder(wanted: Set(names), gradientsFrom: gradientsFrom)
        let logits = try tap.run { try run(x, tap) }
        return ForwardResult(logits: logits, activations: tap.activations)
    }

    /// Logits for a batch.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try run(x, TapRecorder(wanted: [])) }

    // MARK: execution

    private func run(_ input: Tensor, _ tap: TapRecorder) throws -> Tensor {
        tap.optimized = optimizesEvalForward && !isTraining
        tap.channelsLast = tap.optimized && input.rank == 4 && input.shape[0] > 1
        var values = [Tensor?](repeating: nil, count: nodes.count)
        var pending = consumers.map(\.count)
        var logits: Tensor?
        /// Drops the outputs of `node`'s inputs that nothing else will read.
        func consumed(_ node: Int) {
            for j in nodes[node].inputs {
                pending[j] -= 1
                if pending[j] == 0 && j != output { values[j] = nil }
            }
        }
        for (i, node) in nodes.enumerated() {
            guard let op = node.op else {
                values[i] = try tap(node.name, tap.channelsLast ? input.channelsLast() : input)
                continue
            }
            if let c = foldable[i], canFold(c, i, tap) {
                let conv = nodes[c].op as! ConvOp, bn = op as! BatchNormOp
                let x = try values[nodes[c].inputs[0]]!
                let (w, b) = try folds[i]!.parameters(
                    weight: conv.weight, bias: conv.bias, gamma: bn.gamma, beta: bn.beta, mean: bn.movingMean,
                    variance: bn.movingVariance, eps: bn.epsilon, channelsLast: tap.channelsLast)
                values[i] = try tap(node.name, conv.convolve(x, weight: w, bias: b))
                consumed(c)
                continue
            }
            if let bn = foldedBy[i], canFold(i, bn, tap) { continue }  // runs folded at `bn`
            let inputs = node.inputs.map { values[$0]! }
            var y: Tensor
            if i == output, logitsSource == .preActivation, let dense = op as? DenseOp {
                let z = try dense.linear(inputs[0])
                logits = z
                y = tap.isWanted(node.name) ? try Functional.softmax(z, dim: -1) : z
            } else {
                y = try op.apply(inputs)
            }
            if i == output, logitsSource == .softmaxInput { logits = inputs[0] }
            values[i] = try tap(node.name, y)
            consumed(i)
        }
        return logits ?? values[output]!
    }

    /// Whether conv node `c` may run folded into batch-norm node `bn` in this pass.
    private func canFold(_ c: Int, _ bn: Int, _ tap: TapRecorder) -> Bool {
        tap.optimized && !(nodes[bn].op!.isTraining) && !tap.isWanted(nodes[c].name) && tap.gradientsFrom != nodes[c].name
    }

    // MARK: structure

    /// GAP → (identity layers) → dense at the logits, or why there is none; and the classes.
    private static func findHead(
        _ nodes: [GraphNode], consumers: [[Int]], logits: Int
    ) -> (head: (feature: Int, pool: Int, linear: Int, op: DenseOp)?, reason: String?, classes: Int?) {
        guard let dense = nodes[logits].op as? DenseOp else {
            let kind = nodes[logits].op?.kind ?? "input"
            return (nil, "the output '\(nodes[logits].name)' is a \(kind), not a dense layer", nil)
        }
        guard dense.activation == .linear || dense.activation == .softmax else {
            return (nil, "the dense head '\(nodes[logits].name)' has a \(dense.activation) activation", dense.units)
        }
        guard var j = nodes[logits].inputs.first else {
            return (nil, "the dense head '\(nodes[logits].name)' has no input", dense.units)
        }
        while nodes[j].op is InferenceIdentity, let next = nodes[j].inputs.first { j = next }
        guard let pool = nodes[j].op as? GlobalPoolOp, pool.mode == .average, !pool.keepDims, let feature = nodes[j].inputs.first else {
            let kind = nodes[j].op?.kind ?? "input"
            return (
                nil, "the dense head '\(nodes[logits].name)' takes '\(nodes[j].name)' (\(kind)), not a global average pooling",
                dense.units
            )
        }
        return ((feature, j, logits, dense), nil, dense.units)
    }

    /// `--layer auto`: the layer feeding the GAP head; else the last node, among the logits'
    /// ancestors, with a spatial [N, C, h, w] output (h·w > 1) that is not a per-class map (a
    /// convolution to `classes` channels followed only by parameter-free layers: tf-keras-vis #85).
    private static func defaultLayer(
        _ nodes: [GraphNode], output: Int, consumers: [[Int]], shapes: [(name: String, shape: [Int])],
        head: (feature: Int, pool: Int, linear: Int, op: DenseOp)?, classes: Int
    ) throws -> String {
        if let head { return nodes[head.feature].name }
        let shapeOf = Dictionary(shapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        var ancestors = Set<Int>()
        var stack = [output]
        while let n = stack.popLast() {
            if ancestors.insert(n).inserted { stack += nodes[n].inputs }
        }
        /// Whether everything from `n` to the output is parameter-free.
        func onlyShapeOpsAfter(_ n: Int) -> Bool {
            var todo = consumers[n]
            var visited = Set<Int>()
            while let m = todo.popLast() {
                guard visited.insert(m).inserted else { continue }
                guard nodes[m].op is ShapeOnlyOp || nodes[m].op is InferenceIdentity else { return false }
                todo += consumers[m]
            }
            return true
        }
        for n in nodes.indices.reversed() where ancestors.contains(n) && nodes[n].op != nil {
            guard let s = shapeOf[nodes[n].name], s.count == 4, s[2] * s[3] > 1 else { continue }
            if s[1] == classes && onlyShapeOpsAfter(n) { continue }
            return nodes[n].name
        }
        throw GraphError.malformed("no layer with a spatial output feeds the classifier, so there is nothing to explain")
    }
}
