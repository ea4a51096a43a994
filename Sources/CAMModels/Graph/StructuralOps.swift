import Torch

/// A layer that applies one activation: Keras' `Activation`, and the activation layers with
/// parameters (`Softmax` on a given axis, `ReLU` / `LeakyReLU`, `ELU`).
public final class ActivationOp: ModeGraphOp<ActivationOp.Mode>, GraphOp, ShapeOnlyOp {
    /// The function and its parameters.
    public enum Mode: Sendable, Equatable {
        /// An `activation=` function.
        case named(Activation)
        /// Softmax over a Keras axis (negative from the end), mapped to the graph's layout per input rank.
        case softmax(axis: Int)
        /// Keras' ReLU layer: `max_value` above the cap, `x` from `threshold` up,
        /// `negative_slope · (x − threshold)` below.
        case relu(maxValue: Double?, negativeSlope: Double, threshold: Double)
        /// `x` for `x > 0`, `α (eˣ − 1)` otherwise.
        case elu(alpha: Double)
    }

    /// An `Activation` layer.
    public convenience init(_ activation: Activation) { self.init(kind: "Activation", .named(activation)) }

    /// Whether the layer is a softmax (over the channels or a given axis).
    public var isSoftmax: Bool {
        switch mode {
        case .named(let activation): activation == .softmax
        case .softmax: true
        case .relu, .elu: false
        }
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        switch mode {
        case .named(let activation):
            return try activation(x)
        case .softmax(let axis):
            return try Functional.softmax(x, dim: KerasAxis.dim(axis, rank: x.rank))
        case let .relu(maxValue, negativeSlope, threshold):
            var y: Tensor
            if negativeSlope == 0 && threshold == 0 {
                y = try x.relu()
            } else {
                let below = try (x - threshold) * negativeSlope
                y = try Tensor.where(x.ge(threshold), x, below)
            }
            if let maxValue { y = try y.clamp(max: maxValue) }
            return y
        case .elu(let alpha):
            if alpha == 1 { return try x.elu() }
            return try Tensor.where(x.gt(0), x, (x.exp() - 1) * alpha)
        }
    }
}

/// Add, Subtract, Multiply, Average, Maximum, Minimum (broadcasting, as Keras allows for
/// squeeze-and-excite products).
public final class MergeOp: ModeGraphOp<MergeOp.Mode>, GraphOp {
    public enum Mode: String, Sendable { case add, subtract, multiply, average, maximum, minimum }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count >= (mode == .subtract ? 2 : 1), mode != .subtract || inputs.count == 2 else {
            throw GraphError.arity(kind: kind, expected: mode == .subtract ? "2" : "1 or more", got: inputs.count)
        }
        var y = inputs[0]
        for x in inputs.dropFirst() {
            switch mode {
            case .add, .average: y = try y + x
            case .subtract: y = try y - x
            case .multiply: y = try y * x
            case .maximum: y = try y.maximum(x)
            case .minimum: y = try y.minimum(x)
            }
        }
        return mode == .average ? try y / Double(inputs.count) : y
    }
}

/// A tensor and a constant number: keras.ops nodes such as MobileNetV3's `x + 3.0` and `x * (1 / 6)`.
public final class ScalarArithmeticOp: GraphOp {
    public enum Mode: String, Sendable { case add, subtract, multiply, divide }
    public let kind: String
    public let mode: Mode
    public let constant: Double
    /// Whether the constant is the left operand (`3 - x`).
    public let constantFirst: Bool
    public var isTraining = true

    public init(kind: String, _ mode: Mode, constant: Double, constantFirst: Bool) {
        (self.kind, self.mode, self.constant, self.constantFirst) = (kind, mode, constant, constantFirst)
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        switch (mode, constantFirst) {
        case (.add, _): return try x + constant
        case (.multiply, _): return try x * constant
        case (.subtract, false): return try x - constant
        case (.subtract, true): return try constant - x
        case (.divide, false): return try x / constant
        case (.divide, true): return try constant / x
        }
    }
}

/// Concatenate along a Keras axis.
public final class ConcatenateOp: GraphOp {
    public let kind = "Concatenate"
    public let axis: Int
    public var isTraining = true

    public init(axis: Int) { self.axis = axis }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first else { throw GraphError.arity(kind: kind, expected: "1 or more", got: 0) }
        return try Tensor.cat(inputs, dim: KerasAxis.dim(axis, rank: first.rank))
    }
}

/// ZeroPadding2D and Cropping2D: (top, bottom, left, right) pixels added or removed.
public final class PadCropOp: GraphOp, ShapeOnlyOp {
    public let kind: String
    public let top: Int, bottom: Int, left: Int, right: Int
    /// Crop instead of pad.
    public let crops: Bool
    public var isTraining = true

    public init(kind: String, top: Int, bottom: Int, left: Int, right: Int, crops: Bool) {
        self.kind = kind
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
        self.crops = crops
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try featureMap(single(inputs))
        guard crops else { return try Functional.pad(x, [left, right, top, bottom]) }
        let h = x.shape[2], w = x.shape[3]
        guard top + bottom < h, left + right < w else {
            throw GraphError.shape(kind: kind, detail: "cropping (\(top), \(bottom)), (\(left), \(right)) leaves nothing of \(h)x\(w)")
        }
        return try x.slice(dim: 2, start: top, end: h - bottom).slice(dim: 3, start: left, end: w - right)
    }
}

/// MaxPooling2D and AveragePooling2D (`same` as TensorFlow: padding is never a maximum and never
/// counted in an average).
public final class PoolOp: GraphOp, ShapeOnlyOp {
    public enum Mode: Sendable { case max, average }
    public let kind: String
    public let mode: Mode
    public let kernel: (Int, Int)
    public let stride: (Int, Int)
    public let padding: WindowPadding
    public var isTraining = true

    public init(kind: String, mode: Mode, kernel: (Int, Int), stride: (Int, Int), padding: WindowPadding) {
        self.kind = kind
        self.mode = mode
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try featureMap(single(inputs))
        let (top, bottom) = padding.amounts(size: x.shape[2], kernel: kernel.0, stride: stride.0)
        let (left, right) = padding.amounts(size: x.shape[3], kernel: kernel.1, stride: stride.1)
        let pads = [left, right, top, bottom]
        switch mode {
        case .max:
            let input = pads.allSatisfy({ $0 == 0 }) ? x : try Functional.pad(x, pads, value: -Double.infinity)
            return try Functional.maxPool2d(input, kernel: kernel, stride: stride)
        case .average:
            if top == bottom && left == right {
                return try Functional.avgPool2d(x, kernel: kernel, stride: stride, padding: (top, left), countIncludePad: false)
            }
            // Asymmetric: the padded sum over the number of real values under each window.
            let ones = try Tensor.ones([1, 1, x.shape[2], x.shape[3]])
            let sums = try Functional.avgPool2d(Functional.pad(x, pads), kernel: kernel, stride: stride)
            let counts = try Functional.avgPool2d(Functional.pad(ones, pads), kernel: kernel, stride: stride)
            return try sums / counts
        }
    }
}

/// GlobalAveragePooling2D and GlobalMaxPooling2D.
public final class GlobalPoolOp: GraphOp, ShapeOnlyOp {
    public let kind: String
    public let mode: PoolOp.Mode
    public let keepDims: Bool
    public var isTraining = true

    public init(kind: String, mode: PoolOp.Mode, keepDims: Bool) {
        self.kind = kind
        self.mode = mode
        self.keepDims = keepDims
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try featureMap(single(inputs))
        return mode == .average ? try x.mean(dims: [2, 3], keepDim: keepDims) : try x.max(dims: [2, 3], keepDim: keepDims)
    }
}

/// UpSampling2D: nearest or bilinear (half-pixel centres, as `tf.image.resize`).
public final class UpSamplingOp: GraphOp, ShapeOnlyOp {
    public let kind = "UpSampling2D"
    public let size: (Int, Int)
    public let bilinear: Bool
    public var isTraining = true

    public init(size: (Int, Int), bilinear: Bool) {
        self.size = size
        self.bilinear = bilinear
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try featureMap(single(inputs))
        let out = (x.shape[2] * size.0, x.shape[3] * size.1)
        return try Functional.interpolate(x, size: out, mode: bilinear ? .bilinear : .nearest, alignCorners: bilinear ? false : nil)
    }
}

/// Flatten, Reshape and Permute, in Keras' channels-last order (feature maps are viewed as NHWC
/// for the operation and turned back to NCHW when the result is 4-D).
public final class ReshapeOp: ModeGraphOp<ReshapeOp.Mode>, GraphOp, ShapeOnlyOp {
    public enum Mode: Sendable {
        case flatten
        /// Keras' target shape without the batch (-1 allowed once).
        case reshape([Int])
        /// Keras' 1-based permutation of the non-batch axes.
        case permute([Int])
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        let keras = x.rank == 4 ? try x.permute([0, 2, 3, 1]) : x
        var y: Tensor
        switch mode {
        case .flatten: y = try keras.contiguous().flatten(from: 1)
        case .reshape(let shape): y = try keras.contiguous().reshape([x.shape[0]] + shape)
        case .permute(let dims):
            guard dims.count == x.rank - 1 else {
                throw GraphError.shape(kind: kind, detail: "permutation \(dims) for an input of rank \(x.rank)")
            }
            y = try keras.permute([0] + dims)
        }
        return y.rank == 4 ? try y.permute([0, 3, 1, 2]) : y
    }
}

/// Rescaling: `x · scale + offset` (scalars or per channel).
public final class RescalingOp: GraphOp, ShapeOnlyOp {
    public let kind = "Rescaling"
    public let scale: [Double]
    public let offset: [Double]
    public var isTraining = true

    public init(scale: [Double], offset: [Double]) {
        self.scale = scale
        self.offset = offset
    }

    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        func values(_ v: [Double]) throws -> Tensor { try perChannel(Tensor(v.map(Float.init), shape: [v.count]), like: x) }
        let scaled = scale.count == 1 ? try x * scale[0] : try x * values(scale)
        return offset.count == 1 ? try scaled + offset[0] : try scaled + values(offset)
    }
}

/// Keras axes on the graph's layout: for 4-D tensors (NCHW here, NHWC in Keras) axis 3 / -1 is
/// dim 1 and axes 1, 2 are dims 2, 3; other ranks keep their axes.
enum KerasAxis {
    static func dim(_ axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard rank == 4 else { return a }
        return [0, 2, 3, 1][Swift.max(0, Swift.min(3, a))]
    }
}
