import Foundation

/// The object classes of the synthetic dataset: each a distinct shape with its own texture,
/// so that a small CNN separates them but must look at the object (colours are random).
public enum SyntheticShape: Int, CaseIterable, Sendable {
    case disc, stripedSquare, triangle, ring, checkeredCross, star, dottedHexagon, shadedCrescent, checkeredCapsule, stripedArrow

    /// The class name.
    public var name: String {
        switch self {
        case .disc: "disc"
        case .stripedSquare: "striped square"
        case .triangle: "triangle"
        case .ring: "ring"
        case .checkeredCross: "checkered cross"
        case .star: "star"
        case .dottedHexagon: "dotted hexagon"
        case .shadedCrescent: "shaded crescent"
        case .checkeredCapsule: "checkered capsule"
        case .stripedArrow: "striped arrow"
        }
    }

    enum Texture { case solid, stripes, checker, dots, gradient }

    var texture: Texture {
        switch self {
        case .disc, .triangle, .ring, .star: .solid
        case .stripedSquare, .stripedArrow: .stripes
        case .checkeredCross, .checkeredCapsule: .checker
        case .dottedHexagon: .dots
        case .shadedCrescent: .gradient
        }
    }

    /// Signed distance from local point (x, y) to the shape's outline, in local units where the
    /// shape fits the unit disc (negative inside).
    @inline(__always)
    func distance(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .disc: return (x * x + y * y).squareRoot() - 1
        case .stripedSquare: return SDF.box(x, y, 0.72, 0.72)
        case .triangle: return SDF.polygon(x, y, SDF.triangle)
        case .ring: return Swift.abs((x * x + y * y).squareRoot() - 0.7) - 0.3
        case .checkeredCross: return Swift.min(SDF.box(x, y, 1, 0.34), SDF.box(x, y, 0.34, 1))
        case .star: return SDF.polygon(x, y, SDF.star)
        case .dottedHexagon: return SDF.polygon(x, y, SDF.hexagon)
        case .shadedCrescent:
            let outer = (x * x + y * y).squareRoot() - 1
            let dx = x - 0.5
            let inner = (dx * dx + y * y).squareRoot() - 0.78
            return Swift.max(outer, -inner)
        case .checkeredCapsule:
            let px = Swift.max(Swift.abs(x) - 0.5, 0)
            return (px * px + y * y).squareRoot() - 0.48
        case .stripedArrow: return SDF.polygon(x, y, SDF.arrow)
        }
    }
}

/// Signed distance functions in 2-D (negative inside).
enum SDF {
    /// An axis-aligned box with half-sizes (hx, hy) centred at the origin.
    @inline(__always)
    static func box(_ x: Double, _ y: Double, _ hx: Double, _ hy: Double) -> Double {
        let dx = Swift.abs(x) - hx, dy = Swift.abs(y) - hy
        let ox = Swift.max(dx, 0), oy = Swift.max(dy, 0)
        return (ox * ox + oy * oy).squareRoot() + Swift.min(Swift.max(dx, dy), 0)
    }

    /// A closed polygon given as flat x, y pairs: the distance to the nearest edge, negative
    /// when the point is inside (crossing-number test).
    static func polygon(_ x: Double, _ y: Double, _ v: [Double]) -> Double {
        let n = v.count / 2
        var best = Double.infinity
        var inside = false
        var j = n - 1
        for i in 0..<n {
            let xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * j], yj = v[2 * j + 1]
            let ex = xj - xi, ey = yj - yi
            let wx = x - xi, wy = y - yi
            let t = Swift.min(1, Swift.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
            let bx = wx - ex * t, by = wy - ey * t
            best = Swift.min(best, bx * bx + by * by)
            if (yi > y) != (yj > y), x < xi + (y - yi) * ex / ey { inside.toggle() }
            j = i
        }
        return inside ? -best.squareRoot() : best.squareRoot()
    }

    static func regular(_ sides: Int, radius: Double = 1, phase: Double = -Double.pi / 2) -> [Double] {
        (0..<sides).flatMap { k -> [Double] in
            let a = phase + 2 * Double.pi * Double(k) / Double(sides)
            return [radius * cos(a), radius * sin(a)]
        }
    }

    static let triangle = regular(3)
    static let hexagon = regular(6, phase: 0)
    static let star: [Double] = (0..<10).flatMap { k -> [Double] in
        let a = -Double.pi / 2 + Double.pi * Double(k) / 5
        let r = k % 2 == 0 ? 1.0 : 0.45
        return [r * cos(a), r * sin(a)]
    }
    static let arrow: [Double] = [-1, -0.28, 0.15, -0.28, 0.15, -0.7, 1, 0, 0.15, 0.7, 0.15, 0.28, -1, 0.28]
}
