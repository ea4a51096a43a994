import CAMCore
import Torch

/// Conversions between the imaging types and tensors.
extension Image {
    /// The pixels as a uint8 tensor [height, width, channels].
    public func tensor() throws -> Tensor {
        try withUnsafeBufferPointer { try Tensor(bytes: UnsafeRawBufferPointer($0), dtype: .uint8, shape: [height, width, channels]) }
    }

    /// An image from a uint8 tensor [height, width, channels].
    public init(tensor: Tensor) throws {
        let s = tensor.shape
        guard s.count == 3, tensor.dtype == .uint8 else {
            throw CAMError("Image(tensor:)", "expected a uint8 [H, W, C] tensor, got \(tensor.dtype) \(s)")
        }
        try self.init(width: s[1], height: s[0], channels: s[2], pixels: tensor.scalars(as: UInt8.self))
    }
}

extension FloatMap {
    /// A map from a float tensor [height, width].
    public init(tensor: Tensor) throws {
        let s = tensor.shape
        guard s.count == 2 else {
            throw CAMError("FloatMap(tensor:)", "expected a [H, W] tensor, got \(s)")
        }
        try self.init(width: s[1], height: s[0], values: tensor.to(.float32).contiguous().scalars(as: Float.self))
    }

    /// The values as a float32 tensor [height, width].
    public func tensor() throws -> Tensor { try Tensor(values, shape: [height, width]) }
}
