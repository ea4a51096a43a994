import CTorch

/// Element types a `Tensor` can hold.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = 0, float64, int64, uint8, bool, int32, int16, int8, float16, bfloat16

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .int16, .float16, .bfloat16: return 2
        case .uint8, .int8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { [.float32, .float64, .float16, .bfloat16].contains(self) }

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .uint8: "uint8"
        case .bool: "bool"
        case .int32: "int32"
        case .int16: "int16"
        case .int8: "int8"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        }
    }
}

extension DType {
    /// The shim's code for this type.
    var ct: ct_dtype {
        switch self {
        case .float32: CT_FLOAT32
        case .float64: CT_FLOAT64
        case .int64: CT_INT64
        case .uint8: CT_UINT8
        case .bool: CT_BOOL
        case .int32: CT_INT32
        case .int16: CT_INT16
        case .int8: CT_INT8
        case .float16: CT_FLOAT16
        case .bfloat16: CT_BFLOAT16
        }
    }

    /// The type of a shim code (nil for one this enum does not know).
    init?(_ code: ct_dtype) {
        switch code {
        case CT_FLOAT32: self = .float32
        case CT_FLOAT64: self = .float64
        case CT_INT64: self = .int64
        case CT_UINT8: self = .uint8
        case CT_BOOL: self = .bool
        case CT_INT32: self = .int32
        case CT_INT16: self = .int16
        case CT_INT8: self = .int8
        case CT_FLOAT16: self = .float16
        case CT_BFLOAT16: self = .bfloat16
        default: return nil
        }
    }
}

/// A failure reported by libtorch or OpenCV, with the library's own message.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    /// What CAMKit was doing.
    public let operation: String
    /// The message of the underlying C++ exception.
    public let message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }

    /// The error the shim stored for this thread.
    static func last(_ operation: String) -> TorchError {
        TorchError(operation: operation, message: String(cString: ct_last_error()))
    }
}

/// Swift types that map to a tensor element type.
public protocol TensorScalar: Sendable {
    static var dtype: DType { get }
}
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension Int16: TensorScalar { public static var dtype: DType { .int16 } }
extension Int8: TensorScalar { public static var dtype: DType { .int8 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }

/// An n-dimensional array on libtorch's CPU backend. Owns its handle; freed on deinit.
///
/// Every operation throws `TorchError` when libtorch rejects it (shape mismatch, wrong dtype, ...).
public final class Tensor: @unchecked Sendable {
    let handle: OpaquePointer

    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { ct_free(handle) }

    /// Wraps a handle returned by the shim, or throws the shim's stored error.
    @inline(__always)
    static func wrap(_ operation: @autoclosure () -> String, _ result: OpaquePointer?) throws -> Tensor {
        guard let h = result else { throw TorchError.last(operation()) }
        return Tensor(owning: h)
    }

    @inline(__always)
    static func status(_ operation: @autoclosure () -> String, _ code: Int32) throws {
        if code < 0 { throw TorchError.last(operation()) }
    }

    // MARK: creation

    /// A tensor with a copy of `values`, laid out row-major in `shape`.
    public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]) throws {
        let h = values.withUnsafeBytes { raw in
            shape.map(Int64.init).withUnsafeBufferPointer { s in
                ct_from_bytes(raw.baseAddress, raw.count, T.dtype.ct, s.baseAddress, Int32(s.count))
            }
        }
        guard let h else { throw TorchError.last("Tensor(values:shape:)") }
        self.init(owning: h)
    }

    /// A 1-D tensor holding `values`.
    public convenience init<T: TensorScalar>(_ values: [T]) throws {
        try self.init(values, shape: [values.count])
    }

    /// A tensor with a copy of raw bytes interpreted as `dtype` in `shape`.
    public convenience init(bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) throws {
        let h = shape.map(Int64.init).withUnsafeBufferPointer { s in
            ct_from_bytes(bytes.baseAddress, bytes.count, dtype.ct, s.baseAddress, Int32(s.count))
        }
        guard let h else { throw TorchError.last("Tensor(bytes:dtype:shape:)") }
        self.init(owning: h)
    }

    private static func factory(_ kind: ct_factory_kind, _ shape: [Int], _ dtype: DType, _ name: String) throws -> Tensor {
        try wrap(
            name,
            shape.map(Int64.init).withUnsafeBufferPointer {
                ct_factory(kind, dtype.ct, $0.baseAddress, Int32($0.count))
            })
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor { try factory(CT_ZEROS, shape, dtype, "zeros") }
    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor { try factory(CT_ONES, shape, dtype, "ones") }
    public static func empty(_ shape: [Int], dtype: DType = .float32) throws -> Tensor { try factory(CT_EMPTY, shape, dtype, "empty") }
    /// Uniform samples in [0, 1) from the global generator.
    public static func rand(_ shape: [Int], dtype: DType = .float32) throws -> Tensor { try factory(CT_RAND, shape, dtype, "rand") }
    /// Standard normal samples from the global generator.
    public static func randn(_ shape: [Int], dtype: DType = .float32) throws -> Tensor { try factory(CT_RANDN, shape, dtype, "randn") }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> Tensor {
        try wrap(
            "full",
            shape.map(Int64.init).withUnsafeBufferPointer {
                ct_full(value, dtype.ct, $0.baseAddress, Int32($0.count))
            })
    }

    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .int64) throws -> Tensor {
        try wrap("arange", ct_arange(start, end, step, dtype.ct))
    }

    /// Integers uniform in [low, high).
    public static func randint(_ low: Int, _ high: Int, shape: [Int]) throws -> Tensor {
        try wrap(
            "randint",
            shape.map(Int64.init).withUnsafeBufferPointer {
                ct_randint(Int64(low), Int64(high), $0.baseAddress, Int32($0.count))
            })
    }

    /// A random permutation of 0..<n.
    public static func randperm(_ n: Int) throws -> Tensor { try wrap("randperm", ct_randperm(Int64(n))) }

    // MARK: properties

    public var shape: [Int] {
        var dims = [Int64](repeating: 0, count: 16)
        let n = Int(ct_shape(handle, &dims, 16))
        return dims.prefix(Swift.max(n, 0)).map(Int.init)
    }

    /// libtorch's version counter, bumped by every in-place change (optimizer steps, state
    /// loading); -1 for tensors made in inference mode. Lets caches derived from parameters
    /// notice that the parameters changed.
    public var version: Int { Int(ct_version(handle)) }

    public var strides: [Int] {
        var dims = [Int64](repeating: 0, count: 16)
        let n = Int(ct_strides(handle, &dims, 16))
        return dims.prefix(Swift.max(n, 0)).map(Int.init)
    }

    public var rank: Int { Int(ct_ndim(handle)) }
    public var count: Int { Int(ct_numel(handle)) }
    public var dtype: DType {
        var code = CT_FLOAT32
        return ct_get_dtype(handle, &code) == 0 ? DType(code) ?? .float32 : .float32
    }
    public var isContiguous: Bool { ct_is_contiguous(handle, CT_CONTIGUOUS_FORMAT) == 1 }
    public var isChannelsLast: Bool { ct_is_contiguous(handle, CT_CHANNELS_LAST) == 1 }

    // MARK: reading back

    /// The elements in row-major order. `T` must match `dtype`.
    public func scalars<T: TensorScalar>(as _: T.Type = T.self) throws -> [T] {
        guard T.dtype == dtype else {
            throw TorchError(operation: "scalars", message: "tensor holds \(dtype), asked for \(T.dtype)")
        }
        let n = count
        return try [T](unsafeUninitializedCapacity: n) { buf, initialised in
            try Tensor.status("scalars", ct_copy_out(handle, buf.baseAddress, n * T.dtype.byteSize))
            initialised = n
        }
    }

    /// Copies the elements (row-major, own dtype) into `buffer`, whose size must match exactly.
    public func copyBytes(into buffer: UnsafeMutableRawBufferPointer) throws {
        try Tensor.status("copyBytes", ct_copy_out(handle, buffer.baseAddress, buffer.count))
    }

    /// The raw bytes of the elements in row-major order.
    public func bytes() throws -> [UInt8] {
        let n = count * dtype.byteSize
        return try [UInt8](unsafeUninitializedCapacity: n) { buf, initialised in
            try Tensor.status("bytes", ct_copy_out(handle, buf.baseAddress, n))
            initialised = n
        }
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        var v = 0.0
        try Tensor.status("item", ct_item(handle, &v))
        return v
    }

    /// Elements as Float (converting when needed).
    public func floats() throws -> [Float] { try to(.float32).scalars() }

    // MARK: conversion

    public func to(_ dtype: DType) throws -> Tensor {
        if dtype == self.dtype { return self }
        return try Tensor.wrap("to(\(dtype))", ct_to_dtype(handle, dtype.ct))
    }

    public func contiguous() throws -> Tensor { try Tensor.wrap("contiguous", ct_contiguous(handle, CT_CONTIGUOUS_FORMAT)) }
    /// NHWC memory layout for 4-D tensors (same logical shape).
    public func channelsLast() throws -> Tensor { try Tensor.wrap("channelsLast", ct_contiguous(handle, CT_CHANNELS_LAST)) }
    public func clone() throws -> Tensor { try Tensor.wrap("clone", ct_clone(handle)) }
    /// The same data without autograd history.
    public func detach() throws -> Tensor { try Tensor.wrap("detach", ct_detach(handle)) }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(dtype), shape: \(shape))" }
}
