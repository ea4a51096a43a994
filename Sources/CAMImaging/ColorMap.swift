import CAMCore
import CCV

/// OpenCV's colour maps (`cv::ColormapTypes`), in OpenCV's order.
public enum ColorMap: Int32, Sendable, CaseIterable {
    case autumn = 0, bone, jet, winter, rainbow, ocean, summer, spring, cool, hsv, pink, hot,
        parula, magma, inferno, plasma, viridis, cividis, twilight, twilightShifted, turbo, deepgreen

    /// The map a name means, case-insensitive (`jet`, `viridis`, `twilight-shifted`, ...).
    public init?(name: String) {
        let key = name.lowercased().filter { $0.isLetter }
        guard let m = ColorMap.allCases.first(where: { $0.name.filter { $0.isLetter } == key }) else { return nil }
        self = m
    }

    /// Lower-case name (`twilight-shifted` for the two-word one).
    public var name: String {
        switch self {
        case .twilightShifted: "twilight-shifted"
        default: String(describing: self)
        }
    }
}

extension Image {
    /// `cv::applyColorMap` of a 1-channel image; the result is 3-channel RGB.
    public func applyingColorMap(_ map: ColorMap) throws -> Image {
        guard channels == 1 else {
            throw CAMError("applyColorMap", "expected a 1-channel image, got \(channels) channels")
        }
        return try cvTransformed("applyColorMap") { ctcv_apply_colormap($0, map.rawValue) }
    }
}

extension FloatMap {
    /// A heat map: values scaled by `scale` to bytes (see `toImage`) and coloured with `map`, as RGB.
    public func colorized(_ map: ColorMap = .jet, scale: Float = 255, rounding: Rounding = .truncate) throws -> Image {
        try toImage(scale: scale, rounding: rounding).applyingColorMap(map)
    }
}
