import CAMCore
import Foundation

/// Whose layer names, weight layout and arithmetic a ResNet follows.
public enum ResNetLayout: String, Codable, Sendable {
    /// torchvision: stride on the 3x3 conv, no conv bias, BN eps 1e-5; names `layer4.2.conv3`.
    case torchvision
    /// keras.applications.resnet: zero-pad layers, stride on the first 1x1, conv biases, BN eps 1.001e-5;
    /// names `conv5_block3_out`.
    case keras
}

/// Residual block type.
public enum ResNetBlock: String, Codable, Sendable {
    case basic, bottleneck
}

/// Everything needed to build a ResNet backbone with a global-average-pool + linear head.
public struct ResNetSpec: Codable, Sendable, Equatable {
    public var layout: ResNetLayout
    public var block: ResNetBlock
    /// Blocks per stage.
    public var blocks: [Int]
    /// Base width ("planes") per stage; bottleneck outputs are 4x this.
    public var widths: [Int]
    /// Output channels of the stem convolution.
    public var stemWidth: Int
    public var stemKernel: Int
    public var stemStride: Int
    /// Whether the stem ends in a 3x3 stride-2 max pool.
    public var stemPool: Bool
    /// Stride of the first block of each stage.
    public var stageStrides: [Int]
    /// Number of classes of the linear head.
    public var classes: Int
    /// Name of the head layer (`fc` for torchvision, the Dense layer's name for Keras).
    public var headName: String
    /// Whether the head applies softmax (Keras `Dense(..., activation='softmax')`).
    public var softmaxHead: Bool

    public init(
        layout: ResNetLayout, block: ResNetBlock, blocks: [Int], widths: [Int] = [64, 128, 256, 512],
        stemWidth: Int = 64, stemKernel: Int = 7, stemStride: Int = 2, stemPool: Bool = true,
        stageStrides: [Int] = [1, 2, 2, 2], classes: Int, headName: String? = nil, softmaxHead: Bool = false
    ) {
        self.layout = layout
        self.block = block
        self.blocks = blocks
        self.widths = widths
        self.stemWidth = stemWidth
        self.stemKernel = stemKernel
        self.stemStride = stemStride
        self.stemPool = stemPool
        self.stageStrides = stageStrides
        self.classes = classes
        self.headName = headName ?? (layout == .keras ? "dense" : "fc")
        self.softmaxHead = softmaxHead
    }

    /// Channels of the last stage's output (the features that feed global average pooling).
    public var featureChannels: Int { (widths.last ?? 0) * (block == .bottleneck ? 4 : 1) }

    /// BatchNorm epsilon of the layout.
    public var batchNormEps: Double { layout == .keras ? 1.001e-5 : 1e-5 }

    /// The largest architecture a spec may describe (docs/LIMITS.md): at most `maxStages` stages of
    /// `maxBlocksPerStage` blocks, widths up to `maxWidth`, kernels up to `maxKernel`, strides up to
    /// `maxStride`, `Limits.maxClasses` classes and `maxParameters` weights in all (ResNet-152 has
    /// 60 M). A checkpoint's metadata sizes the network before any weight is read, so a 2.5 MB file
    /// saying `"blocks":[1,1,1,100000]` is refused here rather than allocating gigabytes.
    public static let maxStages = 8
    public static let maxBlocksPerStage = 64
    public static let maxWidth = 4096
    public static let maxKernel = 15
    public static let maxStride = 8
    public static let maxParameters = 250_000_000

    /// Throws `invalidSpec` naming the first value outside the limits above.
    public func validate() throws {
        func check(_ name: String, _ values: [Int], _ range: ClosedRange<Int>) throws {
            for v in values where !range.contains(v) {
                throw ModelError.invalidSpec("\(name) \(v) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
        guard (1...Self.maxStages).contains(blocks.count), widths.count == blocks.count, stageStrides.count == blocks.count else {
            throw ModelError.invalidSpec(
                "blocks, widths and stageStrides must have one entry per stage, 1...\(Self.maxStages) stages (got \(blocks.count), \(widths.count), \(stageStrides.count))"
            )
        }
        try check("blocks per stage", blocks, 0...Self.maxBlocksPerStage)
        try check("width", widths + [stemWidth], 1...Self.maxWidth)
        try check("stem kernel", [stemKernel], 1...Self.maxKernel)
        try check("stride", stageStrides + [stemStride], 1...Self.maxStride)
        try check("classes", [classes], 1...Limits.maxClasses)
        let parameters = parameterCount
        guard parameters <= Self.maxParameters else {
            throw ModelError.invalidSpec("the architecture has about \(parameters) weights; at most \(Self.maxParameters) are built")
        }
    }

    /// The weights of the convolutions and the head (batch norms left out): what `validate` bounds.
    /// Exact only for specs within the limits' ranges (no overflow there).
    public var parameterCount: Int {
        let expansion = block == .bottleneck ? 4 : 1
        var total = 3 * stemWidth * stemKernel * stemKernel
        var channels = stemWidth
        for (stage, count) in blocks.enumerated() {
            let p = widths[stage]
            for b in 0..<count {
                let downsample = (b == 0 && stageStrides[stage] != 1) || channels != p * expansion
                total += block == .bottleneck ? channels * p + p * p * 9 + p * p * 4 : channels * p * 9 + p * p * 9
                if downsample { total += channels * p * expansion }
                channels = p * expansion
            }
        }
        return total + channels * classes + classes
    }

    /// The standard architectures by name, for `classes` outputs.
    ///
    /// torchvision: `resnet18`, `resnet34`, `resnet50`, `resnet101`, `resnet152`;
    /// Keras: `keras-resnet50`, `keras-resnet101`, `keras-resnet152`;
    /// `small`: the demo's CPU-trainable network (about 0.3 M parameters).
    public static func named(_ name: String, classes: Int) throws -> ResNetSpec {
        let depths: [String: (ResNetBlock, [Int])] = [
            "18": (.basic, [2, 2, 2, 2]), "34": (.basic, [3, 4, 6, 3]), "50": (.bottleneck, [3, 4, 6, 3]),
            "101": (.bottleneck, [3, 4, 23, 3]), "152": (.bottleneck, [3, 8, 36, 3])
        ]
        let lower = name.lowercased()
        if lower == "small" {
            return ResNetSpec(
                layout: .torchvision, block: .basic, blocks: [1, 1, 1, 1], widths: [16, 32, 64, 128],
                stemWidth: 16, stemKernel: 3, stemStride: 2, stemPool: true,
                stageStrides: [1, 2, 2, 1], classes: classes)
        }
        if lower.hasPrefix("keras-resnet"), let (block, blocks) = depths[String(lower.dropFirst("keras-resnet".count))],
            block == .bottleneck
        {
            return ResNetSpec(layout: .keras, block: block, blocks: blocks, classes: classes, softmaxHead: true)
        }
        if lower.hasPrefix("resnet"), let (block, blocks) = depths[String(lower.dropFirst("resnet".count))] {
            return ResNetSpec(layout: .torchvision, block: block, blocks: blocks, classes: classes)
        }
        throw ModelError.unknownArchitecture(name, known: knownArchitectures)
    }

    /// Names accepted by `named(_:classes:)`.
    public static let knownArchitectures = [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "keras-resnet50", "keras-resnet101", "keras-resnet152", "small"
    ]
}

/// Errors building or loading a model.
public enum ModelError: Error, CustomStringConvertible, Sendable {
    case unknownArchitecture(String, known: [String])
    case invalidSpec(String)
    case incompatibleWeights(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownArchitecture(name, known):
            return "unknown architecture '\(name)'; known: \(known.joined(separator: ", "))"
        case let .invalidSpec(reason):
            return "invalid model specification: \(reason)"
        case let .incompatibleWeights(file, reason):
            return "\(file): \(reason)"
        }
    }
}

extension ModelError: UserFacingError {
    public var errorKind: ErrorKind {
        switch self {
        case .unknownArchitecture, .invalidSpec: .badInput
        case .incompatibleWeights: .unprocessable
        }
    }
    public var errorCode: String {
        switch self {
        case .unknownArchitecture: "unknown_architecture"
        case .invalidSpec: "invalid_model_spec"
        case .incompatibleWeights: "incompatible_weights"
        }
    }
    public var validValues: [String]? {
        if case .unknownArchitecture(_, let known) = self { return known }
        return nil
    }
}
