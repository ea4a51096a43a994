import CAMFormats

/// Keras activation names (`activation="relu"`, `Activation("gelu")`) as `Activation`s.
enum KerasActivations {
    /// The activation of a layer's `activation` entry (a name or a serialized function); nil: linear.
    static func parse(_ value: KerasJSON?, kerasMajor: Int, fail: (String) -> KerasGraphError) throws -> Activation {
        guard let value, value != .null else { return .linear }
        guard let name = KerasModelConfig.activationName(value) else { throw fail("unreadable activation \(value)") }
        switch name {
        case "linear", "None": return .linear
        case "relu": return .relu
        case "relu6": return .relu6
        case "sigmoid": return .sigmoid
        case "hard_sigmoid": return kerasMajor >= 3 ? .hardSigmoid : .hardSigmoidKeras2
        case "hard_swish", "hard_silu": return .hardSwish
        case "swish", "silu": return .swish
        case "gelu":
            let approximate = value["config"]?["approximate"]?.boolValue ?? false
            return approximate ? .geluTanh : .gelu
        case "tanh": return .tanh
        case "elu": return .elu
        case "selu": return .selu
        case "softmax": return .softmax
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "exponential": return .exponential
        case "leaky_relu": return .leakyRelu
        case "mish": return .mish
        default:
            throw fail(
                "activation '\(name)' is not supported (linear, relu, relu6, sigmoid, hard_sigmoid, hard_swish, swish, gelu, tanh, elu, selu, softmax, softplus, softsign, exponential, leaky_relu, mish)"
            )
        }
    }
}
