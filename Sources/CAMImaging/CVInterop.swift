import CAMCore
import CCV

extension CAMError {
    /// The error the OpenCV shim stored for this thread: content OpenCV could not process.
    static func openCV(_ operation: String, path: String? = nil) -> CAMError {
        let text = String(cString: ctcv_last_error())
        return CAMError(operation, text.isEmpty ? "unknown OpenCV failure" : text, path: path, kind: .unprocessable)
    }
}

/// Owns one `ctcv_mat` returned by the shim.
final class CVMat {
    let handle: OpaquePointer

    /// Runs a shim call that returns a new matrix; NULL becomes the stored error.
    init(_ operation: String, path: String? = nil, _ make: () -> OpaquePointer?) throws {
        ctcv_clear_error()
        guard let h = make() else { throw CAMError.openCV(operation, path: path) }
        handle = h
    }

    deinit { ctcv_mat_free(handle) }

    var rows: Int { Int(ctcv_mat_rows(handle)) }
    var cols: Int { Int(ctcv_mat_cols(handle)) }
    var channels: Int { Int(ctcv_mat_channels(handle)) }
    var depth: Int32 { Int32(ctcv_mat_depth(handle)) }
    var byteCount: Int { Int(ctcv_mat_nbytes(handle)) }

    /// The raw bytes.
    func bytes() -> [UInt8] {
        let n = byteCount
        guard n > 0, let src = ctcv_mat_data(handle) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: src, count: n))
    }

    /// The matrix as an 8-bit image.
    func image(_ operation: String) throws -> Image {
        guard depth == Int32(CTCV_DEPTH_8U) else {
            throw CAMError(operation, "expected an 8-bit result, got depth code \(depth)")
        }
        return try Image(width: cols, height: rows, channels: channels, pixels: bytes())
    }

    /// The matrix as a single-channel float map.
    func floatMap(_ operation: String) throws -> FloatMap {
        guard depth == Int32(CTCV_DEPTH_32F), channels == 1 else {
            throw CAMError(operation, "expected a 1-channel float result, got depth code \(depth) with \(channels) channels")
        }
        let n = rows * cols
        var values = [Float](repeating: 0, count: n)
        if n > 0, let src = ctcv_mat_data(handle) {
            values.withUnsafeMutableBytes { dst in
                dst.copyMemory(from: UnsafeRawBufferPointer(start: src, count: n * MemoryLayout<Float>.stride))
            }
        }
        return try FloatMap(width: cols, height: rows, values: values)
    }
}

/// Turns a shim status code (-1 on failure) into a thrown error.
func cvCheck(_ operation: String, path: String? = nil, _ status: Int32) throws {
    if status != 0 { throw CAMError.openCV(operation, path: path) }
}

/// Calls `body` with a read-only view of `bytes` as rows x cols x channels elements of `depth`.
func withView<T, R>(
    _ array: [T], rows: Int, cols: Int, channels: Int, depth: Int32,
    _ body: (ctcv_view) throws -> R
) rethrows -> R {
    try array.withUnsafeBytes { raw in
        let view = ctcv_view(
            data: UnsafeMutableRawPointer(mutating: raw.baseAddress), rows: Int32(clamping: rows),
            cols: Int32(clamping: cols), channels: Int32(clamping: channels), depth: depth)
        return try body(view)
    }
}

/// A matrix the shim reads through a `ctcv_view` and returns as a new `ctcv_mat`: `Image` (8-bit)
/// and `FloatMap` (1-channel float32), so one shim call serves both.
protocol CVMatrix {
    /// A read-only shim view of the samples.
    func withCVView<R>(_ body: (ctcv_view) throws -> R) rethrows -> R
    /// The shim's result read back as this type; `operation` names the call in errors.
    init(_ mat: CVMat, operation: String) throws
}

extension CVMatrix {
    /// Runs a shim call that makes a new matrix of this type from this one's view.
    func cvTransformed(_ operation: String, _ make: (ctcv_view) -> OpaquePointer?) throws -> Self {
        let mat = try withCVView { view in try CVMat(operation) { make(view) } }
        return try Self(mat, operation: operation)
    }

    /// `cv::addWeighted`: a * alpha + b * beta + gamma (saturated and rounded for 8 bits).
    static func cvAddWeighted(_ a: Self, _ alpha: Double, _ b: Self, _ beta: Double, gamma: Double) throws -> Self {
        try a.cvTransformed("addWeighted") { va in
            b.withCVView { vb in ctcv_add_weighted(va, alpha, vb, beta, gamma) }
        }
    }
}

extension Image: CVMatrix {
    init(_ mat: CVMat, operation: String) throws { self = try mat.image(operation) }

    /// A read-only shim view of the pixels.
    func withCVView<R>(_ body: (ctcv_view) throws -> R) rethrows -> R {
        try withView(pixels, rows: height, cols: width, channels: channels, depth: Int32(CTCV_DEPTH_8U), body)
    }

    /// A writable shim view of the pixels (for drawing in place).
    mutating func withMutableCVView<R>(_ body: (ctcv_view) throws -> R) rethrows -> R {
        let (w, h, c) = (width, height, channels)
        return try withUnsafeMutableBufferPointer { buffer in
            let view = ctcv_view(
                data: UnsafeMutableRawPointer(buffer.baseAddress), rows: Int32(clamping: h),
                cols: Int32(clamping: w), channels: Int32(clamping: c), depth: Int32(CTCV_DEPTH_8U))
            return try body(view)
        }
    }
}

extension FloatMap: CVMatrix {
    init(_ mat: CVMat, operation: String) throws { self = try mat.floatMap(operation) }

    /// A read-only shim view of the values (1-channel float32).
    func withCVView<R>(_ body: (ctcv_view) throws -> R) rethrows -> R {
        try withView(values, rows: height, cols: width, channels: 1, depth: Int32(CTCV_DEPTH_32F), body)
    }
}

/// A point type the shim's point functions take (`const void *points, int n, int depth`): x, y
/// pairs of `Coordinate`, which is `depth`.
protocol ShimPoint {
    associatedtype Coordinate
    static var shimDepth: Int32 { get }
    var shimCoordinates: (Coordinate, Coordinate) { get }
}

/// A coordinate type of `Point2` that the shim takes: the value it is passed as, and that type's depth.
protocol ShimCoordinate {
    associatedtype Shim
    static var shimDepth: Int32 { get }
    var shimValue: Shim { get }
}

extension Int: ShimCoordinate {
    static var shimDepth: Int32 { Int32(CTCV_DEPTH_32S) }
    var shimValue: Int32 { Int32(clamping: self) }
}

extension Float: ShimCoordinate {
    static var shimDepth: Int32 { Int32(CTCV_DEPTH_32F) }
    var shimValue: Float { self }
}

extension Point2: ShimPoint where Scalar: ShimCoordinate {
    static var shimDepth: Int32 { Scalar.shimDepth }
    var shimCoordinates: (Scalar.Shim, Scalar.Shim) { (x.shimValue, y.shimValue) }
}

extension Array where Element: ShimPoint {
    /// Calls `body` with the points laid out for the shim: x, y pairs, their count and depth.
    func withShimPoints<R>(_ body: (UnsafeRawPointer?, Int32, Int32) throws -> R) rethrows -> R {
        var flat: [Element.Coordinate] = []
        flat.reserveCapacity(count * 2)
        for p in self {
            let (x, y) = p.shimCoordinates
            flat.append(x)
            flat.append(y)
        }
        return try flat.withUnsafeBytes { try body($0.baseAddress, Int32(count), Element.shimDepth) }
    }
}
