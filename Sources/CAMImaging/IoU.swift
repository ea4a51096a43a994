/// Intersection over union in the conventions CAMKit reproduces.
///
/// - `normalized`: the tutorial's `get_iou` on normalised `[ymin, xmin, ymax, xmax]` boxes, no `+1`
///   (CAMKit's own convention).
/// - `inclusive`: wsolevaluation's `calculate_multiple_iou` on integer `x0y0x1y1` boxes whose corners
///   are both inside the box, so every side gets `+1`.
/// - `polygon`: the area of the intersection of two convex polygons over the area of their union,
///   for rotated boxes (`minAreaRect`) against each other or against an axis-aligned ground truth.
///
/// Several ground-truth boxes: the prediction is scored against each and the best match counts
/// (`best(_:among:)`), as wsolevaluation does.
public enum IoU {
    /// The tutorial's `get_iou`: intersection width times height over the sum of the areas minus
    /// the intersection, in normalised units, no `+1`. Same operation order as the tutorial, so
    /// the result is bit-identical to it. 0 where the union is not positive (the tutorial would
    /// divide by zero).
    public static func normalized(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        let yMin = Swift.max(a.ymin, b.ymin)
        let xMin = Swift.max(a.xmin, b.xmin)
        let yMax = Swift.min(a.ymax, b.ymax)
        let xMax = Swift.min(a.xmax, b.xmax)
        let inter = Swift.max(0, xMax - xMin) * Swift.max(0, yMax - yMin)
        let areaA = (a.ymax - a.ymin) * (a.xmax - a.xmin)
        let areaB = (b.ymax - b.ymin) * (b.xmax - b.xmin)
        let union = areaA + areaB - inter
        guard union > 0, union.isFinite else { return 0 }
        return inter / union
    }

    /// wsolevaluation's IoU of inclusive integer boxes: sides are `x1 - x0 + 1`; a non-positive
    /// denominator gives 0.
    public static func inclusive(_ a: PixelBox, _ b: PixelBox) -> Double {
        let minX = Swift.max(a.x0, b.x0), minY = Swift.max(a.y0, b.y0)
        let maxX = Swift.min(a.x1, b.x1), maxY = Swift.min(a.y1, b.y1)
        let inter = Swift.max(0, maxX - minX + 1) * Swift.max(0, maxY - minY + 1)
        let areaA = (a.x2 - a.x0 + 1) * (a.y2 - a.y0 + 1)
        let areaB = (b.x2 - b.x0 + 1) * (b.y2 - b.y0 + 1)
        let denominator = areaA + areaB - inter
        guard denominator > 0 else { return 0 }
        return Double(inter) / Double(denominator)
    }

    /// IoU of two convex polygons (vertices in either orientation). Polygons with fewer than three
    /// vertices or no area count as empty; 0 when the union is empty.
    public static func polygon(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>]) -> Double {
        let areaA = Polygon.area(a), areaB = Polygon.area(b)
        let inter = Polygon.convexIntersection(a, b).map(Polygon.area) ?? 0
        let union = areaA + areaB - inter
        guard union > 0, union.isFinite else { return 0 }
        return Swift.min(1, Swift.max(0, inter / union))
    }

    /// The best IoU of `box` against any of `candidates` and that candidate's index; nil when
    /// there are no candidates. Ties keep the first.
    public static func best<T>(_ box: T, among candidates: [T], _ iou: (T, T) -> Double) -> (iou: Double, index: Int)? {
        var best: (iou: Double, index: Int)?
        for (i, c) in candidates.enumerated() {
            let v = iou(box, c)
            if best == nil || v > best!.iou { best = (v, i) }
        }
        return best
    }
}

extension PixelBox {
    // Spelled like wsolevaluation's index 2 / 3 so the IoU reads like its formula.
    fileprivate var x2: Int { x1 }
    fileprivate var y2: Int { y1 }
}

/// Convex polygon helpers (shoelace area, Sutherland-Hodgman clipping).
public enum Polygon {
    /// Signed shoelace area (positive for counter-clockwise in a y-up frame).
    public static func signedArea(_ p: [SIMD2<Double>]) -> Double {
        guard p.count >= 3 else { return 0 }
        var s = 0.0
        for i in p.indices {
            let a = p[i], b = p[(i + 1) % p.count]
            s += a.x * b.y - b.x * a.y
        }
        return s / 2
    }

    /// Unsigned area.
    public static func area(_ p: [SIMD2<Double>]) -> Double { Swift.abs(signedArea(p)) }

    /// The intersection of two convex polygons, nil when it is empty.
    public static func convexIntersection(_ subject: [SIMD2<Double>], _ clip: [SIMD2<Double>]) -> [SIMD2<Double>]? {
        guard subject.count >= 3, clip.count >= 3 else { return nil }
        let clipArea = signedArea(clip)
        guard clipArea != 0 else { return nil }
        let c = clipArea > 0 ? clip : clip.reversed()
        var out = subject
        for i in c.indices {
            let p = c[i], q = c[(i + 1) % c.count]
            out = clipHalfPlane(out, p, q)
            if out.count < 3 { return nil }
        }
        return out
    }

    /// The part of `poly` on the left of (or on) the directed line p -> q.
    static func clipHalfPlane(_ poly: [SIMD2<Double>], _ p: SIMD2<Double>, _ q: SIMD2<Double>) -> [SIMD2<Double>] {
        let d = q - p
        @inline(__always) func side(_ x: SIMD2<Double>) -> Double { d.x * (x.y - p.y) - d.y * (x.x - p.x) }
        var out: [SIMD2<Double>] = []
        out.reserveCapacity(poly.count + 2)
        for i in poly.indices {
            let cur = poly[i], next = poly[(i + 1) % poly.count]
            let sc = side(cur), sn = side(next)
            if sc >= 0 { out.append(cur) }
            if (sc >= 0) != (sn >= 0) {
                let t = sc / (sc - sn)
                out.append(cur + (next - cur) * t)
            }
        }
        return out
    }

    /// `poly` clipped to the rectangle `[0, width] x [0, height]`; nil when nothing is left.
    public static func clipped(_ poly: [SIMD2<Double>], width: Double, height: Double) -> [SIMD2<Double>]? {
        convexIntersection(poly, [SIMD2(0, 0), SIMD2(width, 0), SIMD2(width, height), SIMD2(0, height)])
    }
}
