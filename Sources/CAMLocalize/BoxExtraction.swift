import Foundation
import CAMImaging

/// One box found in a map.
public struct MapBox: Sendable, Hashable {
    /// The box's outline in the map's pixel coordinates: the 4 `boxPoints` corners of a rotated
    /// box (more after clipping), the 4 corners of an axis-aligned one. See `BoxRule` for whether
    /// coordinates are pixel edges (components) or pixel centres (tree contours, rotated).
    public var polygon: [SIMD2<Double>]
    /// The axis-aligned hull of `polygon`, normalised `[ymin, xmin, ymax, xmax]` by the map's
    /// height and width (the tutorial's `rect_to_minmax`).
    public var normalized: BoundingBox
    /// The upright pixel extent of the region (inclusive corners); for tree contours the
    /// `boundingRect` as `x ... x + w - 1`.
    public var pixelExtent: PixelBox
    /// `minAreaRect` when the rule's shape is rotated.
    public var rotatedRect: RotatedRect?
    /// Pixels in the region (components only).
    public var pixelCount: Int?
    /// `cv2.contourArea` of the contour (tree contours only).
    public var contourArea: Double?
    /// The map size the coordinates refer to.
    public var mapWidth: Int
    public var mapHeight: Int

    /// `polygon` divided by the map's width and height.
    public var normalizedPolygon: [SIMD2<Double>] {
        polygon.map { SIMD2($0.x / Double(mapWidth), $0.y / Double(mapHeight)) }
    }

    /// IoU with a normalised ground-truth box: of the axis-aligned hull (the tutorial's
    /// `get_iou(rect_to_minmax(...))`) or of the polygon itself.
    public func iou(with truth: BoundingBox, mode: IoUMode = .hull) -> Double {
        switch mode {
        case .hull: return IoU.normalized(normalized, truth)
        case .polygon: return IoU.polygon(normalizedPolygon, truth.outline)
        }
    }
}

/// How a box is compared with an axis-aligned ground truth.
public enum IoUMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The box's axis-aligned hull (the tutorial; the same as `polygon` for axis-aligned boxes).
    case hull
    /// The rotated polygon itself (convex polygon intersection).
    case polygon
}

/// Why a map gave no box.
public enum NoBoxReason: String, Sendable, Hashable, Codable {
    /// No finite value, or (for a threshold relative to the maximum) a maximum that is not positive.
    case emptyMap = "empty-map"
    /// No pixel is above the threshold.
    case nothingAboveThreshold = "nothing-above-threshold"
}

/// The boxes of one map under one rule; an explicit value when there is none.
public enum BoxPrediction: Sendable, Hashable {
    case noBox(NoBoxReason)
    /// One or more boxes (never empty).
    case boxes([MapBox])

    /// The boxes (empty for `noBox`).
    public var boxes: [MapBox] {
        if case .boxes(let b) = self { return b }
        return []
    }

    /// The first box, nil for `noBox`.
    public var primary: MapBox? { boxes.first }

    /// The best IoU of any box against any ground-truth box; 0 with both indices nil when there
    /// is no box or no ground truth.
    public func bestMatch(_ truths: [BoundingBox], mode: IoUMode = .hull) -> (iou: Double, box: Int?, truth: Int?) {
        var best: (iou: Double, box: Int?, truth: Int?) = (0, nil, nil)
        for (i, b) in boxes.enumerated() {
            for (j, t) in truths.enumerated() {
                let v = b.iou(with: t, mode: mode)
                if best.box == nil || v > best.iou { best = (v, i, j) }
            }
        }
        return best
    }
}

/// Boxes from maps by a `BoxRule`.
public enum BoxExtractor {
    /// The threshold value of `rule` for `map`; nil when a fraction of the maximum has no usable
    /// maximum (an empty, all-NaN, infinite or non-positive map). An absolute threshold needs no
    /// pass over the map.
    public static func thresholdValue(_ rule: BoxRule.Threshold, for map: FloatMap) -> Float? {
        switch rule {
        case .fractionOfMax(let f):
            guard let range = map.range, range.upperBound > 0, range.upperBound.isFinite else { return nil }
            return Float(f) * range.upperBound
        case .absolute(let a):
            return Float(a)
        }
    }

    /// The foreground of `map` under `rule` as an 8-bit mask (255 inside, 0 outside): `v > threshold`,
    /// and with `quantize` also `trunc(v * 255) >= 1` (in single precision, like NumPy on a float32
    /// map). `count` is the number of foreground pixels.
    public static func foreground(of map: FloatMap, threshold: Float, quantize: Bool) -> (mask: [UInt8], count: Int) {
        // trunc(v * 255) >= 1 is v * 255 >= 1, which holds exactly for v > quantizationFloor.
        let cut = quantize ? Swift.max(threshold, quantizationFloor) : threshold
        let (mask, count) = map.maskBytes(above: cut)
        return (mask, count)
    }

    /// The largest float `v` with `v * 255 < 1` in single precision: above it, `trunc(v * 255) >= 1`.
    static let quantizationFloor: Float = {
        var v: Float = 1 / 255
        while v * 255 >= 1 { v = v.nextDown }
        while (v.nextUp * 255) < 1 { v = v.nextUp }
        return v
    }()

    /// The boxes of `map` under `rule`. Never crashes on empty, constant or NaN maps: those give
    /// `.noBox` with the reason.
    public static func boxes(in map: FloatMap, rule: BoxRule) throws -> BoxPrediction {
        guard let tau = thresholdValue(rule.threshold, for: map) else { return .noBox(.emptyMap) }
        let (mask, count) = foreground(of: map, threshold: tau, quantize: rule.quantize)
        // Only an empty result asks whether the map had any value at all.
        guard count > 0 else { return .noBox(map.range == nil ? .emptyMap : .nothingAboveThreshold) }
        let boxes: [MapBox]
        switch rule.regions {
        case .components: boxes = try componentBoxes(mask, width: map.width, height: map.height, rule: rule)
        case .treeContours: boxes = try contourBoxes(mask, width: map.width, height: map.height, rule: rule)
        }
        return boxes.isEmpty ? .noBox(.nothingAboveThreshold) : .boxes(boxes)
    }

    // MARK: components

    static func componentBoxes(_ mask: [UInt8], width: Int, height: Int, rule: BoxRule) throws -> [MapBox] {
        let labels = mask.withUnsafeBufferPointer { ComponentLabels(width: width, height: height, isForeground: $0) }
        let all = labels.components.sorted { $0.value.firstPixel < $1.value.firstPixel }
        let chosen: [(Int32, ComponentStats)]
        switch rule.selection {
        case .first: chosen = all.first.map { [($0.key, $0.value)] } ?? []
        case .all: chosen = all.map { ($0.key, $0.value) }
        case .largest:
            var best: (Int32, ComponentStats)?
            for (root, c) in all where best == nil || c.pixelCount > best!.1.pixelCount { best = (root, c) }
            chosen = best.map { [$0] } ?? []
        }
        let corners = rule.shape == .rotated ? labels.runCorners(of: Set(chosen.map(\.0))) : [:]
        return try chosen.map { root, c in
            var box = MapBox(
                polygon: c.box.outline, normalized: c.box.normalized(width: width, height: height),
                pixelExtent: c.box, rotatedRect: nil, pixelCount: c.pixelCount, contourArea: nil,
                mapWidth: width, mapHeight: height)
            if rule.shape == .rotated {
                let rect = try Contours.minAreaRect(corners[root] ?? [])
                var poly = try Contours.boxPoints(rect).map { SIMD2(Double($0.x), Double($0.y)) }
                if rule.clip { poly = clip(poly, maxX: Double(width), maxY: Double(height)) }
                box.rotatedRect = rect
                box.polygon = poly
                box.normalized = hull(poly, width: width, height: height)
            }
            return box
        }
    }

    // MARK: contours

    static func contourBoxes(_ mask: [UInt8], width: Int, height: Int, rule: BoxRule) throws -> [MapBox] {
        let image = try Image(width: width, height: height, channels: 1, pixels: mask)
        let set = try Contours.find(in: image, mode: .tree, method: .simple)
        guard !set.isEmpty else { return [] }
        let chosen: [Int]
        switch rule.selection {
        case .first: chosen = [0]
        case .all: chosen = Array(set.contours.indices)
        case .largest: chosen = try set.largestIndex().map { [$0] } ?? []
        }
        return try chosen.map { i in
            let contour = set.contours[i]
            let rect = try Contours.boundingRect(contour)
            let extent = PixelBox(x0: rect.x, y0: rect.y, x1: rect.x + rect.width - 1, y1: rect.y + rect.height - 1)
            var box = MapBox(
                polygon: extent.outline, normalized: extent.normalized(width: width, height: height),
                pixelExtent: extent, rotatedRect: nil, pixelCount: nil,
                contourArea: try Contours.area(contour), mapWidth: width, mapHeight: height)
            if rule.shape == .rotated {
                // The tutorial: minAreaRect of the contour points, boxPoints, np.int0 (truncation).
                let rotated = try Contours.minAreaRect(contour)
                var poly = try Contours.boxPoints(rotated).map {
                    SIMD2(Double(Int($0.x.rounded(.towardZero))), Double(Int($0.y.rounded(.towardZero))))
                }
                if rule.clip { poly = clip(poly, maxX: Double(width - 1), maxY: Double(height - 1)) }
                box.rotatedRect = rotated
                box.polygon = poly
                box.normalized = hull(poly, width: width, height: height)
            }
            return box
        }
    }

    // MARK: geometry

    /// The axis-aligned hull of `poly`, divided by the map size (`rect_to_minmax`).
    static func hull(_ poly: [SIMD2<Double>], width: Int, height: Int) -> BoundingBox {
        var lo = SIMD2(Double.infinity, .infinity), hi = SIMD2(-Double.infinity, -.infinity)
        for p in poly {
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        return BoundingBox(
            ymin: lo.y / Double(height), xmin: lo.x / Double(width),
            ymax: hi.y / Double(height), xmax: hi.x / Double(width))
    }

    /// `poly` clipped to `[0, maxX] x [0, maxY]`; a degenerate polygon (no area) is clamped point by point.
    static func clip(_ poly: [SIMD2<Double>], maxX: Double, maxY: Double) -> [SIMD2<Double>] {
        let inside = poly.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x <= maxX && $0.y <= maxY }
        if inside { return poly }
        if Polygon.area(poly) > 0, let c = Polygon.clipped(poly, width: maxX, height: maxY) { return c }
        return poly.map { SIMD2(Swift.min(maxX, Swift.max(0, $0.x)), Swift.min(maxY, Swift.max(0, $0.y))) }
    }
}

extension OverlayBox {
    /// A box found in a map (its polygon, normalised by the map's size) with its best IoU against `truth`.
    public init(_ box: MapBox, truth: [BoundingBox], mode: IoUMode = .hull) {
        self.init(outline: box.normalizedPolygon, iou: truth.isEmpty ? nil : truth.map { box.iou(with: $0, mode: mode) }.max())
    }
}
