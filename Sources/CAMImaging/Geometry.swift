/// A position (x to the right, y down) with coordinates of type `Scalar` (`cv::Point_`).
public struct Point2<Scalar: Sendable & Hashable & Codable>: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Scalar
    public var y: Scalar
    public init(x: Scalar, y: Scalar) { self.x = x; self.y = y }
    public init(_ x: Scalar, _ y: Scalar) { self.x = x; self.y = y }
    public var description: String { "(\(x), \(y))" }
}

/// An integer pixel position.
public typealias Point2i = Point2<Int>

/// A sub-pixel position in OpenCV's single precision.
public typealias Point2f = Point2<Float>

/// An axis-aligned integer rectangle: columns `x ..< x + width`, rows `y ..< y + height` (`cv::Rect`).
public struct Rect2i: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var description: String { "Rect2i(x: \(x), y: \(y), width: \(width), height: \(height))" }
}

/// A rotated rectangle as `cv::minAreaRect` returns it: centre, side lengths, angle in degrees.
public struct RotatedRect: Sendable, Hashable, Codable, CustomStringConvertible {
    public var center: Point2f
    public var width: Float
    public var height: Float
    /// Degrees; OpenCV 4.5+ reports minAreaRect angles in (0, 90].
    public var angle: Float
    public init(center: Point2f, width: Float, height: Float, angle: Float) {
        self.center = center; self.width = width; self.height = height; self.angle = angle
    }
    public var description: String { "RotatedRect(center: \(center), size: \(width)x\(height), angle: \(angle))" }
}

/// Polygons flattened for the shim: x, y pairs and offsets (`offsets[i] ..< offsets[i+1]` is polygon i).
func flattenPolygons(_ polygons: [[Point2i]]) -> (points: [Int32], offsets: [Int32]) {
    var points: [Int32] = []
    points.reserveCapacity(polygons.reduce(0) { $0 + $1.count } * 2)
    var offsets: [Int32] = [0]
    for poly in polygons {
        for p in poly {
            points.append(Int32(clamping: p.x))
            points.append(Int32(clamping: p.y))
        }
        offsets.append(Int32(clamping: points.count / 2))
    }
    return (points, offsets)
}
