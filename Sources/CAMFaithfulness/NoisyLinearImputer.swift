import CAMData
import CImpute

/// ROAD's noisy linear imputer (pytorch-grad-cam's `NoisyLinearImputer`): every removed pixel
/// becomes the weighted mean of its 8 neighbours (1/6 edge, 1/12 diagonal; one sparse linear
/// system per image, solved by Eigen in double precision), plus Gaussian noise of standard
/// deviation `noise` on each imputed value.
public enum NoisyLinearImputer {
    /// Imputes the pixels of `image` (C×H×W float32, planar) where `known` (H×W) is 0, writing the
    /// whole image to `out`. Noise comes from `rng`, one sample per channel and imputed pixel, in
    /// channel-then-raster order. `source` names the map (and percentile) in errors.
    public static func impute(
        _ image: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int, known: [UInt8],
        noise: Float, rng: inout SplitMix64, into out: UnsafeMutableBufferPointer<Float>, source: String
    ) throws {
        let plane = height * width
        precondition(image.count == channels * plane && out.count == image.count && known.count == plane)
        cimpute_clear_error()
        let status = known.withUnsafeBufferPointer {
            cimpute_linear(image.baseAddress, Int32(channels), Int32(height), Int32(width), $0.baseAddress, out.baseAddress)
        }
        guard status == 0 else {
            let message = String(cString: cimpute_last_error())
            throw FaithfulnessError.imputation(source: source, message: message.isEmpty ? "unknown solver failure" : message)
        }
        guard noise != 0 else { return }
        for c in 0..<channels {
            let base = c * plane
            for p in 0..<plane where known[p] == 0 { out[base + p] += noise * Float(rng.gaussian()) }
        }
    }

    /// `impute` on arrays, with noise seeded by `seed`.
    public static func impute(
        _ image: [Float], channels: Int, height: Int, width: Int, known: [UInt8], noise: Float = 0, seed: UInt64 = 0
    ) throws -> [Float] {
        var rng = SplitMix64(seed: seed)
        var out = [Float](repeating: 0, count: image.count)
        try image.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try impute(
                    src, channels: channels, height: height, width: width, known: known, noise: noise, rng: &rng, into: dst,
                    source: "image")
            }
        }
        return out
    }
}
