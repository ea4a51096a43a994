import CAMCore
import CAMFormats
import Foundation
import Torch

/// A Keras layer's weights by Keras name (`kernel`, `bias`, `gamma`, `moving_mean`, ...), in
/// Keras' own shapes (HWIO kernels, [in, out] dense kernels).
public typealias KerasLayerWeights = [String: Tensor]

/// Turns one Keras layer (class name, config, weights) into a graph op.
enum KerasLayerFactory {
    /// Where a layer sits, for errors.
    struct Context {
        let file: String
        let layer: String
        let className: String
        /// `keras_version` of the file (Keras 2's `hard_sigmoid` differs from Keras 3's).
        let kerasMajor: Int
    }

    /// Layer classes the importer builds (besides InputLayer and nested models).
    static let supported: [String] = [
        "Conv2D", "Convolution2D", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D", "Dense",
        "BatchNormalization", "LayerNormalization", "Normalization", "Rescaling", "Activation", "ReLU", "LeakyReLU", "PReLU",
        "ELU", "Softmax", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "ZeroPadding2D",
        "Cropping2D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D",
        "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D", "Flatten", "Reshape", "Permute", "UpSampling2D",
        "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "ActivityRegularization", "Identity",
        "LayerScale", "StochasticDepth"
    ]

    static func make(_ cfg: KerasJSON, weights w: KerasLayerWeights, _ ctx: Context) throws -> any GraphOp {
        func fail(_ detail: String) -> KerasGraphError { .badLayer(file: ctx.file, layer: ctx.layer, className: ctx.className, detail: detail) }
        func weight(_ name: String) throws -> Tensor {
            guard let t = w[name] else {
                throw KerasGraphError.missingWeight(file: ctx.file, layer: ctx.layer, weight: name, present: w.keys.sorted())
            }
            return t
        }
        /// Strides, dilations, pool and upsampling sizes: positive (a stride of 0 divided by zero) and
        /// at most `Limits.maxInputSize`.
        func pair(_ key: String, _ fallback: Int) throws -> (Int, Int) {
            guard let v = cfg[key] else { return (fallback, fallback) }
            let xy: (Int, Int)
            if let n = v.intValue {
                xy = (n, n)
            } else {
                guard let a = v.arrayValue, a.count == 2, let x = a[0].intValue, let y = a[1].intValue else { throw fail("bad \(key) \(v)") }
                xy = (x, y)
            }
            let range = 1...Limits.maxInputSize
            guard range.contains(xy.0), range.contains(xy.1) else { throw fail("\(key) \(v) is outside 1...\(Limits.maxInputSize)") }
            return xy
        }
        func padding() throws -> WindowPadding {
            switch cfg["padding"]?.stringValue ?? "valid" {
            case "valid": return .valid
            case "same": return .same
            case let other: throw fail("padding '\(other)' is not supported (valid, same)")
            }
        }
        func activation(_ key: String = "activation") throws -> Activation {
            try KerasActivations.parse(cfg[key], kerasMajor: ctx.kerasMajor) { fail($0) }
        }
        func channelsLast() throws {
            if let format = cfg["data_format"]?.stringValue, format != "channels_last" {
                throw fail("data_format '\(format)' is not supported (channels_last)")
            }
        }
        /// A config value that is a number or a list of numbers (per channel); nil when absent or null.
        func numbers(_ key: String) throws -> [Double]? {
            guard let v = cfg[key], v != .null else { return nil }
            guard let list = v.numberValue.map({ [$0] }) ?? v.arrayValue?.compactMap(\.numberValue), !list.isEmpty else {
                throw fail("bad \(key) \(v)")
            }
            return list
        }
        let useBias = cfg["use_bias"]?.boolValue ?? true
        let name = ctx.className
        switch name {
        case "Conv2D", "Convolution2D":
            try channelsLast()
            let kernel = try weight("kernel")  // HWIO
            guard kernel.rank == 4 else { throw fail("kernel of shape \(kernel.shape), expected [h, w, in, out]") }
            let groups = cfg["groups"]?.intValue ?? 1
            if let filters = cfg["filters"]?.intValue, filters != kernel.shape[3] {
                throw KerasGraphError.wrongShape(
                    file: ctx.file, layer: ctx.layer, weight: "kernel", shape: kernel.shape, expected: "\(filters) filters")
            }
            return try ConvOp(
                kind: name, weight: KerasConversion.convKernelToOIHW(kernel), bias: useBias ? weight("bias") : nil,
                stride: pair("strides", 1), dilation: pair("dilation_rate", 1), groups: groups, padding: padding(),
                activation: activation())
        case "DepthwiseConv2D":
            try channelsLast()
            let kernel = try w["depthwise_kernel"] ?? weight("kernel")  // [h, w, in, multiplier]
            guard kernel.rank == 4 else { throw fail("depthwise kernel of shape \(kernel.shape), expected [h, w, in, multiplier]") }
            return try ConvOp(
                kind: name, weight: depthwiseOIHW(kernel), bias: useBias ? weight("bias") : nil, stride: pair("strides", 1),
                dilation: pair("dilation_rate", 1), groups: kernel.shape[2], padding: padding(), activation: activation())
        case "SeparableConv2D", "SeparableConvolution2D":
            try channelsLast()
            let dw = try weight("depthwise_kernel"), pw = try weight("pointwise_kernel")
            guard dw.rank == 4, pw.rank == 4 else { throw fail("kernels of shapes \(dw.shape), \(pw.shape)") }
            let depthwise = try ConvOp(
                kind: "DepthwiseConv2D", weight: depthwiseOIHW(dw), bias: nil, stride: pair("strides", 1),
                dilation: pair("dilation_rate", 1), groups: dw.shape[2], padding: padding(), activation: .linear)
            let pointwise = try ConvOp(
                kind: "Conv2D", weight: KerasConversion.convKernelToOIHW(pw), bias: useBias ? weight("bias") : nil,
                stride: (1, 1), dilation: (1, 1), groups: 1, padding: .valid, activation: activation())
            return SeparableConvOp(depthwise: depthwise, pointwise: pointwise)
        case "Dense":
            let kernel = try weight("kernel")
            guard kernel.rank == 2 else { throw fail("kernel of shape \(kernel.shape), expected [in, out]") }
            if let units = cfg["units"]?.intValue, units != kernel.shape[1] {
                throw KerasGraphError.wrongShape(file: ctx.file, layer: ctx.layer, weight: "kernel", shape: kernel.shape, expected: "\(units) units")
            }
            return try DenseOp(
                weight: KerasConversion.denseKernelToOutIn(kernel), bias: useBias ? weight("bias") : nil, activation: activation())
        case "BatchNormalization":
            try checkChannelAxis(cfg["axis"], fail)
            let mean = try weight("moving_mean"), variance = try weight("moving_variance")
            let scale = cfg["scale"]?.boolValue ?? true, center = cfg["center"]?.boolValue ?? true
            return try BatchNormOp(
                gamma: scale ? weight("gamma") : nil, beta: center ? weight("beta") : nil, movingMean: mean,
                movingVariance: variance, epsilon: cfg["epsilon"]?.numberValue ?? 1e-3, momentum: cfg["momentum"]?.numberValue ?? 0.99)
        case "LayerNormalization":
            let axes = cfg["axis"].flatMap { $0.intValue.map { [$0] } ?? $0.arrayValue?.compactMap(\.intValue) } ?? [-1]
            let scale = cfg["scale"]?.boolValue ?? true, center = cfg["center"]?.boolValue ?? true
            let channelOnly = axes == [-1] || axes == [3]
            let all = Set(axes) == [1, 2, 3] || Set(axes) == [-1, -2, -3]
            guard channelOnly || all else { throw fail("normalising over axes \(axes) is not supported (-1, or [1, 2, 3])") }
            func layout(_ t: Tensor) throws -> Tensor { all && t.rank == 3 ? try t.permute([2, 0, 1]).contiguous() : t }
            return try LayerNormOp(
                gamma: scale ? layout(weight("gamma")) : nil, beta: center ? layout(weight("beta")) : nil,
                epsilon: cfg["epsilon"]?.numberValue ?? 1e-3, allAxes: all && !channelOnly)
        case "Normalization":
            if cfg["invert"]?.boolValue == true { throw fail("invert=True is not supported") }
            try checkChannelAxis(cfg["axis"], fail)
            // Mean and variance given to the constructor live in the config; adapted ones are weights.
            if let mean = try numbers("mean"), let variance = try numbers("variance") {
                return NormalizationOp(
                    mean: try Tensor(mean.map { Float($0) }, shape: [mean.count]),
                    variance: try Tensor(variance.map { Float($0) }, shape: [variance.count]), count: nil, stored: false)
            }
            return NormalizationOp(mean: try weight("mean").flatten(), variance: try weight("variance").flatten(), count: w["count"])
        case "Rescaling":
            return RescalingOp(scale: try numbers("scale") ?? [1], offset: try numbers("offset") ?? [0])
        case "Activation":
            return ActivationOp(try activation())
        case "ReLU":
            let maxValue = cfg["max_value"]?.numberValue
            return ActivationOp(
                kind: name,
                .relu(maxValue: maxValue, negativeSlope: cfg["negative_slope"]?.numberValue ?? 0, threshold: cfg["threshold"]?.numberValue ?? 0))
        case "LeakyReLU":
            let slope = cfg["negative_slope"]?.numberValue ?? cfg["alpha"]?.numberValue ?? 0.3
            return ActivationOp(kind: name, .relu(maxValue: nil, negativeSlope: slope, threshold: 0))
        case "PReLU":
            let alpha = try weight("alpha")
            // Keras' alpha has the input's shape without the batch (channels last), 1 on shared axes.
            let shaped = alpha.rank == 3 ? try alpha.permute([2, 0, 1]).unsqueeze(0).contiguous() : alpha
            return try PReLUOp(alpha: shaped)
        case "ELU":
            return ActivationOp(kind: name, .elu(alpha: cfg["alpha"]?.numberValue ?? 1))
        case "Softmax":
            let axis = cfg["axis"]?.intValue ?? cfg["axis"]?.arrayValue?.first?.intValue ?? -1
            return ActivationOp(kind: name, .softmax(axis: axis))
        case "Add": return MergeOp(kind: name, .add)
        case "Subtract": return MergeOp(kind: name, .subtract)
        case "Multiply": return MergeOp(kind: name, .multiply)
        case "Average": return MergeOp(kind: name, .average)
        case "Maximum": return MergeOp(kind: name, .maximum)
        case "Minimum": return MergeOp(kind: name, .minimum)
        case "Concatenate": return ConcatenateOp(axis: cfg["axis"]?.intValue ?? -1)
        case "ZeroPadding2D", "Cropping2D":
            try channelsLast()
            let key = name == "ZeroPadding2D" ? "padding" : "cropping"
            let (t, b, l, r) = try padAmounts(cfg[key], fail)
            return PadCropOp(kind: name, top: t, bottom: b, left: l, right: r, crops: name == "Cropping2D")
        case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
            try channelsLast()
            let kernel = try pair("pool_size", 2)
            let stride = cfg["strides"] == nil || cfg["strides"] == .null ? kernel : try pair("strides", kernel.0)
            return PoolOp(kind: name, mode: name.hasPrefix("Max") ? .max : .average, kernel: kernel, stride: stride, padding: try padding())
        case "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D":
            try channelsLast()
            return GlobalPoolOp(kind: name, mode: name.contains("Max") ? .max : .average, keepDims: cfg["keepdims"]?.boolValue ?? false)
        case "Flatten":
            try channelsLast()
            return ReshapeOp(kind: name, .flatten)
        case "Reshape":
            guard let shape = cfg["target_shape"]?.arrayValue?.compactMap(\.intValue), !shape.isEmpty else { throw fail("no target_shape") }
            return ReshapeOp(kind: name, .reshape(shape))
        case "Permute":
            guard let dims = cfg["dims"]?.arrayValue?.compactMap(\.intValue), !dims.isEmpty else { throw fail("no dims") }
            return ReshapeOp(kind: name, .permute(dims))
        case "UpSampling2D":
            try channelsLast()
            let interpolation = cfg["interpolation"]?.stringValue ?? "nearest"
            guard interpolation == "nearest" || interpolation == "bilinear" else {
                throw fail("interpolation '\(interpolation)' is not supported (nearest, bilinear)")
            }
            return UpSamplingOp(size: try pair("size", 2), bilinear: interpolation == "bilinear")
        case "Dropout": return NoiseOp(kind: name, .dropout(rate: cfg["rate"]?.numberValue ?? 0))
        case "SpatialDropout2D": return NoiseOp(kind: name, .spatialDropout(rate: cfg["rate"]?.numberValue ?? 0))
        case "GaussianNoise": return NoiseOp(kind: name, .gaussianNoise(stddev: cfg["stddev"]?.numberValue ?? 0))
        case "GaussianDropout": return NoiseOp(kind: name, .gaussianDropout(rate: cfg["rate"]?.numberValue ?? 0))
        case "ActivityRegularization", "Identity": return NoiseOp(kind: name, .identity)
        case "StochasticDepth":
            return NoiseOp(kind: name, .stochasticDepth(rate: cfg["drop_path_rate"]?.numberValue ?? cfg["rate"]?.numberValue ?? 0))
        case "LayerScale":
            // keras.applications' LayerScale has one weight, unnamed in Keras 3 (`variable`, `variable_1`, ...).
            return try LayerScaleOp(gamma: (w["gamma"] ?? (w.count == 1 ? w.values.first : nil) ?? weight("gamma")).flatten())
        default:
            throw KerasGraphError.unsupportedLayer(file: ctx.file, layer: ctx.layer, className: name, supported: supported)
        }
    }

    /// Keras' depthwise kernel [h, w, in, multiplier] as a grouped OIHW weight [in · multiplier, 1, h, w].
    static func depthwiseOIHW(_ k: Tensor) throws -> Tensor {
        let s = k.shape
        return try k.permute([2, 3, 0, 1]).contiguous().reshape([s[2] * s[3], 1, s[0], s[1]])
    }

    /// Only the channel axis (-1 or 3) is supported for per-channel layers.
    private static func checkChannelAxis(_ axis: KerasJSON?, _ fail: (String) -> KerasGraphError) throws {
        guard let axis else { return }
        let values = axis.intValue.map { [$0] } ?? axis.arrayValue?.compactMap(\.intValue) ?? []
        guard values == [-1] || values == [3] else { throw fail("axis \(axis) is not supported (the channel axis, -1)") }
    }

    /// `padding` / `cropping` as int, (sym_h, sym_w) or ((top, bottom), (left, right)).
    private static func padAmounts(_ v: KerasJSON?, _ fail: (String) -> KerasGraphError) throws -> (Int, Int, Int, Int) {
        guard let v else { return (1, 1, 1, 1) }
        if let n = v.intValue { return (n, n, n, n) }
        guard let a = v.arrayValue, a.count == 2 else { throw fail("bad padding \(v)") }
        if let h = a[0].intValue, let w = a[1].intValue { return (h, h, w, w) }
        guard let hv = a[0].arrayValue?.compactMap(\.intValue), let wv = a[1].arrayValue?.compactMap(\.intValue), hv.count == 2, wv.count == 2
        else { throw fail("bad padding \(v)") }
        return (hv[0], hv[1], wv[0], wv[1])
    }
}
