import CCV

/// Channel-order conversions (`cv::cvtColor`) CAMKit needs.
public enum ColorConversion: Sendable, CaseIterable {
    /// Swap the first and third channels of a 3-channel image (RGB <-> BGR).
    case rgbToBGR, bgrToRGB
    /// 3-channel RGB (or BGR) to 1-channel luma (0.299 R + 0.587 G + 0.114 B).
    case rgbToGray, bgrToGray
    /// 1-channel to 3 equal channels.
    case grayToRGB
    /// Drop alpha.
    case rgbaToRGB
    /// 4-channel RGBA to 1-channel luma.
    case rgbaToGray

    var code: Int32 {
        switch self {
        case .rgbToBGR: Int32(CTCV_COLOR_RGB2BGR)
        case .bgrToRGB: Int32(CTCV_COLOR_BGR2RGB)
        case .rgbToGray: Int32(CTCV_COLOR_RGB2GRAY)
        case .bgrToGray: Int32(CTCV_COLOR_BGR2GRAY)
        case .grayToRGB: Int32(CTCV_COLOR_GRAY2RGB)
        case .rgbaToRGB: Int32(CTCV_COLOR_RGBA2RGB)
        case .rgbaToGray: Int32(CTCV_COLOR_RGBA2GRAY)
        }
    }
}

extension Image {
    /// The image converted by `cv::cvtColor`; throws (with OpenCV's message) when the channel count does not fit.
    public func converted(_ conversion: ColorConversion) throws -> Image {
        try cvTransformed("cvtColor") { ctcv_cvt_color($0, conversion.code) }
    }
}
