import CCV

extension Image {
    /// `cv::addWeighted`: saturate(a * alpha + b * beta + gamma) per sample, rounded to nearest.
    /// Both images must have the same size and channel count.
    public static func addWeighted(_ a: Image, _ alpha: Double, _ b: Image, _ beta: Double, gamma: Double = 0) throws -> Image {
        try cvAddWeighted(a, alpha, b, beta, gamma: gamma)
    }

    /// `self * alpha + other * (1 - alpha)` (the tutorial's `visualize_cam_on_image(self, other, alpha)`).
    public func blended(with other: Image, alpha: Double = 0.5) throws -> Image {
        try Image.addWeighted(self, alpha, other, 1 - alpha, gamma: 0)
    }
}

extension FloatMap {
    /// `cv::addWeighted` of two maps of the same size: a * alpha + b * beta + gamma, in single precision.
    public static func addWeighted(_ a: FloatMap, _ alpha: Double, _ b: FloatMap, _ beta: Double, gamma: Double = 0) throws -> FloatMap {
        try cvAddWeighted(a, alpha, b, beta, gamma: gamma)
    }
}
