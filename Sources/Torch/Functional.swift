import CTorch

/// Interpolation modes of `Functional.interpolate`.
public enum InterpolationMode: Int32, Sendable {
    case nearest = 0, bilinear, bicubic, area
}

/// Padding modes of `Functional.pad`.
public enum PadMode: Int32, Sendable {
    case constant = 0, reflect, replicate
}

/// Reductions of a loss over the batch.
public enum Reduction: Int32, Sendable {
    case none = 0, mean, sum
}

extension InterpolationMode {
    var ct: ct_interp_mode {
        switch self {
        case .nearest: CT_NEAREST
        case .bilinear: CT_BILINEAR
        case .bicubic: CT_BICUBIC
        case .area: CT_AREA
        }
    }
}

extension PadMode {
    var ct: ct_pad_mode {
        switch self {
        case .constant: CT_PAD_CONSTANT
        case .reflect: CT_PAD_REFLECT
        case .replicate: CT_PAD_REPLICATE
        }
    }
}

extension Reduction {
    var ct: ct_reduction {
        switch self {
        case .none: CT_REDUCTION_NONE
        case .mean: CT_REDUCTION_MEAN
        case .sum: CT_REDUCTION_SUM
        }
    }
}

/// Stateless neural-network functions (torch.nn.functional).
public enum Functional {
    private static func pair(_ v: (Int, Int)) -> [Int64] { [Int64(v.0), Int64(v.1)] }

    /// 2-D convolution of NCHW `input` with OIHW `weight`.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) throws -> Tensor {
        let s = pair(stride), p = pair(padding), d = pair(dilation)
        return try Tensor.wrap(
            "conv2d of \(input.shape) with weight \(weight.shape)",
            ct_conv2d(input.handle, weight.handle, bias?.handle, s, p, d, Int64(groups)))
    }

    /// Batch normalisation. In training mode batch statistics are used and the running stats updated in place.
    public static func batchNorm(
        _ input: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
        training: Bool, momentum: Double = 0.1, eps: Double = 1e-5
    ) throws -> Tensor {
        try Tensor.wrap(
            "batchNorm of \(input.shape)",
            ct_batch_norm(
                input.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
                training, momentum, eps))
    }

    public static func relu(_ x: Tensor) throws -> Tensor { try x.relu() }

    public static func maxPool2d(
        _ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false
    ) throws -> Tensor {
        let k = pair(kernel), s = pair(stride ?? kernel), p = pair(padding)
        return try Tensor.wrap("maxPool2d of \(x.shape)", ct_max_pool2d(x.handle, k, s, p, ceilMode))
    }

    /// Average pooling; `countIncludePad` false divides each window by the input values it covers.
    public static func avgPool2d(
        _ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
        countIncludePad: Bool = true
    ) throws -> Tensor {
        let k = pair(kernel), s = pair(stride ?? kernel), p = pair(padding)
        return try Tensor.wrap("avgPool2d of \(x.shape)", ct_avg_pool2d(x.handle, k, s, p, ceilMode, countIncludePad))
    }

    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
        try Tensor.wrap(
            "adaptiveAvgPool2d of \(x.shape)",
            ct_adaptive_avg_pool2d(x.handle, Int64(outputSize.0), Int64(outputSize.1)))
    }

    /// Global average pooling of NCHW to [N, C].
    public static func globalAvgPool(_ x: Tensor) throws -> Tensor {
        try x.mean(dims: [2, 3])
    }

    /// `x @ weight.T + bias`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try Tensor.wrap("linear of \(x.shape) with weight \(weight.shape)", ct_linear(x.handle, weight.handle, bias?.handle))
    }

    public static func softmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try Tensor.wrap("softmax", ct_softmax(x.handle, Int64(dim), false))
    }

    public static func logSoftmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try Tensor.wrap("logSoftmax", ct_softmax(x.handle, Int64(dim), true))
    }

    /// Cross entropy of logits [N, C] against int64 class indices [N].
    public static func crossEntropy(
        _ logits: Tensor, target: Tensor, labelSmoothing: Double = 0, reduction: Reduction = .mean
    ) throws -> Tensor {
        try Tensor.wrap(
            "crossEntropy of \(logits.shape) against \(target.shape)",
            ct_cross_entropy(logits.handle, target.handle, labelSmoothing, reduction.ct))
    }

    /// Resizes NCHW `x` to `size` (height, width). `alignCorners` applies to bilinear and bicubic.
    public static func interpolate(
        _ x: Tensor, size: (Int, Int), mode: InterpolationMode = .bilinear, alignCorners: Bool? = nil
    ) throws -> Tensor {
        try Tensor.wrap(
            "interpolate \(x.shape) to \(size)",
            ct_interpolate(x.handle, Int64(size.0), Int64(size.1), mode.ct, alignCorners != nil, alignCorners ?? false))
    }

    /// Pads the last dims; `pads` lists (before, after) pairs starting from the last dim, as F.pad.
    public static func pad(_ x: Tensor, _ pads: [Int], mode: PadMode = .constant, value: Double = 0) throws -> Tensor {
        try Tensor.wrap(
            "pad",
            pads.map(Int64.init).withUnsafeBufferPointer {
                ct_pad(x.handle, $0.baseAddress, Int32($0.count), mode.ct, value)
            })
    }
}
