import Torch

/// The weights of a convolution with its eval-mode batch norm folded in
/// (`w·γ/√(σ²+ε)`, `(b−μ)·γ/√(σ²+ε)+β`), rebuilt when a parameter or running statistic changes
/// (libtorch's version counters tell); the weight in both memory layouts, each made when first asked for.
final class FoldedConvBN: @unchecked Sendable {
    private var weight: Tensor?
    private var weightChannelsLast: Tensor?
    private var bias: Tensor?
    private var versions: [Int] = []

    func parameters(_ conv: Conv2d, _ bn: BatchNorm2d, channelsLast: Bool) throws -> (Tensor, Tensor) {
        try parameters(
            weight: conv.weight, bias: conv.bias, gamma: bn.weight, beta: bn.bias, mean: bn.runningMean,
            variance: bn.runningVar, eps: bn.eps, channelsLast: channelsLast)
    }

    /// The folded OIHW weight and bias of a convolution (`weight`, `bias`) followed by batch norm.
    func parameters(
        weight convWeight: Tensor, bias convBias: Tensor?, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
        eps: Double, channelsLast: Bool
    ) throws -> (Tensor, Tensor) {
        let sources = [convWeight, gamma, beta, mean, variance] + (convBias.map { [$0] } ?? [])
        let now = sources.map(\.version)
        if now != versions || weight == nil {
            try fold(convWeight, convBias, gamma, beta, mean, variance, eps)
            versions = now
        }
        if channelsLast, weightChannelsLast == nil {
            weightChannelsLast = try withInferenceMode(false) { try withNoGrad { try weight!.channelsLast() } }
        }
        return (channelsLast ? weightChannelsLast! : weight!, bias!)
    }

    /// Builds the folded weight and bias outside any inference-mode scope, so that autograd
    /// passes (explanations) can use them.
    private func fold(_ w: Tensor, _ b: Tensor?, _ gamma: Tensor, _ beta: Tensor, _ mean: Tensor, _ variance: Tensor, _ eps: Double) throws {
        try withInferenceMode(false) {
            try withNoGrad {
                let scale = try gamma * (variance + eps).rsqrt()
                weight = try w * scale.reshape([-1, 1, 1, 1])
                weightChannelsLast = nil
                let shift = try b.map { try $0 - mean } ?? (0.0 - mean)
                bias = try shift * scale + beta
            }
        }
    }
}
