import Torch

/// A ResNet backbone with global average pooling and one linear head: a CAM-ready classifier.
///
/// Every layer output can be tapped by its layout's name; see `layerNames`.
public final class ResNet: Network {
    public let spec: ResNetSpec
    let stem: ConvBN
    let blocks: [ResidualBlock]
    public let head: Linear
    public var isTraining = true
    /// In eval mode, run each convolution with its batch norm folded in, and batches of two or
    /// more channels-last in memory (shapes stay NCHW): faster on CPU, same results to float
    /// rounding. Activations get gradients in such a pass, parameters do not: set this false to
    /// differentiate parameters in eval mode. A tapped convolution runs unfolded.
    public var optimizesEvalForward = true

    public init(_ spec: ResNetSpec) throws {
        try spec.validate()
        self.spec = spec
        let keras = spec.layout == .keras
        stem = try ConvBN(
            3, spec.stemWidth, kernel: spec.stemKernel, stride: spec.stemStride,
            padding: keras ? 0 : spec.stemKernel / 2, bias: keras, eps: spec.batchNormEps,
            convName: keras ? "conv1_conv" : "conv1", bnName: keras ? "conv1_bn" : "bn1")
        var blocks: [ResidualBlock] = []
        var channels = spec.stemWidth
        let expansion = spec.block == .bottleneck ? 4 : 1
        for (stage, count) in spec.blocks.enumerated() {
            for b in 0..<count {
                let name = keras ? "conv\(stage + 2)_block\(b + 1)" : "layer\(stage + 1).\(b)"
                let stride = b == 0 ? spec.stageStrides[stage] : 1
                blocks.append(try ResidualBlock(spec: spec, inChannels: channels, planes: spec.widths[stage], stride: stride, name: name))
                channels = spec.widths[stage] * expansion
            }
        }
        self.blocks = blocks
        head = try Linear(channels, spec.classes)
    }

    public var children: [(String, any Module)] {
        var out: [(String, any Module)] = [(stem.convName, stem.conv), (stem.bnName, stem.bn)]
        for block in blocks {
            if spec.layout == .keras {
                out += block.children  // Keras names are flat: conv2_block1_1_conv
            } else {
                out.append((block.name, block))
            }
        }
        out.append((spec.headName, head))
        return out
    }

    public var classes: Int { spec.classes }
    public var layout: String { spec.layout.rawValue }
    public var shapeConvention: ShapeConvention { spec.layout == .keras ? .keras : .torch }
    public var classifierLayer: (name: String, module: any Module)? { (spec.headName, head) }

    public var camHead: CAMHead? {
        CAMHead(featureLayer: lastFeatureLayer, poolLayer: poolName, linearLayer: spec.headName, weight: head.weight)
    }
    public var camUnavailableReason: String? { nil }

    /// Names of the global-average-pool and stage outputs, by layout.
    public var poolName: String { spec.layout == .keras ? "avg_pool" : "avgpool" }

    /// The activation that feeds global average pooling (`conv5_block3_out`, `layer4`).
    public var lastFeatureLayer: String {
        spec.layout == .keras ? blocks.last!.name + "_out" : "layer\(spec.blocks.count)"
    }

    /// Runs the network on NCHW float input, tapping the named layers.
    ///
    /// With `gradientsFrom`, the pass before that layer runs without autograd and the tapped
    /// activations from there on take part in autograd (for `Autograd.gradients`).
    public func forward(_ x: Tensor, tapping names: [String] = [], gradientsFrom: String? = nil) throws -> ForwardResult {
        let tap = TapRecorder(wanted: Set(names), gradientsFrom: gradientsFrom)
        let logits = try tap.run { try forward(x, tap) }
        return ForwardResult(logits: logits, activations: tap.activations)
    }

    /// Logits for a batch.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x, TapRecorder(wanted: [])) }

    func forward(_ input: Tensor, _ tap: TapRecorder) throws -> Tensor {
        var x = input
        tap.optimized = optimizesEvalForward && !isTraining
        // Channels-last pays from batch 2 on; a single image runs faster in the plain layout.
        tap.channelsLast = tap.optimized && x.shape[0] > 1
        if tap.channelsLast { x = try x.channelsLast() }
        if spec.layout == .keras {
            let p = spec.stemKernel / 2
            x = try tap("conv1_pad", Functional.pad(x, [p, p, p, p]))
            x = try tap("conv1_relu", stem(x, tap, "").relu())
            if spec.stemPool {
                x = try tap("pool1_pad", Functional.pad(x, [1, 1, 1, 1]))
                x = try tap("pool1_pool", Functional.maxPool2d(x, kernel: (3, 3), stride: (2, 2)))
            }
        } else {
            x = try tap("relu", stem(x, tap, "").relu())
            if spec.stemPool {
                x = try tap("maxpool", Functional.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1)))
            }
        }
        for (i, block) in blocks.enumerated() {
            x = try block.forward(x, tap)
            if let stage = stageEnds[i] { x = try tap(stage, x) }
        }
        let pooled = try tap(poolName, Functional.globalAvgPool(x))
        let logits = try head(pooled)
        if tap.isWanted(spec.headName) {
            _ = try tap(spec.headName, spec.softmaxHead ? Functional.softmax(logits, dim: 1) : logits)
        }
        return logits
    }

    /// torchvision stage names (`layer3`) by the index of the stage's last block; the stage output is that block's.
    private var stageEnds: [Int: String] {
        guard spec.layout == .torchvision else { return [:] }
        var ends: [Int: String] = [:]
        var index = -1
        for (stage, count) in spec.blocks.enumerated() {
            index += count
            ends[index] = "layer\(stage + 1)"
        }
        return ends
    }

    /// Every tappable layer name, in forward order.
    public var layerNames: [String] {
        get throws {
            if let cached = cachedLayerNames { return cached }
            let names = try layerShapes(inputSize: 64).map(\.name)
            cachedLayerNames = names
            return names
        }
    }
    private var cachedLayerNames: [String]?

    /// Every tappable layer name with its output shape for an input of `inputSize` pixels, in
    /// forward order (one dummy forward pass).
    public func layerShapes(inputSize: Int = 224) throws -> [(name: String, shape: [Int])] {
        try TapRecorder.shapes(of: self, inputSize: inputSize) { try forward($0, $1) }
    }
}

extension ResNet {
    public func parameterCounts(ofLayer name: String) -> (trainable: Int, nonTrainable: Int) { parameterCounts(ofChild: name) }
}
