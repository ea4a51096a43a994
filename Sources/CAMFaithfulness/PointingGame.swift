import CAMImaging

/// The pointing games of a map against its image's ground-truth boxes (docs/PROTOCOLS.md,
/// Pointing games). Boxes are normalised; they cover the map's pixels `BoundingBox.pixelRect`
/// gives at the map's resolution, and several boxes count as their union.
public enum PointingGame {
    /// TorchRay's default tolerance (pixels), from Zhang et al.'s excitation backprop paper.
    public static let defaultTolerance = 15
    public static let toleranceRange = 1...10_000

    /// The pointing game (Zhang et al. 2016, as TorchRay's `PointingGame.evaluate` scores it): the
    /// map's maximum (the first in row-major order) hits when a box pixel lies at a Euclidean
    /// distance below `tolerance` from it. 1 for a hit, 0 for a miss.
    public static func hit(values: [Float], width: Int, height: Int, boxes: [BoundingBox], tolerance: Int) -> Float {
        precondition(values.count == width * height && width > 0 && height > 0)
        var best = 0
        values.withUnsafeBufferPointer { v in
            for i in 1..<v.count where v[i] > v[best] { best = i }
        }
        let (px, py) = (best % width, best / width)
        let limit = tolerance * tolerance
        for box in boxes {
            let r = box.pixelRect(width: width, height: height)
            // The box pixel nearest the maximum, per axis.
            let dx = max(r.x - px, 0, px - (r.x + r.width - 1))
            let dy = max(r.y - py, 0, py - (r.y + r.height - 1))
            if dx * dx + dy * dy < limit { return 1 }
        }
        return 0
    }

    /// The energy-based pointing game (Score-CAM, Wang et al. 2020): the share of the map's sum that
    /// lies inside the boxes. A map that sums to 0 or less has no energy to place and scores 0.
    public static func energy(values: [Float], width: Int, height: Int, boxes: [BoundingBox]) -> Float {
        precondition(values.count == width * height && width > 0 && height > 0)
        var inside = [Bool](repeating: false, count: values.count)
        inside.withUnsafeMutableBufferPointer { mask in
            for box in boxes {
                let r = box.pixelRect(width: width, height: height)
                for y in r.y..<(r.y + r.height) {
                    for x in r.x..<(r.x + r.width) { mask[y * width + x] = true }
                }
            }
        }
        var total = 0.0, boxed = 0.0
        values.withUnsafeBufferPointer { v in
            inside.withUnsafeBufferPointer { mask in
                for i in 0..<v.count {
                    total += Double(v[i])
                    if mask[i] { boxed += Double(v[i]) }
                }
            }
        }
        return total > 0 ? Float(boxed / total) : 0
    }
}
