/// An axis-aligned box in normalised image coordinates, in tfds' `BBox` order
/// `[ymin, xmin, ymax, xmax]`: fractions of the image height (y) and width (x), with (0, 0) the
/// top-left corner and (1, 1) the bottom-right one.
///
/// Pixel-coordinate formats are converted by the readers; each documents its rule (tfds'
/// Cars196 divides the devkit's pixel coordinates by the image size, VOC's 1-based inclusive
/// corners map to `(min - 1) / size` and `max / size`, COCO's `[x, y, w, h]` to `x / w ... (x + w) / w`).
public struct BoundingBox: Sendable, Hashable, Codable, CustomStringConvertible {
    public var ymin: Double
    public var xmin: Double
    public var ymax: Double
    public var xmax: Double

    public init(ymin: Double, xmin: Double, ymax: Double, xmax: Double) {
        self.ymin = ymin; self.xmin = xmin; self.ymax = ymax; self.xmax = xmax
    }

    /// A box from the four values in tfds order `[ymin, xmin, ymax, xmax]`; nil unless exactly 4.
    public init?(_ values: [Double]) {
        guard values.count == 4 else { return nil }
        self.init(ymin: values[0], xmin: values[1], ymax: values[2], xmax: values[3])
    }

    /// A box from pixel coordinates `x0 ..< x1`, `y0 ..< y1` of a `width` x `height` image
    /// (each coordinate divided by the size).
    public init(x0: Double, y0: Double, x1: Double, y1: Double, width: Int, height: Int) {
        self.init(ymin: y0 / Double(height), xmin: x0 / Double(width), ymax: y1 / Double(height), xmax: x1 / Double(width))
    }

    /// `[ymin, xmin, ymax, xmax]`.
    public var values: [Double] { [ymin, xmin, ymax, xmax] }
    public var width: Double { xmax - xmin }
    public var height: Double { ymax - ymin }
    /// Width times height (0 for empty or inverted boxes).
    public var area: Double { max(0, width) * max(0, height) }

    /// Whether `0 <= min <= max <= 1` on both axes, allowing `tolerance` of slack at the borders.
    public func isValid(tolerance: Double = 1e-6) -> Bool {
        let all = [ymin, xmin, ymax, xmax]
        guard all.allSatisfy({ $0.isFinite }) else { return false }
        return ymin >= -tolerance && xmin >= -tolerance && ymax <= 1 + tolerance && xmax <= 1 + tolerance
            && ymin <= ymax && xmin <= xmax
    }

    /// The box with every coordinate clamped into [0, 1].
    public var clamped: BoundingBox {
        func c(_ v: Double) -> Double { Swift.min(1, Swift.max(0, v)) }
        return BoundingBox(ymin: c(ymin), xmin: c(xmin), ymax: c(ymax), xmax: c(xmax))
    }

    /// The box mirrored left-right (what a horizontal flip of the image does to it).
    public var flippedHorizontally: BoundingBox {
        BoundingBox(ymin: ymin, xmin: 1 - xmax, ymax: ymax, xmax: 1 - xmin)
    }

    /// Intersection over union with `other` (normalised units, no +1; 0 when both are empty).
    public func iou(_ other: BoundingBox) -> Double {
        let iy = Swift.max(0, Swift.min(ymax, other.ymax) - Swift.max(ymin, other.ymin))
        let ix = Swift.max(0, Swift.min(xmax, other.xmax) - Swift.max(xmin, other.xmin))
        let inter = ix * iy
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    /// The pixel rectangle covering the box in a `width` x `height` image (for drawing):
    /// columns `floor(xmin * width) ..< ceil(xmax * width)`, clipped to the image.
    public func pixelRect(width: Int, height: Int) -> Rect2i {
        let x0 = Swift.max(0, Swift.min(width - 1, Int((xmin * Double(width)).rounded(.down))))
        let y0 = Swift.max(0, Swift.min(height - 1, Int((ymin * Double(height)).rounded(.down))))
        let x1 = Swift.max(x0 + 1, Swift.min(width, Int((xmax * Double(width)).rounded(.up))))
        let y1 = Swift.max(y0 + 1, Swift.min(height, Int((ymax * Double(height)).rounded(.up))))
        return Rect2i(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Encodes as the array `[ymin, xmin, ymax, xmax]` (the `data inspect --json` contract).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(ymin); try c.encode(xmin); try c.encode(ymax); try c.encode(xmax)
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        ymin = try c.decode(Double.self); xmin = try c.decode(Double.self)
        ymax = try c.decode(Double.self); xmax = try c.decode(Double.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a box has exactly 4 values [ymin, xmin, ymax, xmax]")
        }
    }

    public var description: String { "[\(ymin), \(xmin), \(ymax), \(xmax)]" }
}
