import CAMCore

/// An 8-bit image: `height` rows of `width` pixels of `channels` interleaved samples (HWC),
/// stored contiguously. Three channels are RGB, four RGBA, one gray.
public struct Image: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel: 1 (gray), 3 (RGB) or 4 (RGBA); 2 is allowed but has no colour meaning.
    public let channels: Int
    /// The samples, row after row, `width * height * channels` of them.
    public private(set) var pixels: [UInt8]

    /// An image over `pixels` (HWC); throws when the count does not match the size.
    public init(width: Int, height: Int, channels: Int = 3, pixels: [UInt8]) throws {
        try Image.validate(width: width, height: height, channels: channels)
        guard pixels.count == width * height * channels else {
            throw CAMError("Image", "\(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image with every sample set to `value`.
    public init(width: Int, height: Int, channels: Int = 3, repeating value: UInt8 = 0) throws {
        try Image.validate(width: width, height: height, channels: channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = [UInt8](repeating: value, count: width * height * channels)
    }

    private static func validate(width: Int, height: Int, channels: Int) throws {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw CAMError("Image", "invalid size \(width)x\(height)")
        }
        guard (1...4).contains(channels) else {
            throw CAMError("Image", "channels must be 1...4, got \(channels)")
        }
        guard width.multipliedReportingOverflow(by: height).overflow == false,
            (width * height).multipliedReportingOverflow(by: channels).overflow == false
        else {
            throw CAMError("Image", "size \(width)x\(height)x\(channels) overflows")
        }
    }

    /// One sample.
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels, "pixel index out of range")
            return pixels[(y * width + x) * channels + channel]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels, "pixel index out of range")
            pixels[(y * width + x) * channels + channel] = newValue
        }
    }

    /// All samples of one pixel.
    public func pixel(x: Int, y: Int) -> [UInt8] {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel index out of range")
        let start = (y * width + x) * channels
        return Array(pixels[start..<start + channels])
    }

    /// Calls `body` with the samples.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pixels.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the samples, writable in place.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// One channel as a 1-channel image.
    public func channel(_ index: Int) throws -> Image {
        guard index >= 0 && index < channels else {
            throw CAMError("channel", "channel \(index) out of range for \(channels) channels")
        }
        let n = width * height
        let c = channels
        var out = [UInt8](repeating: 0, count: n)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n { dst[i] = src[i * c + index] }
            }
        }
        return try Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// A 1-channel image repeated into 3 channels (the tutorial's `np.stack([m] * 3, axis=-1)`).
    public func replicatedToRGB() throws -> Image {
        guard channels == 1 else {
            throw CAMError("replicatedToRGB", "expected 1 channel, got \(channels)")
        }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let v = src[i]
                    dst[3 * i] = v
                    dst[3 * i + 1] = v
                    dst[3 * i + 2] = v
                }
            }
        }
        return try Image(width: width, height: height, channels: 3, pixels: out)
    }
}
