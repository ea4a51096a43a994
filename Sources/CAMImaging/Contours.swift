import CAMCore
import CCV

/// Which contours `findContours` returns and how it links them (`cv::RetrievalModes`).
public enum ContourRetrieval: Int32, Sendable, CaseIterable {
    /// Outer contours only.
    case external = 0
    /// All contours, no hierarchy.
    case list = 1
    /// Two levels: outer boundaries and the holes in them.
    case ccomp = 2
    /// The full nesting tree (the tutorial's `RETR_TREE`).
    case tree = 3
    /// Region-based; an 8-bit mask is converted to int32 first, as OpenCV requires.
    case floodFill = 4
}

/// How contour points are compressed (`cv::ContourApproximationModes`).
public enum ContourApproximation: Int32, Sendable, CaseIterable {
    /// Every boundary point.
    case none = 1
    /// Straight horizontal, vertical and diagonal runs reduced to their end points (the tutorial's).
    case simple = 2
    /// Teh-Chin chain approximation, L1.
    case tc89L1 = 3
    /// Teh-Chin chain approximation, k-cos.
    case tc89KCOS = 4
}

/// The links of one contour in a `ContourSet` (indices into `contours`, nil for none).
public struct ContourLinks: Sendable, Hashable {
    public var next: Int?
    public var previous: Int?
    public var firstChild: Int?
    public var parent: Int?
    public init(next: Int?, previous: Int?, firstChild: Int?, parent: Int?) {
        self.next = next; self.previous = previous; self.firstChild = firstChild; self.parent = parent
    }
}

/// The result of `Contours.find`: contours in OpenCV's order and their hierarchy.
public struct ContourSet: Sendable, Equatable {
    public var contours: [[Point2i]]
    /// One entry per contour (OpenCV's `[next, previous, first_child, parent]`).
    public var hierarchy: [ContourLinks]

    public init(contours: [[Point2i]], hierarchy: [ContourLinks]) {
        self.contours = contours
        self.hierarchy = hierarchy
    }

    public var isEmpty: Bool { contours.isEmpty }
    public var count: Int { contours.count }

    /// Index of the contour with the largest area (ties: the first), nil when there is none.
    public func largestIndex() throws -> Int? {
        var best: (index: Int, area: Double)?
        for (i, c) in contours.enumerated() {
            let a = try Contours.area(c)
            if best == nil || a > best!.area { best = (i, a) }
        }
        return best?.index
    }

    /// The hierarchy as OpenCV's int quadruples (-1 for none).
    var flatHierarchy: [Int32] {
        hierarchy.flatMap { h in [h.next, h.previous, h.firstChild, h.parent].map { Int32($0 ?? -1) } }
    }
}

/// Contour analysis: `cv::findContours`, `contourArea`, `minAreaRect`, `boxPoints`, `boundingRect`.
public enum Contours {
    /// `cv::findContours` of a 1-channel image; every non-zero sample is foreground.
    public static func find(
        in mask: Image, mode: ContourRetrieval = .tree,
        method: ContourApproximation = .simple
    ) throws -> ContourSet {
        guard mask.channels == 1 else {
            throw CAMError("findContours", "the mask must have 1 channel, got \(mask.channels)")
        }
        ctcv_clear_error()
        guard let handle = mask.withCVView({ ctcv_find_contours($0, mode.rawValue, method.rawValue) }) else {
            throw CAMError.openCV("findContours")
        }
        defer { ctcv_contours_free(handle) }
        let count = Int(ctcv_contours_count(handle))
        let total = Int(ctcv_contours_total_points(handle))
        guard count >= 0, total >= 0 else { throw CAMError.openCV("findContours") }
        var points = [Int32](repeating: 0, count: total * 2)
        var offsets = [Int32](repeating: 0, count: count + 1)
        var links = [Int32](repeating: -1, count: count * 4)
        let status = points.withUnsafeMutableBufferPointer { p in
            offsets.withUnsafeMutableBufferPointer { o in
                links.withUnsafeMutableBufferPointer { h in
                    ctcv_contours_copy(handle, p.baseAddress, o.baseAddress, h.baseAddress)
                }
            }
        }
        try cvCheck("findContours", status)
        var contours: [[Point2i]] = []
        contours.reserveCapacity(count)
        for i in 0..<count {
            let range = Int(offsets[i])..<Int(offsets[i + 1])
            contours.append(range.map { Point2i(Int(points[2 * $0]), Int(points[2 * $0 + 1])) })
        }
        func link(_ v: Int32) -> Int? { v < 0 ? nil : Int(v) }
        let hierarchy = (0..<count).map { i in
            ContourLinks(
                next: link(links[4 * i]), previous: link(links[4 * i + 1]),
                firstChild: link(links[4 * i + 2]), parent: link(links[4 * i + 3]))
        }
        return ContourSet(contours: contours, hierarchy: hierarchy)
    }

    /// `cv::findContours` of the values of `map` above `threshold`.
    public static func find(
        in map: FloatMap, above threshold: Float, mode: ContourRetrieval = .tree,
        method: ContourApproximation = .simple
    ) throws -> ContourSet {
        try find(in: map.mask(above: threshold), mode: mode, method: method)
    }

    /// `cv::contourArea` (Green's formula over the polygon); signed by orientation when `oriented`.
    public static func area(_ contour: [Point2i], oriented: Bool = false) throws -> Double {
        try shimArea(contour, oriented: oriented)
    }

    /// `cv::contourArea` of float points.
    public static func area(_ contour: [Point2f], oriented: Bool = false) throws -> Double {
        try shimArea(contour, oriented: oriented)
    }

    /// `cv::minAreaRect`: the smallest rotated rectangle holding the points.
    public static func minAreaRect(_ points: [Point2i]) throws -> RotatedRect {
        try shimMinAreaRect(points)
    }

    /// `cv::minAreaRect` of float points.
    public static func minAreaRect(_ points: [Point2f]) throws -> RotatedRect {
        try shimMinAreaRect(points)
    }

    /// `cv::boxPoints`: the four corners of `rect`, in OpenCV's order.
    public static func boxPoints(_ rect: RotatedRect) throws -> [Point2f] {
        let input: [Float] = [rect.center.x, rect.center.y, rect.width, rect.height, rect.angle]
        var out = [Float](repeating: 0, count: 8)
        try cvCheck(
            "boxPoints",
            input.withUnsafeBufferPointer { r in
                out.withUnsafeMutableBufferPointer { ctcv_box_points(r.baseAddress, $0.baseAddress) }
            })
        return (0..<4).map { Point2f(out[2 * $0], out[2 * $0 + 1]) }
    }

    /// `cv::boundingRect`: the smallest upright rectangle holding the points.
    public static func boundingRect(_ points: [Point2i]) throws -> Rect2i {
        try shimBoundingRect(points)
    }

    /// `cv::boundingRect` of float points.
    public static func boundingRect(_ points: [Point2f]) throws -> Rect2i {
        try shimBoundingRect(points)
    }

    private static func shimArea<P: ShimPoint>(_ contour: [P], oriented: Bool) throws -> Double {
        var out = 0.0
        try cvCheck("contourArea", contour.withShimPoints { ctcv_contour_area($0, $1, $2, oriented ? 1 : 0, &out) })
        return out
    }

    private static func shimMinAreaRect<P: ShimPoint>(_ points: [P]) throws -> RotatedRect {
        let out = try shimValues("minAreaRect", points, count: 5, as: Float.self, ctcv_min_area_rect)
        return RotatedRect(center: Point2f(out[0], out[1]), width: out[2], height: out[3], angle: out[4])
    }

    private static func shimBoundingRect<P: ShimPoint>(_ points: [P]) throws -> Rect2i {
        let out = try shimValues("boundingRect", points, count: 4, as: Int32.self, ctcv_bounding_rect)
        return Rect2i(x: Int(out[0]), y: Int(out[1]), width: Int(out[2]), height: Int(out[3]))
    }

    /// A shim call that reads `points` and writes `count` values.
    private static func shimValues<P: ShimPoint, T: Numeric>(
        _ operation: String, _ points: [P], count: Int, as: T.Type,
        _ call: (UnsafeRawPointer?, Int32, Int32, UnsafeMutablePointer<T>?) -> Int32
    ) throws -> [T] {
        var out = [T](repeating: 0, count: count)
        try cvCheck(operation, points.withShimPoints { p, n, depth in out.withUnsafeMutableBufferPointer { call(p, n, depth, $0.baseAddress) } })
        return out
    }
}
