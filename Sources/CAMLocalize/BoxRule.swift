import CAMCore
import Foundation

/// How a map becomes boxes: which pixels are foreground, which regions they form, which regions
/// are kept and what shape each box has.
///
/// Named rules:
/// - `tutorial`: the reference tutorial's `get_bbox` + `rect_to_minmax`, exactly: values `<= 0.05`
///   set to zero, `(map * 255).astype(np.uint8)`, `findContours(RETR_TREE, CHAIN_APPROX_SIMPLE)`,
///   the first contour, `minAreaRect`, `boxPoints`, `np.int0`, the corners' axis-aligned hull
///   divided by the image height and width. Corners are pixel *centres* (OpenCV's contour points),
///   nothing is clipped, and the 0.05 is absolute (the tutorial's map is already divided by its max).
/// - `camkit` (the default): the largest 8-connected component of `{v > 0.20 * max}` by pixel count,
///   its axis-aligned box covering whole pixels (`[y0 / H, x0 / W, (y1 + 1) / H, (x1 + 1) / W]`).
/// - `camPaper` / `gradCAMPaper`: `camkit` at 20 % (Zhou et al. 2016) and 15 % (Selvaraju et al.
///   2017) of the maximum.
///
/// Conventions by `regions`:
/// - `.components`: 8-connected components of the foreground (the regions whose outer boundaries
///   OpenCV returns at the top level of `RETR_CCOMP`). A component inside another's hole is its
///   own region; holes never make boxes. "Largest" is by pixel count; ties go to the component
///   whose first pixel comes first in raster order, which is also what `first` picks.
///   Coordinates are pixel *edges*: a box covers its pixels, a rotated box is `minAreaRect` of
///   the corners of the region's pixels.
/// - `.treeContours`: OpenCV's `RETR_TREE` contours in OpenCV's order, hole contours included (the
///   tutorial and wsolevaluation). "Largest" is by `cv2.contourArea` (first of equals, like
///   Python's `max`). Rotated boxes use the contour points (pixel centres) and truncate
///   `boxPoints` like `np.int0`; axis-aligned boxes are `boundingRect`, which covers the pixels.
public struct BoxRule: Sendable, Hashable, CustomStringConvertible {
    /// Where the foreground starts.
    public enum Threshold: Sendable, Hashable {
        /// `v > fraction * max(map)`; a map whose maximum is not positive has no box.
        case fractionOfMax(Double)
        /// `v > value`.
        case absolute(Double)
    }

    /// Which regions the foreground is cut into.
    public enum Regions: String, Sendable, Hashable, CaseIterable {
        case components
        case treeContours = "tree-contours"
    }

    /// Which regions become boxes.
    public enum Selection: String, Sendable, Hashable, CaseIterable {
        /// The first region (OpenCV's order for contours, raster order for components).
        case first
        /// The largest region (pixel count for components, `contourArea` for contours).
        case largest
        /// Every region, one box each.
        case all
    }

    /// The shape of each box.
    public enum Shape: String, Sendable, Hashable, CaseIterable {
        /// `minAreaRect` of the region, `boxPoints` as the polygon.
        case rotated
        /// The upright rectangle around the region.
        case axisAligned = "axis-aligned"
    }

    public var threshold: Threshold
    /// The tutorial's `(map * 255).astype(np.uint8)` after thresholding: values that truncate to 0
    /// (below 1/255) are background too. Values above 1 clamp to 255 (NumPy's cast would wrap).
    public var quantize: Bool
    public var regions: Regions
    public var selection: Selection
    public var shape: Shape
    /// Clip each box (polygon and hull) to the image. Axis-aligned boxes never leave the image;
    /// rotated ones can.
    public var clip: Bool

    public init(
        threshold: Threshold, quantize: Bool = false, regions: Regions = .components,
        selection: Selection = .largest, shape: Shape = .axisAligned, clip: Bool = true
    ) {
        self.threshold = threshold
        self.quantize = quantize
        self.regions = regions
        self.selection = selection
        self.shape = shape
        self.clip = clip
    }

    /// The tutorial's `get_bbox` + `rect_to_minmax`.
    public static let tutorial = BoxRule(
        threshold: .absolute(0.05), quantize: true, regions: .treeContours,
        selection: .first, shape: .rotated, clip: false)
    /// CAMKit's default: largest component above 20 % of the maximum, axis-aligned.
    public static let camkit = BoxRule(threshold: .fractionOfMax(0.20))
    /// The CAM paper's 20 % of the maximum.
    public static let camPaper = BoxRule(threshold: .fractionOfMax(0.20))
    /// The Grad-CAM paper's 15 % of the maximum.
    public static let gradCAMPaper = BoxRule(threshold: .fractionOfMax(0.15))

    /// The named rules `parse` accepts.
    public static let named: [(String, BoxRule)] = [
        ("camkit", .camkit), ("tutorial", .tutorial), ("cam-paper", .camPaper), ("gradcam-paper", .gradCAMPaper)
    ]

    /// Parses `NAME[:key=value,...]`: a named rule (`camkit`, `tutorial`, `cam-paper`,
    /// `gradcam-paper`) then overrides: `threshold=0.15` (fraction of max), `absolute=0.3`,
    /// `regions=components|tree-contours`, `select=first|largest|all`,
    /// `shape=rotated|axis-aligned`, `quantize=yes|no`, `clip=yes|no`.
    /// Example: `camkit:threshold=0.15,select=all,shape=rotated`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard let base = BoxRule.named.first(where: { $0.0 == name })?.1 else {
            throw CAMError("box rule", "unknown rule '\(name)'; known: \(BoxRule.named.map(\.0).joined(separator: ", "))")
        }
        var rule = base
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { throw CAMError("box rule", "'\(item)' is not key=value in '\(text)'") }
                let (key, value) = (kv[0].lowercased(), kv[1].lowercased())
                func number() throws -> Double {
                    guard let v = Double(value), v.isFinite else { throw CAMError("box rule", "\(key)=\(value): not a number") }
                    return v
                }
                func flag() throws -> Bool {
                    switch value {
                    case "yes", "true", "1", "on": return true
                    case "no", "false", "0", "off": return false
                    default: throw CAMError("box rule", "\(key)=\(value): expected yes or no")
                    }
                }
                func pick<E: RawRepresentable & CaseIterable>(_: E.Type) throws -> E where E.RawValue == String {
                    guard let e = E(rawValue: value) else {
                        throw CAMError("box rule", "\(key)=\(value): expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return e
                }
                switch key {
                case "threshold", "fraction":
                    let v = try number()
                    guard (0...1).contains(v) else { throw CAMError("box rule", "threshold=\(value): a fraction of the max must be in 0...1") }
                    rule.threshold = .fractionOfMax(v)
                case "absolute": rule.threshold = .absolute(try number())
                case "regions": rule.regions = try pick(Regions.self)
                case "select", "selection": rule.selection = try pick(Selection.self)
                case "shape": rule.shape = try pick(Shape.self)
                case "quantize": rule.quantize = try flag()
                case "clip": rule.clip = try flag()
                default:
                    throw CAMError("box rule", "unknown key '\(key)'; keys: threshold, absolute, regions, select, shape, quantize, clip")
                }
            }
        }
        self = rule
    }

    public var description: String {
        let t: String
        switch threshold {
        case .fractionOfMax(let f): t = "threshold=\(f)"
        case .absolute(let a): t = "absolute=\(a)"
        }
        return
            "\(t),regions=\(regions.rawValue),select=\(selection.rawValue),shape=\(shape.rawValue),quantize=\(quantize ? "yes" : "no"),clip=\(clip ? "yes" : "no")"
    }
}
