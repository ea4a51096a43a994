import Foundation
import Torch

/// How a convolution or pooling window treats the border.
public enum WindowPadding: Sendable, Equatable {
    /// No padding.
    case valid
    /// TensorFlow's `same`: output size `ceil(in / stride)`, the total padding split with the
    /// smaller half before (asymmetric for even kernels or stride 2).
    case same

    /// (before, after) padding of one spatial axis.
    func amounts(size: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (Int, Int) {
        guard self == .same else { return (0, 0) }
        let out = (size + stride - 1) / stride
        let total = Swift.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        return (total / 2, total - total / 2)
    }
}

/// Conv2D and DepthwiseConv2D (`groups` = input channels): OIHW weight, optional bias, then the activation.
public final class ConvOp: GraphOp {
    public let kind: String
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int
    public let padding: WindowPadding
    public let activation: Activation
    public var isTraining = true

    public init(
        kind: String, weight: Tensor, bias: Tensor?, stride: (Int, Int), dilation: (Int, Int), groups: Int,
        padding: WindowPadding, activation: Activation
    ) throws {
        self.kind = kind
        self.weight = try weight.requiringGrad()
        self.bias = try bias?.requiringGrad()
        self.stride = stride
        self.dilation = dilation
        self.groups = groups
        self.padding = padding
        self.activation = activation
    }

    public var ownParameters: [(String, Tensor)] { presentTensors(("weight", weight), ("bias", bias)) }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        try activation(convolve(single(inputs), weight: weight, bias: bias))
    }

    /// The convolution alone with the given weights (this op's, or folded ones), padded as configured.
    func convolve(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let x = try featureMap(x)
        let k = weight.shape
        let (top, bottom) = padding.amounts(size: x.shape[2], kernel: k[2], stride: stride.0, dilation: dilation.0)
        let (left, right) = padding.amounts(size: x.shape[3], kernel: k[3], stride: stride.1, dilation: dilation.1)
        var input = x
        var symmetric = (0, 0)
        if top == bottom && left == right {
            symmetric = (top, left)
        } else {
            input = try Functional.pad(x, [left, right, top, bottom])
        }
        return try Functional.conv2d(
            input, weight: weight, bias: bias, stride: stride, padding: symmetric, dilation: dilation, groups: groups)
    }
}

/// SeparableConv2D: a depthwise convolution, then a pointwise one with the bias and activation.
public final class SeparableConvOp: GraphOp {
    public let kind = "SeparableConv2D"
    public let depthwise: ConvOp
    public let pointwise: ConvOp
    public var isTraining = true

    public init(depthwise: ConvOp, pointwise: ConvOp) {
        self.depthwise = depthwise
        self.pointwise = pointwise
    }

    public var children: [(String, any Module)] { [("depthwise", depthwise), ("pointwise", pointwise)] }

    public func apply(_ inputs: [Tensor]) throws -> Tensor { try pointwise.apply([depthwise.apply(inputs)]) }
}

/// Dense: `x Wᵀ + b` over the channel axis (a 1×1 convolution on feature maps), then the activation.
public final class DenseOp: GraphOp {
    public let kind = "Dense"
    /// [units, inputs].
    public let weight: Tensor
    public let bias: Tensor?
    public let activation: Activation
    public var isTraining = true

    public init(weight: Tensor, bias: Tensor?, activation: Activation) throws {
        self.weight = try weight.requiringGrad()
        self.bias = try bias?.requiringGrad()
        self.activation = activation
    }

    public var units: Int { weight.shape[0] }
    public var ownParameters: [(String, Tensor)] { presentTensors(("weight", weight), ("bias", bias)) }

    public func apply(_ inputs: [Tensor]) throws -> Tensor { try activation(linear(single(inputs))) }

    /// The layer before its activation.
    public func linear(_ x: Tensor) throws -> Tensor {
        if x.rank == 4 {
            return try Functional.conv2d(x, weight: weight.reshape([weight.shape[0], weight.shape[1], 1, 1]), bias: bias)
        }
        return try Functional.linear(x, weight: weight, bias: bias)
    }
}

/// BatchNormalization over the channel axis. Training uses the batch's biased variance and moves
/// the statistics as Keras does (`moving = moving · momentum + batch · (1 − momentum)`).
public final class BatchNormOp: GraphOp {
    public let kind = "BatchNormalization"
    public let gamma: Tensor
    public let beta: Tensor
    public let movingMean: Tensor
    public let movingVariance: Tensor
    public let epsilon: Double
    /// Keras' momentum (0.99 by default): the weight of the old statistics.
    public let momentum: Double
    private let scale: Bool
    private let center: Bool
    public var isTraining = true

    /// `gamma` / `beta` nil: the layer has no scale / no centre (constant 1 / 0, not parameters).
    public init(gamma: Tensor?, beta: Tensor?, movingMean: Tensor, movingVariance: Tensor, epsilon: Double, momentum: Double) throws {
        let c = movingMean.shape[0]
        scale = gamma != nil
        center = beta != nil
        self.gamma = try gamma?.requiringGrad() ?? Tensor.ones([c])
        self.beta = try beta?.requiringGrad() ?? Tensor.zeros([c])
        self.movingMean = movingMean
        self.movingVariance = movingVariance
        self.epsilon = epsilon
        self.momentum = momentum
    }

    public var ownParameters: [(String, Tensor)] { presentTensors(("gamma", scale ? gamma : nil), ("beta", center ? beta : nil)) }
    public var ownBuffers: [(String, Tensor)] { [("moving_mean", movingMean), ("moving_variance", movingVariance)] }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        guard isTraining else {
            return try Functional.batchNorm(
                x, weight: gamma, bias: beta, runningMean: movingMean, runningVar: movingVariance, training: false, eps: epsilon)
        }
        let dims = (0..<x.rank).filter { $0 != channelDim(x) }
        let mean = try x.mean(dims: dims, keepDim: true)
        let variance = try (x - mean).square().mean(dims: dims, keepDim: true)
        try withNoGrad {
            try movingMean.mulInPlace(momentum)
            try movingMean.addInPlace(mean.detach().flatten(), alpha: 1 - momentum)
            try movingVariance.mulInPlace(momentum)
            try movingVariance.addInPlace(variance.detach().flatten(), alpha: 1 - momentum)
        }
        let normalized = try (x - mean) * (variance + epsilon).rsqrt()
        return try normalized * perChannel(gamma, like: x) + perChannel(beta, like: x)
    }
}

/// LayerNormalization over the channel axis, or over all non-batch axes.
public final class LayerNormOp: GraphOp {
    public let kind = "LayerNormalization"
    /// Shaped like the normalised axes in the graph's layout ([C], or [C, H, W] for all axes of a feature map).
    public let gamma: Tensor?
    public let beta: Tensor?
    public let epsilon: Double
    /// Normalise every non-batch axis (else the channel axis only).
    public let allAxes: Bool
    public var isTraining = true

    public init(gamma: Tensor?, beta: Tensor?, epsilon: Double, allAxes: Bool) throws {
        self.gamma = try gamma?.requiringGrad()
        self.beta = try beta?.requiringGrad()
        self.epsilon = epsilon
        self.allAxes = allAxes
    }

    public var ownParameters: [(String, Tensor)] { presentTensors(("gamma", gamma), ("beta", beta)) }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        let dims = allAxes ? Array(1..<x.rank) : [channelDim(x)]
        let mean = try x.mean(dims: dims, keepDim: true)
        let variance = try (x - mean).square().mean(dims: dims, keepDim: true)
        var y = try (x - mean) * (variance + epsilon).rsqrt()
        let shape: (Tensor) throws -> Tensor = { [allAxes] v in allAxes ? try v.unsqueeze(0) : try perChannel(v, like: x) }
        if let gamma { y = try y * shape(gamma) }
        if let beta { y = try y + shape(beta) }
        return y
    }
}

/// Normalization (preprocessing): `(x − mean) / max(√variance, 1e-7)` per channel.
public final class NormalizationOp: GraphOp {
    public let kind = "Normalization"
    public let mean: Tensor
    public let variance: Tensor
    /// Keras' sample count, kept so that parameter counts match `count_params()`.
    public let count: Tensor?
    /// Whether mean and variance are the layer's weights (adapted) rather than constructor arguments,
    /// which Keras neither stores as weights nor counts.
    public let stored: Bool
    public var isTraining = true

    public init(mean: Tensor, variance: Tensor, count: Tensor?, stored: Bool = true) {
        self.mean = mean
        self.variance = variance
        self.count = count
        self.stored = stored
    }

    public var ownBuffers: [(String, Tensor)] {
        stored ? presentTensors(("mean", mean), ("variance", variance), ("count", count)) : []
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        let std = try variance.sqrt().clamp(min: 1e-7)
        return try (x - perChannel(mean, like: x)) / perChannel(std, like: x)
    }
}

/// PReLU: `max(0, x) + α · min(0, x)`, α per channel (or per position, as configured).
public final class PReLUOp: GraphOp {
    public let kind = "PReLU"
    /// Broadcastable to the input in the graph's layout.
    public let alpha: Tensor
    public var isTraining = true

    public init(alpha: Tensor) throws { self.alpha = try alpha.requiringGrad() }

    public var ownParameters: [(String, Tensor)] { [("alpha", alpha)] }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        return try x.relu() - alpha * (0 - x).relu()
    }
}

/// ConvNeXt's LayerScale: the input times a learned per-channel `gamma`.
public final class LayerScaleOp: GraphOp {
    public let kind = "LayerScale"
    public let gamma: Tensor
    public var isTraining = true

    public init(gamma: Tensor) throws { self.gamma = try gamma.requiringGrad() }

    public var ownParameters: [(String, Tensor)] { [("gamma", gamma)] }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        return try x * perChannel(gamma, like: x)
    }
}
