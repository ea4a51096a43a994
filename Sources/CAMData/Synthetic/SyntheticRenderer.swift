import Foundation
import CAMImaging

/// An RGB colour with components in 0 ... 255.
struct RGB: Sendable {
    var r, g, b: Double

    /// From hue (0 ... 1), saturation and value.
    static func hsv(_ h: Double, _ s: Double, _ v: Double) -> RGB {
        let hh = (h - h.rounded(.down)) * 6
        let i = Int(hh.rounded(.down)) % 6
        let f = hh - hh.rounded(.down)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        let (r, g, b): (Double, Double, Double)
        switch i {
        case 0: (r, g, b) = (v, t, p)
        case 1: (r, g, b) = (q, v, p)
        case 2: (r, g, b) = (p, v, t)
        case 3: (r, g, b) = (p, q, v)
        case 4: (r, g, b) = (t, p, v)
        default: (r, g, b) = (v, p, q)
        }
        return RGB(r: r * 255, g: g * 255, b: b * 255)
    }
}

/// Everything random about one synthetic image.
struct SyntheticLayout: Sendable {
    struct Blob: Sendable { var x, y, radius, alpha: Double; var color: RGB }
    struct Line: Sendable { var x0, y0, x1, y1, width, alpha: Double; var color: RGB }
    enum DistractorKind: Sendable { case stroke, outline, zigzag, smudge }
    struct Distractor: Sendable {
        var kind: DistractorKind
        var x, y, size, angle, width: Double
        var points: [Double]  // zigzag vertices (pixels), flat x, y pairs
        var color: RGB
    }

    var label: Int
    var shape: SyntheticShape
    var gradientFrom: RGB, gradientTo: RGB
    var gradientAngle: Double
    var blobs: [Blob]
    var lines: [Line]
    var distractors: [Distractor]
    // The object: centre and radius in pixels, aspect factors, rotation, colours, texture.
    var cx, cy, radius, ax, ay, angle: Double
    var colorA: RGB, colorB: RGB
    var period: Double, phase: Double
    var noiseSeed: UInt64
    /// The object's exact box (coverage >= 0.5), normalised.
    var box: BoundingBox

    static func draw(label: Int, config: SyntheticConfig, rng: inout SplitMix64) -> SyntheticLayout {
        let s = Double(config.size)
        func muted() -> RGB { .hsv(rng.unit(), rng.uniform(0.05...0.4), rng.uniform(0.2...0.85)) }
        func vivid() -> RGB { .hsv(rng.unit(), rng.uniform(0.55...1), rng.uniform(0.6...1)) }

        let from = muted(), to = muted()
        let gAngle = rng.uniform(0...(2 * Double.pi))
        let blobs = (0..<(3 + rng.below(4))).map { _ in
            Blob(
                x: rng.uniform(0...s), y: rng.uniform(0...s), radius: rng.uniform((0.12 * s)...(0.4 * s)),
                alpha: rng.uniform(0.3...0.7), color: rng.unit() < 0.7 ? muted() : vivid())
        }
        let lines = (0..<(2 + rng.below(4))).map { _ in
            Line(
                x0: rng.uniform(-0.1 * s...1.1 * s), y0: rng.uniform(-0.1 * s...1.1 * s),
                x1: rng.uniform(-0.1 * s...1.1 * s), y1: rng.uniform(-0.1 * s...1.1 * s),
                width: rng.uniform(0.8...max(1, s / 64)), alpha: rng.uniform(0.35...0.75), color: rng.unit() < 0.5 ? muted() : vivid())
        }
        let kinds: [DistractorKind] = [.stroke, .outline, .zigzag, .smudge]
        let nDistractors = config.distractors == 0 ? 0 : rng.below(2 * config.distractors + 1)
        let distractors = (0..<nDistractors).map { _ -> Distractor in
            let kind = kinds[rng.below(kinds.count)]
            let x = rng.uniform(0.05 * s...0.95 * s), y = rng.uniform(0.05 * s...0.95 * s)
            let size = rng.uniform(0.06 * s...0.16 * s)
            let angle = rng.uniform(0...Double.pi)
            let width = rng.uniform(max(1, s / 100)...max(1.5, s / 40))
            var points: [Double] = []
            if kind == .zigzag {
                var px = x, py = y
                let step = size * 0.6
                var a = angle
                for k in 0..<(4 + rng.below(2)) {
                    points += [px, py]
                    a += (k % 2 == 0 ? 1 : -1) * rng.uniform(1.9...2.4)
                    px += step * cos(a); py += step * sin(a)
                }
                points += [px, py]
            }
            return Distractor(kind: kind, x: x, y: y, size: size, angle: angle, width: width, points: points, color: vivid())
        }

        let shape = SyntheticShape(rawValue: label)!
        let extent = rng.uniform(config.minScale...config.maxScale) * s  // object extent before the aspect change
        let aspect = exp(rng.uniform(log(0.8)...log(1.25)))
        let ax = aspect.squareRoot(), ay = 1 / aspect.squareRoot()
        let radius = extent / 2
        let reach = radius * max(ax, ay) + 1
        let cx = rng.uniform(reach...(s - reach)), cy = rng.uniform(reach...(s - reach))
        let angle = rng.uniform(0...(2 * Double.pi))
        let hue = rng.unit()
        let colorA = RGB.hsv(hue, rng.uniform(0.55...1), rng.uniform(0.65...1))
        let colorB = RGB.hsv(hue + rng.uniform(-0.05...0.05), rng.uniform(0.5...1), rng.uniform(0.15...0.4))
        let periodPixels = max(4, s / 18) * rng.uniform(0.85...1.2)
        let period = periodPixels / (radius * min(ax, ay))
        let phase = rng.unit()
        let noiseSeed = rng.next()

        var layout = SyntheticLayout(
            label: label, shape: shape, gradientFrom: from, gradientTo: to, gradientAngle: gAngle, blobs: blobs,
            lines: lines, distractors: distractors, cx: cx, cy: cy, radius: radius, ax: ax, ay: ay,
            angle: angle, colorA: colorA, colorB: colorB, period: period, phase: phase, noiseSeed: noiseSeed,
            box: BoundingBox(ymin: 0, xmin: 0, ymax: 1, xmax: 1))
        layout.box = layout.objectBox(size: config.size)
        return layout
    }

    /// The object's pixel bounds to visit: a square around the centre that holds it.
    func objectBounds(size: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let reach = radius * max(ax, ay) + 2
        return (
            max(0, Int((cx - reach).rounded(.down))), max(0, Int((cy - reach).rounded(.down))),
            min(size - 1, Int((cx + reach).rounded(.up))), min(size - 1, Int((cy + reach).rounded(.up)))
        )
    }

    /// Coverage (0 ... 1) of the object at pixel centre (px, py) and the local coordinates there.
    @inline(__always)
    func objectCoverage(_ px: Double, _ py: Double, cosA: Double, sinA: Double) -> (coverage: Double, u: Double, v: Double) {
        let dx = px - cx, dy = py - cy
        let u = (dx * cosA + dy * sinA) / (radius * ax)
        let v = (-dx * sinA + dy * cosA) / (radius * ay)
        let d = shape.distance(u, v) * radius * min(ax, ay)  // approximately pixels
        return (min(1, max(0, 0.5 - d)), u, v)
    }

    /// The tight box of the pixels the object covers at least half.
    func objectBox(size: Int) -> BoundingBox {
        let b = objectBounds(size: size)
        let s = Double(size)
        guard b.x0 <= b.x1, b.y0 <= b.y1 else { return BoundingBox(ymin: 0, xmin: 0, ymax: 0, xmax: 0) }
        let c = cos(angle), sn = sin(angle)
        var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
        for y in b.y0...b.y1 {
            for x in b.x0...b.x1 where objectCoverage(Double(x) + 0.5, Double(y) + 0.5, cosA: c, sinA: sn).coverage >= 0.5 {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        if minX == Int.max { return BoundingBox(ymin: cy / s, xmin: cx / s, ymax: cy / s, xmax: cx / s) }
        return BoundingBox(ymin: Double(minY) / s, xmin: Double(minX) / s, ymax: Double(maxY + 1) / s, xmax: Double(maxX + 1) / s)
    }
}

/// Paints a `SyntheticLayout` into 8-bit RGB pixels. The hot loops work on unsafe buffers.
struct SyntheticRenderer {
    let config: SyntheticConfig

    func render(_ l: SyntheticLayout) -> [UInt8] {
        let n = config.size
        let s = Double(n)
        var canvas = [Double](repeating: 0, count: n * n * 3)
        canvas.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            // Background: a linear gradient between two muted colours.
            let gx = cos(l.gradientAngle), gy = sin(l.gradientAngle)
            let a = l.gradientFrom, b = l.gradientTo
            for y in 0..<n {
                for x in 0..<n {
                    let t = min(1, max(0, ((Double(x) + 0.5 - s / 2) * gx + (Double(y) + 0.5 - s / 2) * gy) / s + 0.5))
                    let o = (y * n + x) * 3
                    p[o] = a.r + (b.r - a.r) * t
                    p[o + 1] = a.g + (b.g - a.g) * t
                    p[o + 2] = a.b + (b.b - a.b) * t
                }
            }
            // Soft blobs.
            for blob in l.blobs {
                let x0 = max(0, Int(blob.x - blob.radius)), x1 = min(n - 1, Int(blob.x + blob.radius))
                let y0 = max(0, Int(blob.y - blob.radius)), y1 = min(n - 1, Int(blob.y + blob.radius))
                guard x0 <= x1, y0 <= y1 else { continue }
                let inv = 1 / (blob.radius * blob.radius)
                for y in y0...y1 {
                    for x in x0...x1 {
                        let dx = Double(x) + 0.5 - blob.x, dy = Double(y) + 0.5 - blob.y
                        let q = (dx * dx + dy * dy) * inv
                        if q < 1 { blend(p, (y * n + x) * 3, blob.color, blob.alpha * (1 - q) * (1 - q)) }
                    }
                }
            }
            // Lines across the image.
            for line in l.lines {
                strokeSegment(p, n, line.x0, line.y0, line.x1, line.y1, halfWidth: line.width / 2, color: line.color, alpha: line.alpha)
            }
            // Distractors.
            for d in l.distractors {
                switch d.kind {
                case .stroke:
                    let hx = d.size / 2 * cos(d.angle), hy = d.size / 2 * sin(d.angle)
                    strokeSegment(p, n, d.x - hx, d.y - hy, d.x + hx, d.y + hy, halfWidth: d.width / 2, color: d.color, alpha: 1)
                case .zigzag:
                    for k in stride(from: 0, to: d.points.count - 2, by: 2) {
                        strokeSegment(
                            p, n, d.points[k], d.points[k + 1], d.points[k + 2], d.points[k + 3], halfWidth: d.width / 2,
                            color: d.color, alpha: 1)
                    }
                case .outline:
                    let c = cos(d.angle), sn = sin(d.angle)
                    let hx = d.size / 2, hy = d.size / 3, half = d.width / 2
                    fill(p, n, cx: d.x, cy: d.y, reach: d.size + d.width) { px, py in
                        let dx = px - d.x, dy = py - d.y
                        let u = dx * c + dy * sn, v = -dx * sn + dy * c
                        return abs(SDF.box(u, v, hx, hy)) - half
                    } color: { _, _ in
                        d.color
                    }
                case .smudge:
                    let r = d.size / 2
                    let c = cos(d.angle), sn = sin(d.angle)
                    fill(p, n, cx: d.x, cy: d.y, reach: r + 1) { px, py in
                        let dx = px - d.x, dy = py - d.y
                        let u = (dx * c + dy * sn) / r, v = (-dx * sn + dy * c) / (0.6 * r)
                        return ((u * u + v * v).squareRoot() - 1) * 0.6 * r
                    } color: { px, py in
                        // Streaky: bands of lighter and darker across the smudge.
                        let band = ((px * 0.7 + py * 0.3) / 2.5).rounded(.down)
                        let k = band.truncatingRemainder(dividingBy: 2) == 0 ? 1.0 : 0.6
                        return RGB(r: d.color.r * k, g: d.color.g * k, b: d.color.b * k)
                    }
                }
            }
            // The object.
            let bounds = l.objectBounds(size: n)
            let c = cos(l.angle), sn = sin(l.angle)
            let texture = l.shape.texture
            for y in bounds.y0..<(bounds.y1 + 1) where bounds.x0 <= bounds.x1 {
                for x in bounds.x0...bounds.x1 {
                    let (cov, u, v) = l.objectCoverage(Double(x) + 0.5, Double(y) + 0.5, cosA: c, sinA: sn)
                    guard cov > 0 else { continue }
                    let color: RGB
                    switch texture {
                    case .solid:
                        color = l.colorA
                    case .stripes:
                        let t = u / l.period + l.phase
                        color = t - t.rounded(.down) < 0.5 ? l.colorA : l.colorB
                    case .checker:
                        let i = Int((u / l.period + l.phase).rounded(.down)) + Int((v / l.period).rounded(.down))
                        color = i & 1 == 0 ? l.colorA : l.colorB
                    case .dots:
                        let fu = u / l.period + l.phase, fv = v / l.period
                        let du = fu - fu.rounded(.down) - 0.5, dv = fv - fv.rounded(.down) - 0.5
                        color = du * du + dv * dv < 0.09 ? l.colorB : l.colorA
                    case .gradient:
                        let t = min(1, max(0, (u + 1) / 2))
                        color = RGB(
                            r: l.colorB.r + (l.colorA.r - l.colorB.r) * t, g: l.colorB.g + (l.colorA.g - l.colorB.g) * t,
                            b: l.colorB.b + (l.colorA.b - l.colorB.b) * t)
                    }
                    blend(p, (y * n + x) * 3, color, cov)
                }
            }
        }
        // Pixel noise (a triangular distribution) and quantisation.
        var out = [UInt8](repeating: 0, count: n * n * 3)
        var rng = SplitMix64(seed: l.noiseSeed)
        let amp = config.noise
        canvas.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(n * n * 3) {
                    var v = src[i]
                    if amp > 0 {
                        let r = rng.next()
                        let u1 = Double(r & 0xFFFF) / 65536, u2 = Double((r >> 16) & 0xFFFF) / 65536
                        v += (u1 + u2 - 1) * amp
                    }
                    dst[i] = UInt8(min(255, max(0, v.rounded())))
                }
            }
        }
        return out
    }

    @inline(__always)
    private func blend(_ p: UnsafeMutablePointer<Double>, _ o: Int, _ c: RGB, _ alpha: Double) {
        p[o] += (c.r - p[o]) * alpha
        p[o + 1] += (c.g - p[o + 1]) * alpha
        p[o + 2] += (c.b - p[o + 2]) * alpha
    }

    /// Paints the region where `distance` (pixels, negative inside) is below 0.5, antialiased.
    private func fill(
        _ p: UnsafeMutablePointer<Double>, _ n: Int, cx: Double, cy: Double, reach: Double,
        distance: (Double, Double) -> Double, color: (Double, Double) -> RGB
    ) {
        let x0 = max(0, Int((cx - reach).rounded(.down))), x1 = min(n - 1, Int((cx + reach).rounded(.up)))
        let y0 = max(0, Int((cy - reach).rounded(.down))), y1 = min(n - 1, Int((cy + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                let cov = min(1, max(0, 0.5 - distance(px, py)))
                if cov > 0 { blend(p, (y * n + x) * 3, color(px, py), cov) }
            }
        }
    }

    /// Paints a line segment of the given half width, antialiased.
    private func strokeSegment(
        _ p: UnsafeMutablePointer<Double>, _ n: Int, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double,
        halfWidth: Double, color: RGB, alpha: Double
    ) {
        let ex = bx - ax, ey = by - ay
        let len2 = max(1e-12, ex * ex + ey * ey)
        let pad = halfWidth + 1
        let x0 = max(0, Int((min(ax, bx) - pad).rounded(.down))), x1 = min(n - 1, Int((max(ax, bx) + pad).rounded(.up)))
        let y0 = max(0, Int((min(ay, by) - pad).rounded(.down))), y1 = min(n - 1, Int((max(ay, by) + pad).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let wx = Double(x) + 0.5 - ax, wy = Double(y) + 0.5 - ay
                let t = min(1, max(0, (wx * ex + wy * ey) / len2))
                let dx = wx - ex * t, dy = wy - ey * t
                let d = (dx * dx + dy * dy).squareRoot() - halfWidth
                let cov = min(1, max(0, 0.5 - d))
                if cov > 0 { blend(p, (y * n + x) * 3, color, cov * alpha) }
            }
        }
    }
}
