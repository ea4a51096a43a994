import CCV

/// `cv::threshold` rules: what a value `v` becomes for threshold `t` and maximum `m`.
public enum ThresholdType: Int32, Sendable, CaseIterable {
    /// `v > t ? m : 0`
    case binary = 0
    /// `v > t ? 0 : m`
    case binaryInverted = 1
    /// `v > t ? t : v`
    case truncate = 2
    /// `v > t ? v : 0` (the tutorial's "zero the values <= 0.05")
    case toZero = 3
    /// `v > t ? 0 : v`
    case toZeroInverted = 4
}

/// Automatic threshold selection for 8-bit 1-channel images.
public enum AutomaticThreshold: Int32, Sendable, CaseIterable {
    case otsu = 8
    case triangle = 16
}

extension FloatMap {
    /// `cv::threshold` of the values.
    public func thresholded(_ threshold: Float, maxValue: Float = 1, type: ThresholdType) throws -> FloatMap {
        try cvTransformed("threshold") { ctcv_threshold($0, Double(threshold), Double(maxValue), type.rawValue, nil) }
    }
}

extension Image {
    /// `cv::threshold` of every sample.
    public func thresholded(_ threshold: Double, maxValue: Double = 255, type: ThresholdType) throws -> Image {
        try thresholdedReportingValue(threshold, maxValue: maxValue, type: type, automatic: nil).image
    }

    /// `cv::threshold`, optionally choosing the threshold by Otsu's or the triangle method
    /// (1-channel images only); also returns the threshold used.
    public func thresholdedReportingValue(
        _ threshold: Double = 0, maxValue: Double = 255, type: ThresholdType,
        automatic: AutomaticThreshold?
    ) throws -> (image: Image, threshold: Double) {
        var used = 0.0
        let flags = type.rawValue | (automatic?.rawValue ?? 0)
        let image = try cvTransformed("threshold") { ctcv_threshold($0, threshold, maxValue, flags, &used) }
        return (image, used)
    }
}
