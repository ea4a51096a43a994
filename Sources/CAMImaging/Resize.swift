import CCV
import Foundation

/// OpenCV's interpolation methods for `resize`.
public enum Interpolation: Int32, Sendable, CaseIterable {
    case nearest = 0
    case linear = 1
    case cubic = 2
    /// Pixel-area relation; the usual choice for shrinking.
    case area = 3
    case lanczos4 = 4
    /// Bit-exact bilinear.
    case linearExact = 5
    /// Nearest neighbour matching PIL / scikit-image / PyTorch `nearest-exact`.
    case nearestExact = 6

    /// The method a name means (`nearest`, `linear`/`bilinear`, `cubic`/`bicubic`, `area`,
    /// `lanczos4`/`lanczos`, `linear-exact`, `nearest-exact`).
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "nearest": self = .nearest
        case "linear", "bilinear": self = .linear
        case "cubic", "bicubic": self = .cubic
        case "area": self = .area
        case "lanczos4", "lanczos": self = .lanczos4
        case "linear-exact": self = .linearExact
        case "nearest-exact": self = .nearestExact
        default: return nil
        }
    }
}

extension Image {
    /// `cv::resize` to `width` x `height`.
    public func resized(width: Int, height: Int, interpolation: Interpolation = .linear) throws -> Image {
        try cvTransformed("resize") { ctcv_resize($0, Int32(clamping: height), Int32(clamping: width), interpolation.rawValue) }
    }
}

extension FloatMap {
    /// `cv::resize` of the float values to `width` x `height` (the tutorial upsamples CAMs with `.linear`).
    public func resized(width: Int, height: Int, interpolation: Interpolation = .linear) throws -> FloatMap {
        try cvTransformed("resize") { ctcv_resize($0, Int32(clamping: height), Int32(clamping: width), interpolation.rawValue) }
    }
}
