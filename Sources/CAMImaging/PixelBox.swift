/// An axis-aligned box in integer pixel coordinates with inclusive corners: columns `x0 ... x1`,
/// rows `y0 ... y1` (wsolevaluation's `x0y0x1y1` convention).
///
/// CAMKit's own boxes cover exactly the pixels of a region, so `x1` is the last column inside it;
/// `normalized(width:height:)` turns that into the half-open normalised box `[y0 / H, x0 / W,
/// (y1 + 1) / H, (x1 + 1) / W]`. wsolevaluation's boxes use the same four integers but are made
/// from `cv2.boundingRect` as `x + w` (one past the region), which it then treats as inclusive.
public struct PixelBox: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x0: Int
    public var y0: Int
    public var x1: Int
    public var y1: Int

    public init(x0: Int, y0: Int, x1: Int, y1: Int) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
    }

    /// Columns covered (`x1 - x0 + 1`).
    public var width: Int { x1 - x0 + 1 }
    /// Rows covered (`y1 - y0 + 1`).
    public var height: Int { y1 - y0 + 1 }

    /// The half-open normalised box covering these pixels in a `width` x `height` image.
    public func normalized(width: Int, height: Int) -> BoundingBox {
        BoundingBox(
            ymin: Double(y0) / Double(height), xmin: Double(x0) / Double(width),
            ymax: Double(y1 + 1) / Double(height), xmax: Double(x1 + 1) / Double(width))
    }

    /// The four corners of the covered pixels' outline, clockwise from the top-left, in
    /// pixel-edge coordinates.
    public var outline: [SIMD2<Double>] {
        let l = Double(x0), t = Double(y0), r = Double(x1 + 1), b = Double(y1 + 1)
        return [SIMD2(l, t), SIMD2(r, t), SIMD2(r, b), SIMD2(l, b)]
    }

    /// `[x0, y0, x1, y1]`.
    public var values: [Int] { [x0, y0, x1, y1] }

    public var description: String { "(\(x0), \(y0), \(x1), \(y1))" }
}

extension BoundingBox {
    /// The box's outline as a polygon in normalised coordinates (x, y), clockwise from the top-left.
    public var outline: [SIMD2<Double>] {
        [SIMD2(xmin, ymin), SIMD2(xmax, ymin), SIMD2(xmax, ymax), SIMD2(xmin, ymax)]
    }

    /// The whole image, `[0, 0, 1, 1]`.
    public static let fullImage = BoundingBox(ymin: 0, xmin: 0, ymax: 1, xmax: 1)

    /// A box of `width` x `height` (normalised) centred in the image.
    public static func centered(width: Double, height: Double) -> BoundingBox {
        BoundingBox(ymin: 0.5 - height / 2, xmin: 0.5 - width / 2, ymax: 0.5 + height / 2, xmax: 0.5 + width / 2)
    }
}
