import CAMFormats
import Foundation
import Torch

extension GraphNetwork {
    /// Every weight and statistic in Keras' own names and shapes, keyed `<layer path>/<weight>`
    /// (`block_1_expand/kernel`, `stem/bn/moving_mean`): what a checkpoint of a graph network
    /// stores, and what `KerasGraphImport.network(_:state:file:)` rebuilds the network from.
    /// Copies: later training does not change them.
    public func kerasState() throws -> [String: Tensor] {
        try withNoGrad {
            var out: [String: Tensor] = [:]
            for (name, module) in children {
                guard let op = module as? any GraphOp else { continue }
                let path = sourcePaths[name] ?? name
                for (weight, value) in try KerasGraphState.weights(of: op, kerasMajor: architecture?.kerasMajor ?? 3) {
                    out["\(path)/\(weight)"] = try value.isContiguous ? value.clone() : value.contiguous()
                }
            }
            return out
        }
    }
}

/// The inverse of `KerasLayerFactory`'s weight conversions: an op's tensors back in Keras' layout.
enum KerasGraphState {
    /// `kerasMajor`: Keras 3 calls a depthwise convolution's kernel `kernel`, Keras 2 `depthwise_kernel`.
    static func weights(of op: any GraphOp, kerasMajor: Int) throws -> KerasLayerWeights {
        var out: KerasLayerWeights = [:]
        switch op {
        case let conv as ConvOp:
            if conv.kind == "DepthwiseConv2D" {
                out[kerasMajor >= 3 ? "kernel" : "depthwise_kernel"] = try depthwiseHWIM(conv)
            } else {
                out["kernel"] = try conv.weight.permute([2, 3, 1, 0])  // OIHW → HWIO
            }
            out["bias"] = conv.bias
        case let separable as SeparableConvOp:
            out["depthwise_kernel"] = try depthwiseHWIM(separable.depthwise)
            out["pointwise_kernel"] = try separable.pointwise.weight.permute([2, 3, 1, 0])
            out["bias"] = separable.pointwise.bias
        case let dense as DenseOp:
            out["kernel"] = try dense.weight.permute([1, 0])  // [out, in] → [in, out]
            out["bias"] = dense.bias
        case let norm as LayerNormOp:
            // Over all axes of a feature map the factory made [C, H, W] of Keras' [H, W, C].
            func layout(_ t: Tensor) throws -> Tensor { norm.allAxes && t.rank == 3 ? try t.permute([1, 2, 0]) : t }
            out["gamma"] = try norm.gamma.map(layout)
            out["beta"] = try norm.beta.map(layout)
        case let prelu as PReLUOp:
            // A per-position alpha was made [1, C, H, W] of Keras' [H, W, C].
            let a = prelu.alpha
            out["alpha"] = a.rank == 4 ? try a.select(dim: 0, index: 0).permute([1, 2, 0]) : a
        default:
            // Batch norm, Normalization and LayerScale keep Keras' names for their tensors.
            for (name, t) in op.ownParameters + op.ownBuffers { out[name] = t }
        }
        return out
    }

    /// A grouped OIHW depthwise weight [in · multiplier, 1, h, w] as Keras' [h, w, in, multiplier].
    private static func depthwiseHWIM(_ conv: ConvOp) throws -> Tensor {
        let w = conv.weight.shape
        return try conv.weight.reshape([conv.groups, w[0] / conv.groups, w[2], w[3]]).permute([2, 3, 0, 1])
    }
}

/// Weights from a `kerasState()` dictionary (a checkpoint), by layer path.
struct StateWeightSource: KerasWeightSource {
    let state: [String: Tensor]

    func weights(layer name: String, className: String, config: KerasJSON, path: [String]) throws -> KerasLayerWeights {
        // A missing weight is reported by the factory, naming the file, the layer and what is there.
        let prefix = (path + [name]).joined(separator: "/") + "/"
        var out: KerasLayerWeights = [:]
        for (key, value) in state where key.hasPrefix(prefix) {
            let weight = key.dropFirst(prefix.count)
            if !weight.contains("/") { out[String(weight)] = value }
        }
        return out
    }
}

extension KerasGraphImport {
    /// The network of `architecture` with the weights of `state` (`GraphNetwork.kerasState()`), in eval mode.
    public static func network(_ architecture: GraphArchitecture, state: [String: Tensor], file: URL) throws -> GraphNetwork {
        guard architecture.format == "keras" else {
            throw KerasGraphError.badConfig(file: file.path, detail: "graph format '\(architecture.format)' is not supported (keras)")
        }
        let config = try KerasModelConfig(raw: architecture.config, file: file.path)
        let loaded = try build(config: config, file: file, kerasMajor: architecture.kerasMajor, source: StateWeightSource(state: state))
        return loaded.model as! GraphNetwork
    }
}
