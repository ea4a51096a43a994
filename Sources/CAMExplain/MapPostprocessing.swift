import Torch
import CAMImaging

/// Normalising and resizing raw maps.
public enum MapPostprocessing {
    /// Scales a raw map ([h, w] or [N, h, w]) to [0, 1] per map. Never produces NaN: see `MapNormalization`.
    public static func normalize(_ raw: Tensor, mode: MapNormalization) throws -> Tensor {
        let batched = raw.rank == 3 ? raw : try raw.unsqueeze(0)
        let out: Tensor
        switch mode {
        case .tutorial:
            let peak = try batched.max(dims: [1, 2], keepDim: true)
            let safe = try Tensor.where(peak.gt(0), peak, Tensor.ones([], dtype: peak.dtype))
            out = try Tensor.where(peak.gt(0), batched / safe, Tensor.zeros([], dtype: batched.dtype))
        case .standard, .minMax:
            let r = mode == .standard ? try batched.relu() : batched
            let lo = try r.min(dims: [1, 2], keepDim: true)
            let range = try r.max(dims: [1, 2], keepDim: true) - lo
            let safe = try Tensor.where(range.gt(0), range, Tensor.ones([], dtype: range.dtype))
            out = try Tensor.where(range.gt(0), (r - lo) / safe, Tensor.zeros([], dtype: r.dtype))
        }
        return raw.rank == 3 ? out : try out.squeeze(0)
    }

    /// Resizes a map ([h, w] or [N, h, w]) to `size` (height, width) like `cv2.resize`
    /// (half-pixel centres, no antialiasing).
    public static func upsample(_ map: Tensor, to size: (Int, Int), mode: InterpolationMode = .bilinear) throws -> Tensor {
        let batched = map.rank == 3 ? try map.unsqueeze(1) : try map.unsqueeze(0).unsqueeze(0)
        let up = try Functional.interpolate(batched, size: size, mode: mode, alignCorners: mode == .nearest ? nil : false)
        return map.rank == 3 ? try up.squeeze(1) : try up[0][0]
    }
}

/// How a raw map (feature resolution, before ReLU) becomes a map at image size: the one renderer
/// that `camkit explain`, `localize`, `evaluate`, panels and the web app share, so the same image
/// gives the same map everywhere, bit for bit.
public struct MapRendering: Sendable, Hashable {
    public var normalization: MapNormalization
    public var upsampling: InterpolationMode

    public init(normalization: MapNormalization = .standard, upsampling: InterpolationMode = .bilinear) {
        self.normalization = normalization
        self.upsampling = upsampling
    }

    /// The raw map normalised and resized to `height`×`width`, not clamped: what boxes are cut
    /// from and `--write-image-maps` saves. With `.tutorial` and bilinear upsampling it is the
    /// tutorial's `generate_cam` result (`cam /= np.max(cam)`, `cv2.resize`), negatives included.
    public func imageMap(_ raw: Tensor, height: Int, width: Int) throws -> Tensor {
        let normalized = try MapPostprocessing.normalize(raw, mode: normalization)
        return try MapPostprocessing.upsample(normalized, to: (height, width), mode: upsampling)
    }

    /// `imageMap` clamped to [0, 1]: what overlays colour and the grey PNGs show.
    public func displayMap(_ raw: Tensor, height: Int, width: Int) throws -> FloatMap {
        try Self.display(imageMap(raw, height: height, width: width))
    }

    /// An image map clamped to [0, 1], for when the unclamped map is wanted too.
    public static func display(_ imageMap: Tensor) throws -> FloatMap {
        try FloatMap(tensor: imageMap.clamp(min: 0, max: 1))
    }
}
