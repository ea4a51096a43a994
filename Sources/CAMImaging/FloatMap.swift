import CAMCore

/// A single-channel float map (`height` rows of `width` values, row-major), e.g. a class activation map.
public struct FloatMap: Sendable, Equatable {
    /// Values per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// The values, row after row.
    public private(set) var values: [Float]

    /// A map over `values` (row-major); throws when the count does not match the size.
    public init(width: Int, height: Int, values: [Float]) throws {
        try FloatMap.validate(width: width, height: height)
        guard values.count == width * height else {
            throw CAMError("FloatMap", "\(width)x\(height) needs \(width * height) values, got \(values.count)")
        }
        self.width = width
        self.height = height
        self.values = values
    }

    /// A map with every value set to `value`.
    public init(width: Int, height: Int, repeating value: Float = 0) throws {
        try FloatMap.validate(width: width, height: height)
        self.width = width
        self.height = height
        self.values = [Float](repeating: value, count: width * height)
    }

    private static func validate(width: Int, height: Int) throws {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
            !width.multipliedReportingOverflow(by: height).overflow
        else {
            throw CAMError("FloatMap", "invalid size \(width)x\(height)")
        }
    }

    /// The value at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "map index out of range")
            return values[y * width + x]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "map index out of range")
            values[y * width + x] = newValue
        }
    }

    /// Calls `body` with the values, writable in place.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// Smallest and largest value, ignoring NaN (nil when every value is NaN).
    public var range: ClosedRange<Float>? {
        var lo = Float.infinity, hi = -Float.infinity
        var any = false
        values.withUnsafeBufferPointer { v in
            for x in v where !x.isNaN {
                any = true
                if x < lo { lo = x }
                if x > hi { hi = x }
            }
        }
        return any ? lo...hi : nil
    }

    /// Every value transformed by `f`.
    public func map(_ f: (Float) throws -> Float) rethrows -> FloatMap {
        var out = self
        try out.values.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] = try f(v[i]) }
        }
        return out
    }

    /// Divided by the maximum (the tutorial's `cam /= np.max(cam)`); unchanged when the maximum is not positive.
    public func dividedByMax() -> FloatMap {
        guard let r = range, r.upperBound > 0 else { return self }
        let m = r.upperBound
        return map { $0 / m }
    }

    /// Scaled to [0, 1] by (v - min) / (max - min); all zeros when the map is constant.
    public func minMaxNormalized() -> FloatMap {
        guard let r = range else { return self }
        let span = r.upperBound - r.lowerBound
        let lo = r.lowerBound
        if span <= 0 { return map { $0.isNaN ? $0 : 0 } }
        return map { ($0 - lo) / span }
    }

    /// How float values become bytes in `toImage`.
    public enum Rounding: Sendable {
        /// Toward zero, like NumPy's `astype(np.uint8)` (the tutorial's `(cam * 255).astype(np.uint8)`), clamped to 0...255.
        case truncate
        /// To nearest, ties to even, clamped to 0...255, like OpenCV's `convertTo(CV_8U)`.
        case nearest
    }

    /// A 1-channel image of `value * scale`, converted by `rounding` and clamped to 0...255 (NaN becomes 0).
    public func toImage(scale: Float = 255, rounding: Rounding = .truncate) -> Image {
        let n = values.count
        var out = [UInt8](repeating: 0, count: n)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    var v = src[i] * scale
                    if v.isNaN { v = 0 }
                    v = rounding == .truncate ? v.rounded(.towardZero) : v.rounded(.toNearestOrEven)
                    dst[i] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                }
            }
        }
        // Size was validated when this map was made.
        return try! Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// A 1-channel 0/255 mask of the values above `threshold`.
    public func mask(above threshold: Float) -> Image {
        try! Image(width: width, height: height, channels: 1, pixels: maskBytes(above: threshold).bytes)
    }

    /// The pixels of `mask(above:)` (255 where a value is above `threshold`, NaN never) and how
    /// many are 255; 16 values at a time.
    public func maskBytes(above threshold: Float) -> (bytes: [UInt8], count: Int) {
        let n = values.count
        var count = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: n) { m, initialized in
            values.withUnsafeBufferPointer { v in
                // A lane comparison is -1/0 as Int32; truncated to a byte it is 0xFF/0x00.
                let lanes = 16, t = SIMD16<Float>(repeating: threshold)
                var counts = SIMD16<Int32>()
                var i = 0
                if let src = v.baseAddress, let dst = m.baseAddress {
                    let raw = UnsafeRawPointer(src), out = UnsafeMutableRawPointer(dst)
                    while i + lanes <= n {
                        let inside = unsafeBitCast(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) .> t, to: SIMD16<Int32>.self)
                        out.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: inside), toByteOffset: i, as: SIMD16<UInt8>.self)
                        counts &-= inside
                        i += lanes
                    }
                }
                count = Int(counts.wrappedSum())
                while i < n {
                    m[i] = v[i] > threshold ? 255 : 0
                    count += v[i] > threshold ? 1 : 0
                    i += 1
                }
            }
            initialized = n
        }
        return (bytes, count)
    }
}

extension Image {
    /// The samples of a 1-channel image as floats, each multiplied by `scale`.
    public func toFloatMap(scale: Float = 1) throws -> FloatMap {
        guard channels == 1 else {
            throw CAMError("toFloatMap", "expected 1 channel, got \(channels)")
        }
        return try FloatMap(width: width, height: height, values: pixels.map { Float($0) * scale })
    }
}
