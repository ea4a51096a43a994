import Foundation

/// PyTorch's default initialisation for conv and linear layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
private func defaultInit(_ t: Tensor, fanIn: Int) throws {
    let bound = 1.0 / Foundation.sqrt(Double(max(fanIn, 1)))
    try t.uniformInPlace(-bound, bound)
}

/// A trainable weight of `shape` and, with `bias`, a trainable bias of `outputs` values, both
/// initialised as PyTorch does (the weight first, as PyTorch draws them).
private func defaultParameters(_ shape: [Int], outputs: Int, fanIn: Int, bias: Bool) throws -> (weight: Tensor, bias: Tensor?) {
    let weight = try Tensor.empty(shape)
    try defaultInit(weight, fanIn: fanIn)
    try weight.requiringGrad()
    guard bias else { return (weight, nil) }
    let b = try Tensor.empty([outputs])
    try defaultInit(b, fanIn: fanIn)
    return (weight, try b.requiringGrad())
}

/// 2-D convolution (torch.nn.Conv2d), weight OIHW.
public final class Conv2d: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int
    public var isTraining = true

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true
    ) throws {
        (weight, self.bias) = try defaultParameters(
            [outChannels, inChannels / groups, kernelSize, kernelSize], outputs: outChannels,
            fanIn: inChannels / groups * kernelSize * kernelSize, bias: bias)
        self.stride = (stride, stride)
        self.padding = (padding, padding)
        self.dilation = (dilation, dilation)
        self.groups = groups
    }

    public var ownParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Functional.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Batch normalisation over channels of NCHW input (torch.nn.BatchNorm2d).
public final class BatchNorm2d: Layer {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let numBatchesTracked: Tensor
    public let eps: Double
    public let momentum: Double
    public var isTraining = true

    public init(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1) throws {
        weight = try Tensor.ones([channels]).requiringGrad()
        bias = try Tensor.zeros([channels]).requiringGrad()
        runningMean = try Tensor.zeros([channels])
        runningVar = try Tensor.ones([channels])
        numBatchesTracked = try Tensor.zeros([], dtype: .int64)
        self.eps = eps
        self.momentum = momentum
    }

    public var ownParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if isTraining {
            try withNoGrad { try numBatchesTracked.addInPlace(Tensor.ones([], dtype: .int64)) }
        }
        return try Functional.batchNorm(
            x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
            training: isTraining, momentum: momentum, eps: eps)
    }
}

/// Fully connected layer `x W^T + b` (torch.nn.Linear), weight [out, in].
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        (weight, self.bias) = try defaultParameters([outFeatures, inFeatures], outputs: outFeatures, fanIn: inFeatures, bias: bias)
    }

    public var ownParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Functional.linear(x, weight: weight, bias: bias)
    }
}

/// Rectified linear unit.
public final class ReLU: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// 2-D max pooling.
public final class MaxPool2d: Layer {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        kernel = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Functional.maxPool2d(x, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding))
    }
}

/// Layers applied in order; children are named "0", "1", ... unless names are given.
public final class Sequential: Layer {
    public let layers: [(String, any Layer)]
    public var isTraining = true

    public init(_ layers: [any Layer]) {
        self.layers = layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public init(named layers: [(String, any Layer)]) { self.layers = layers }

    public var children: [(String, any Module)] { layers.map { ($0.0, $0.1 as any Module) } }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        for (_, layer) in layers { y = try layer(y) }
        return y
    }
}
