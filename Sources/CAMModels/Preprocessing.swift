import Torch
import CAMImaging

/// How an RGB image becomes the network's input. Travels with the model in checkpoints.
public enum Preprocessing: String, Codable, Sendable, CaseIterable {
    /// The tutorial: `tf.image.resize` to the input size (bilinear on floats, half-pixel centres,
    /// no antialiasing), then divide by 255.
    case seed
    /// torchvision: resize, divide by 255, subtract the ImageNet mean and divide by its std.
    case imagenet
    /// Keras ResNet `preprocess_input`: resize, RGB→BGR, subtract the ImageNet BGR mean; no scaling.
    case caffe
    /// Keras `preprocess_input` in "tf" mode (MobileNet, Xception, Inception): resize, then `x / 127.5 − 1`.
    case tf
    /// Resize only: pixel values 0...255 as floats, for models that scale inside (a Keras
    /// `Rescaling` or `Normalization` layer first: EfficientNet, ConvNeXt).
    case raw

    static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    static let imagenetStd: [Float] = [0.229, 0.224, 0.225]
    static let caffeMeanBGR: [Float] = [103.939, 116.779, 123.68]

    /// Turns HWC uint8 RGB pixels [H, W, 3] into a [3, size, size] float tensor.
    public func apply(pixels: Tensor, size: Int) throws -> Tensor {
        let chw = try pixels.to(.float32).permute([2, 0, 1]).unsqueeze(0)
        let resized =
            try (chw.shape[2] == size && chw.shape[3] == size)
            ? chw
            : Functional.interpolate(chw, size: (size, size), mode: .bilinear, alignCorners: false)
        let x = try resized[0]
        switch self {
        case .seed:
            return try x / 255.0
        case .imagenet:
            let mean = try Tensor(Self.imagenetMean, shape: [3, 1, 1])
            let std = try Tensor(Self.imagenetStd, shape: [3, 1, 1])
            return try ((x / 255.0) - mean) / std
        case .caffe:
            let bgr = try x.flip([0])
            return try bgr - Tensor(Self.caffeMeanBGR, shape: [3, 1, 1])
        case .tf:
            return try x / 127.5 - 1
        case .raw:
            return x
        }
    }
}

extension Preprocessing {
    /// How JPEGs are decoded for a model with this preprocessing unless asked otherwise: as
    /// TensorFlow does for the tutorial's (`seed`: a Keras model fed by `tf.io` decoding), as
    /// OpenCV and PIL do for the others.
    public var defaultJPEGDecoder: JPEGDecoder { self == .seed ? .tf : .accurate }
}
