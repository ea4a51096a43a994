import Foundation
import Torch

/// Dropout, SpatialDropout2D, GaussianNoise, GaussianDropout, ConvNeXt's StochasticDepth and
/// Identity: the input unchanged in inference; noise of the layer's kind in training.
public final class NoiseOp: ModeGraphOp<NoiseOp.Mode>, GraphOp, InferenceIdentity {
    public enum Mode: Sendable, Equatable {
        case identity
        /// Zero each value with probability `rate`, scale the rest by 1 / (1 − rate).
        case dropout(rate: Double)
        /// Zero whole channels with probability `rate` (feature maps).
        case spatialDropout(rate: Double)
        /// Add N(0, stddev²).
        case gaussianNoise(stddev: Double)
        /// Multiply by N(1, rate / (1 − rate)).
        case gaussianDropout(rate: Double)
        /// Drop the whole residual branch per sample with probability `rate`, scale by 1 / (1 − rate).
        case stochasticDepth(rate: Double)
    }
    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = try single(inputs)
        guard isTraining else { return x }
        switch mode {
        case .identity: return x
        case .dropout(let rate): return try masked(x, rate: rate, shape: x.shape)
        case .spatialDropout(let rate):
            return try masked(x, rate: rate, shape: x.rank == 4 ? [x.shape[0], x.shape[1], 1, 1] : x.shape)
        case .gaussianNoise(let stddev): return try x + Tensor.randn(x.shape) * stddev
        case .gaussianDropout(let rate):
            guard rate > 0 && rate < 1 else { return x }
            return try x * (Tensor.randn(x.shape) * Foundation.sqrt(rate / (1 - rate)) + 1)
        case .stochasticDepth(let rate):
            return try masked(x, rate: rate, shape: [x.shape[0]] + Array(repeating: 1, count: x.rank - 1))
        }
    }

    /// `x` times a keep mask of `shape` (broadcast), scaled by 1 / (1 − rate).
    private func masked(_ x: Tensor, rate: Double, shape: [Int]) throws -> Tensor {
        guard rate > 0 else { return x }
        guard rate < 1 else { return try x * 0.0 }
        let keep = try Tensor.rand(shape).ge(rate).to(.float32)
        return try x * keep / (1 - rate)
    }
}
