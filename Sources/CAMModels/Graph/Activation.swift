import Torch

/// The element-wise activations of Keras layers and `activation=` arguments.
public enum Activation: String, Sendable, CaseIterable {
    case linear
    case relu
    case relu6
    case sigmoid
    /// Keras 3: `relu6(x + 3) / 6`.
    case hardSigmoid = "hard_sigmoid"
    /// Keras 2: `clip(0.2 x + 0.5, 0, 1)`.
    case hardSigmoidKeras2 = "hard_sigmoid_keras2"
    /// `x · relu6(x + 3) / 6` (Keras' `hard_swish` / `hard_silu`).
    case hardSwish = "hard_swish"
    /// `x · sigmoid(x)` (Keras' `swish` / `silu`).
    case swish
    /// Exact GELU, `x Φ(x)`.
    case gelu
    /// GELU with the tanh approximation (`gelu(approximate=True)`).
    case geluTanh = "gelu_tanh"
    case tanh
    case elu
    case selu
    case softplus
    case softsign
    case exponential
    case leakyRelu = "leaky_relu"
    case mish
    /// Over the channel axis (dim 1 of NCHW or [N, C]; the last dim otherwise).
    case softmax

    /// `x` with the activation applied.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .linear: return x
        case .relu: return try x.relu()
        case .relu6: return try x.clamp(min: 0, max: 6)
        case .sigmoid: return try x.sigmoid()
        case .hardSigmoid: return try x.hardsigmoid()
        case .hardSigmoidKeras2: return try (x * 0.2 + 0.5).clamp(min: 0, max: 1)
        case .hardSwish: return try x.hardswish()
        case .swish: return try x.silu()
        case .gelu: return try x.gelu()
        case .geluTanh: return try x.gelu(approximate: true)
        case .tanh: return try x.tanh()
        case .elu: return try x.elu()
        case .selu: return try x.selu()
        case .softplus: return try (x.exp() + 1).log()
        case .softsign: return try x / (x.abs() + 1)
        case .exponential: return try x.exp()
        case .leakyRelu: return try x.relu() - (0 - x).relu() * 0.2
        case .mish: return try x * (x.exp() + 1).log().tanh()
        case .softmax: return try Functional.softmax(x, dim: channelDim(x))
        }
    }
}

/// The channel dimension of a tensor in the graph's layout: 1 for NCHW feature maps and [N, C],
/// the last one otherwise.
func channelDim(_ x: Tensor) -> Int { x.rank == 4 || x.rank == 2 ? 1 : x.rank - 1 }

/// Reshapes per-channel values [C] so that they broadcast over `x`'s channel dimension.
func perChannel(_ v: Tensor, like x: Tensor) throws -> Tensor {
    guard x.rank == 4 else { return v }
    return try v.reshape([1, -1, 1, 1])
}
