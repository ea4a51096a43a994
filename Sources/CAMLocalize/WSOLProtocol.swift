import CAMCore
import Foundation
import CAMImaging

/// wsolevaluation's box protocol (Choe et al., CVPR 2020, `evaluation.py` of clovaai/wsolevaluation),
/// reproduced number for number on the same score maps:
///
/// - the map must be finite and in [0, 1] (its `check_scoremap_validity`) and is quantised as
///   `(map * 255).astype(np.uint8)` in double precision;
/// - the thresholds are `np.arange(0, 1, interval)` (1000 of them for the default 0.001), and
///   threshold `t` keeps the bytes `> int(t * max(bytes))` (`cv2.threshold`, `THRESH_BINARY`);
/// - `cv2.findContours(RETR_TREE, CHAIN_APPROX_SIMPLE)`: hole contours are candidates too;
/// - one box: the contour with the largest `cv2.contourArea` (the first of equals);
///   all boxes (MaxBoxAccV2's "multi-contour"): every contour;
/// - a box is `cv2.boundingRect` as `x0, y0, x0 + w, y0 + h`, with `x1, y1` clipped to
///   `width - 1, height - 1`; no contour gives the box `(0, 0, 0, 0)`;
/// - ground-truth boxes are integer `x0y0x1y1` in the original image, resized to the map's size
///   with `int(x * new_w / w)` (wsolevaluation always resizes to 224 x 224, the size its maps have);
/// - IoU adds 1 to every side and a box is correct when IoU `>= delta` against any ground truth.
///
/// The thresholds give at most 256 distinct integer cut-offs on the bytes, so contours are traced
/// once per distinct cut-off and shared by the thresholds that map to it (same result).
public enum WSOLProtocol {
    /// `np.arange(0, 1, interval)`: `ceil(1 / interval)` values `i * interval`.
    public static func thresholds(interval: Double = 0.001) throws -> [Double] {
        guard interval > 0, interval <= 1, interval.isFinite else {
            throw CAMError("thresholds", "the threshold interval must be in (0, 1], got \(interval)")
        }
        let n = Int((1.0 / interval).rounded(.up))
        return (0..<n).map { Double($0) * interval }
    }

    /// Checks a score map the way `check_scoremap_validity` does: finite, within [0, 1].
    public static func validate(_ values: [Double], source: String? = nil) throws {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values {
            guard !v.isNaN else { throw CAMError("score map", "contains NaN (wsolevaluation needs values in [0, 1])", path: source) }
            lo = Swift.min(lo, v); hi = Swift.max(hi, v)
        }
        guard lo >= 0, hi <= 1 else {
            throw CAMError("score map", "values must be in [0, 1] for wsolevaluation; min \(lo), max \(hi) (normalise the map first)", path: source)
        }
    }

    /// `(map * 255).astype(np.uint8)` in double precision (values already validated to [0, 1]).
    public static func quantize(_ values: [Double]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count {
                    let s = (v[i] * 255).rounded(.towardZero)
                    out[i] = s <= 0 ? 0 : (s >= 255 ? 255 : UInt8(s))
                }
            }
            initialized = values.count
        }
    }

    /// wsolevaluation's `normalize_scoremap`: min-max to [0, 1]; a constant or NaN map becomes zeros.
    public static func normalizeScoremap(_ values: [Double]) -> [Double] {
        if values.contains(where: \.isNaN) { return [Double](repeating: 0, count: values.count) }
        guard let lo = values.min(), let hi = values.max(), lo != hi else { return [Double](repeating: 0, count: values.count) }
        let shifted = values.map { $0 - lo }
        let m = shifted.max()!
        return shifted.map { $0 / m }
    }

    /// `resize_bbox`: integer `x0y0x1y1` in a `from` (width, height) image scaled to `to`, truncated.
    public static func resizeBox(_ box: PixelBox, from: (width: Int, height: Int), to: (width: Int, height: Int)) -> PixelBox {
        func scale(_ v: Int, _ new: Int, _ old: Int) -> Int { Int((Double(v) * Double(new) / Double(old)).rounded(.towardZero)) }
        return PixelBox(
            x0: scale(box.x0, to.width, from.width), y0: scale(box.y0, to.height, from.height),
            x1: scale(box.x1, to.width, from.width), y1: scale(box.y1, to.height, from.height))
    }

    /// The integer pixel box a normalised box was made from (`x0 / width`, ...): each coordinate
    /// times the size, rounded to the nearest integer (exact for boxes read from wsolevaluation's
    /// integer `localization.txt`).
    public static func pixelBox(_ box: BoundingBox, width: Int, height: Int) -> PixelBox {
        PixelBox(
            x0: Int((box.xmin * Double(width)).rounded()), y0: Int((box.ymin * Double(height)).rounded()),
            x1: Int((box.xmax * Double(width)).rounded()), y1: Int((box.ymax * Double(height)).rounded()))
    }

    /// The integer cut-off `int(t * max(bytes))` of each threshold.
    public static func cutoffs(_ thresholds: [Double], maxByte: UInt8) -> [Int] {
        thresholds.map { Int(($0 * Double(maxByte)).rounded(.towardZero)) }
    }

    /// The boxes at one cut-off: `bytes > cutoff`, tree contours, boundingRect with
    /// wsolevaluation's clipping. `largest`: the contour with the largest `contourArea`; `all`:
    /// every contour. Both are `(0, 0, 0, 0)` when there is no contour.
    public static func boxes(bytes: [UInt8], width: Int, height: Int, cutoff: Int) throws -> (largest: PixelBox, all: [PixelBox]) {
        let none = PixelBox(x0: 0, y0: 0, x1: 0, y1: 0)
        var any = false
        let mask = [UInt8](unsafeUninitializedCapacity: bytes.count) { out, initialized in
            bytes.withUnsafeBufferPointer { b in
                for i in 0..<b.count {
                    if Int(b[i]) > cutoff { out[i] = 255; any = true } else { out[i] = 0 }
                }
            }
            initialized = bytes.count
        }
        guard any else { return (none, [none]) }
        let image = try Image(width: width, height: height, channels: 1, pixels: mask)
        let set = try Contours.find(in: image, mode: .tree, method: .simple)
        guard !set.isEmpty else { return (none, [none]) }
        var all: [PixelBox] = []
        var largest = 0, largestArea = -Double.infinity
        for (i, c) in set.contours.enumerated() {
            let r = try Contours.boundingRect(c)
            all.append(PixelBox(x0: r.x, y0: r.y, x1: Swift.min(r.x + r.width, width - 1), y1: Swift.min(r.y + r.height, height - 1)))
            let a = try Contours.area(c)
            if a > largestArea { largestArea = a; largest = i }
        }
        return (all[largest], all)
    }

    /// `compute_bboxes_from_scoremaps`: the boxes at each threshold (each list non-empty), tracing
    /// contours once per distinct cut-off.
    public static func boxesAtThresholds(
        bytes: [UInt8], width: Int, height: Int, thresholds: [Double],
        multiContour: Bool
    ) throws -> [[PixelBox]] {
        let maxByte = bytes.max() ?? 0
        var cache: [Int: [PixelBox]] = [:]
        return try cutoffs(thresholds, maxByte: maxByte).map { c in
            if let hit = cache[c] { return hit }
            let found = try boxes(bytes: bytes, width: width, height: height, cutoff: c)
            let b = multiContour ? found.all : [found.largest]
            cache[c] = b
            return b
        }
    }
}
