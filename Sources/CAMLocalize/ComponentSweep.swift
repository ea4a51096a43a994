import CAMCore
import CAMImaging
/// One 8-connected component of a thresholded map.
public struct ComponentStats: Sendable, Hashable {
    /// The pixels it spans (inclusive corners).
    public var box: PixelBox
    /// How many pixels it has.
    public var pixelCount: Int
    /// Raster index `y * width + x` of its first pixel in raster order (the tie-breaker).
    public var firstPixel: Int
}

/// Union-find over the pixels of a `width` x `height` grid with 8-connectivity; each root carries
/// its component's extent, size and first raster pixel. Only active pixels take part.
final class ComponentGrid {
    let width: Int
    let height: Int
    /// -1: inactive; else the parent index.
    let parent: UnsafeMutablePointer<Int32>
    let size: UnsafeMutablePointer<Int32>
    let minX: UnsafeMutablePointer<Int32>
    let minY: UnsafeMutablePointer<Int32>
    let maxX: UnsafeMutablePointer<Int32>
    let maxY: UnsafeMutablePointer<Int32>
    let first: UnsafeMutablePointer<Int32>
    /// Live roots, and each root's position in that list.
    let live: UnsafeMutablePointer<Int32>
    let livePosition: UnsafeMutablePointer<Int32>
    private(set) var liveCount = 0
    private(set) var activeCount = 0
    /// The root of the largest component seen (may be stale: resolve with `find`), -1 when none.
    private var bestRoot: Int32 = -1

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let n = width * height
        parent = .allocate(capacity: n)
        parent.initialize(repeating: -1, count: n)
        size = .allocate(capacity: n)
        minX = .allocate(capacity: n)
        minY = .allocate(capacity: n)
        maxX = .allocate(capacity: n)
        maxY = .allocate(capacity: n)
        first = .allocate(capacity: n)
        live = .allocate(capacity: n)
        livePosition = .allocate(capacity: n)
    }

    deinit {
        for p in [parent, size, minX, minY, maxX, maxY, first, live, livePosition] { p.deallocate() }
    }

    @inline(__always) func isActive(_ p: Int) -> Bool { parent[p] >= 0 }

    /// The root of `p` (path halving).
    @inline(__always) func find(_ p: Int32) -> Int32 {
        var x = p
        while parent[Int(x)] != x {
            let gp = parent[Int(parent[Int(x)])]
            parent[Int(x)] = gp
            x = gp
        }
        return x
    }

    /// Joins the components of roots `a` and `b`; returns the surviving root.
    @inline(__always) private func union(_ a: Int32, _ b: Int32) -> Int32 {
        let (r, o) = size[Int(a)] >= size[Int(b)] ? (a, b) : (b, a)
        let ri = Int(r), oi = Int(o)
        parent[oi] = r
        size[ri] += size[oi]
        if minX[oi] < minX[ri] { minX[ri] = minX[oi] }
        if minY[oi] < minY[ri] { minY[ri] = minY[oi] }
        if maxX[oi] > maxX[ri] { maxX[ri] = maxX[oi] }
        if maxY[oi] > maxY[ri] { maxY[ri] = maxY[oi] }
        if first[oi] < first[ri] { first[ri] = first[oi] }
        // Swap-remove `o` from the live list.
        let pos = Int(livePosition[oi])
        let last = live[liveCount - 1]
        live[pos] = last
        livePosition[Int(last)] = Int32(pos)
        liveCount -= 1
        return r
    }

    /// Makes pixel `p` foreground and joins it to its active 8-neighbours.
    @inline(__always) func activate(_ p: Int) {
        let x = p % width, y = p / width
        let p32 = Int32(p)
        parent[p] = p32
        size[p] = 1
        minX[p] = Int32(x); maxX[p] = Int32(x)
        minY[p] = Int32(y); maxY[p] = Int32(y)
        first[p] = p32
        live[liveCount] = p32
        livePosition[p] = Int32(liveCount)
        liveCount += 1
        activeCount += 1
        var root = p32
        let x0 = x > 0 ? x - 1 : x, x1 = x < width - 1 ? x + 1 : x
        let y0 = y > 0 ? y - 1 : y, y1 = y < height - 1 ? y + 1 : y
        var yy = y0
        while yy <= y1 {
            var xx = x0
            let row = yy * width
            while xx <= x1 {
                let q = row + xx
                if q != p && parent[q] >= 0 {
                    let rq = find(Int32(q))
                    if rq != root { root = union(root, rq) }
                }
                xx += 1
            }
            yy += 1
        }
        // Only the component that `p` joined changed, so it is the only challenger.
        if bestRoot < 0 {
            bestRoot = root
        } else {
            let b = find(bestRoot)
            if size[Int(root)] > size[Int(b)] || (size[Int(root)] == size[Int(b)] && first[Int(root)] < first[Int(b)]) {
                bestRoot = root
            } else {
                bestRoot = b
            }
        }
    }

    @inline(__always) func stats(root r: Int32) -> ComponentStats {
        let i = Int(r)
        return ComponentStats(
            box: PixelBox(x0: Int(minX[i]), y0: Int(minY[i]), x1: Int(maxX[i]), y1: Int(maxY[i])),
            pixelCount: Int(size[i]), firstPixel: Int(first[i]))
    }

    /// The largest component (pixel count; ties: first raster pixel), nil when nothing is active.
    var largest: ComponentStats? {
        guard bestRoot >= 0 else { return nil }
        bestRoot = find(bestRoot)
        return stats(root: bestRoot)
    }

    /// Every component, ordered by first raster pixel.
    var components: [ComponentStats] {
        var out: [ComponentStats] = []
        out.reserveCapacity(liveCount)
        for i in 0..<liveCount { out.append(stats(root: live[i])) }
        out.sort { $0.firstPixel < $1.firstPixel }
        return out
    }
}

/// The 8-connected components of `{v > t}` for many thresholds `t` in one pass over the map.
///
/// The pixels are sorted once by value, highest first; lowering the threshold only adds pixels,
/// so a union-find that adds them in that order holds, after the pixels above each threshold,
/// exactly the components at that threshold, with each component's extent, pixel count and
/// first raster pixel kept up to date at every union. No contour is traced.
///
/// The components are those whose outer boundaries `cv2.findContours(..., RETR_CCOMP)` returns at
/// the top level of its hierarchy (8-connected foreground): the tests check the boxes against
/// those contours' `boundingRect`s at every threshold. NaN values are never foreground.
public struct ComponentSweep: Sendable {
    public let width: Int
    public let height: Int
    /// Pixel indices by descending value (ties: raster order), NaN left out.
    private let order: [Int32]
    /// The values in that order.
    private let sortedValues: [Float]

    /// One threshold's components.
    public struct Snapshot: Sendable {
        /// The threshold.
        public let threshold: Float
        /// Pixels above the threshold.
        public let foregroundCount: Int
        /// Number of components.
        public let componentCount: Int
        /// The largest component by pixel count (ties: first raster pixel); nil when none.
        public let largest: ComponentStats?
        /// Every component ordered by first raster pixel (empty unless asked for).
        public let components: [ComponentStats]
        /// False when no pixel was added since the previous snapshot of this run.
        public let changed: Bool
    }

    /// Prepares a sweep over `map`.
    public init(_ map: FloatMap) {
        self.width = map.width
        self.height = map.height
        let n = map.width * map.height
        // Sort keys: an order-preserving UInt32 of the value, inverted for descending order,
        // then the pixel index, packed into one UInt64 so that one integer sort does it.
        var keys = [UInt64]()
        keys.reserveCapacity(n)
        map.values.withUnsafeBufferPointer { v in
            for i in 0..<n where !v[i].isNaN {
                let bits = v[i].bitPattern
                let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
                keys.append(UInt64(~ordered) << 32 | UInt64(i))
            }
        }
        keys.sort()
        var order = [Int32](repeating: 0, count: keys.count)
        var sorted = [Float](repeating: 0, count: keys.count)
        map.values.withUnsafeBufferPointer { v in
            keys.withUnsafeBufferPointer { k in
                order.withUnsafeMutableBufferPointer { o in
                    sorted.withUnsafeMutableBufferPointer { s in
                        for j in 0..<k.count {
                            let i = Int(k[j] & 0xFFFF_FFFF)
                            o[j] = Int32(i)
                            s[j] = v[i]
                        }
                    }
                }
            }
        }
        self.order = order
        self.sortedValues = sorted
    }

    /// Calls `body(index, snapshot)` for every threshold, in descending threshold order (the
    /// order the pass runs in), with each threshold's index in `thresholds`. Throws for a NaN
    /// threshold.
    public func run(
        thresholds: [Float], collectComponents: Bool = false,
        _ body: (Int, Snapshot) throws -> Void
    ) throws {
        guard !thresholds.contains(where: \.isNaN) else { throw CAMError("threshold sweep", "a threshold is NaN") }
        let grid = ComponentGrid(width: width, height: height)
        let visit = thresholds.indices.sorted { thresholds[$0] > thresholds[$1] || (thresholds[$0] == thresholds[$1] && $0 < $1) }
        var previous: Snapshot?
        try order.withUnsafeBufferPointer { o in
            try sortedValues.withUnsafeBufferPointer { s in
                var k = 0
                for ti in visit {
                    let tau = thresholds[ti]
                    let start = k
                    while k < s.count && s[k] > tau {
                        grid.activate(Int(o[k]))
                        k += 1
                    }
                    let snapshot: Snapshot
                    if k == start, let previous {
                        snapshot = Snapshot(
                            threshold: tau, foregroundCount: previous.foregroundCount,
                            componentCount: previous.componentCount, largest: previous.largest,
                            components: previous.components, changed: false)
                    } else {
                        snapshot = Snapshot(
                            threshold: tau, foregroundCount: grid.activeCount, componentCount: grid.liveCount,
                            largest: grid.largest, components: collectComponents ? grid.components : [],
                            changed: true)
                    }
                    previous = snapshot
                    try body(ti, snapshot)
                }
            }
        }
    }

    /// Every threshold's snapshot, in the order of `thresholds`.
    public func snapshots(thresholds: [Float], collectComponents: Bool = false) throws -> [Snapshot] {
        var out = [Snapshot?](repeating: nil, count: thresholds.count)
        try run(thresholds: thresholds, collectComponents: collectComponents) { out[$0] = $1 }
        return out.map { $0! }
    }
}

/// Connected-component labelling of one mask (8-connectivity), for boxes at a single threshold.
struct ComponentLabels {
    let width: Int
    let height: Int
    /// Each pixel's component root, -1 for background.
    let roots: [Int32]
    /// Components by root.
    let components: [Int32: ComponentStats]

    /// Labels the pixels where `isForeground[i]` is not zero.
    init(width: Int, height: Int, isForeground: UnsafeBufferPointer<UInt8>) {
        self.width = width
        self.height = height
        let grid = ComponentGrid(width: width, height: height)
        for i in 0..<isForeground.count where isForeground[i] != 0 { grid.activate(i) }
        var roots = [Int32](repeating: -1, count: width * height)
        roots.withUnsafeMutableBufferPointer { r in
            for i in 0..<r.count where grid.isActive(i) { r[i] = grid.find(Int32(i)) }
        }
        var comps: [Int32: ComponentStats] = [:]
        for i in 0..<grid.liveCount {
            let root = grid.live[i]
            comps[root] = grid.stats(root: root)
        }
        self.roots = roots
        self.components = comps
    }

    /// For each root in `wanted`, the corners of the pixel squares at the ends of each of its
    /// horizontal runs (enough for the convex hull of its pixels), in pixel-edge coordinates.
    func runCorners(of wanted: Set<Int32>) -> [Int32: [Point2f]] {
        var out: [Int32: [Point2f]] = [:]
        roots.withUnsafeBufferPointer { r in
            for y in 0..<height {
                var x = 0
                let row = y * width
                while x < width {
                    let root = r[row + x]
                    if root < 0 || !wanted.contains(root) { x += 1; continue }
                    let start = x
                    while x + 1 < width && r[row + x + 1] == root { x += 1 }
                    let fy = Float(y)
                    out[root, default: []].append(contentsOf: [
                        Point2f(Float(start), fy), Point2f(Float(start), fy + 1),
                        Point2f(Float(x + 1), fy), Point2f(Float(x + 1), fy + 1)
                    ])
                    x += 1
                }
            }
        }
        return out
    }
}
