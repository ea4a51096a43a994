import Foundation

/// A gradient-descent optimizer over named parameters.
///
/// State is keyed by parameter name, so a saved state can be restored into a freshly built model.
public protocol Optimizer: AnyObject {
    /// Learning rate used by the next `step()` (schedulers set it).
    var learningRate: Double { get set }
    /// Applies one update from the parameters' accumulated `.grad`.
    func step() throws
    /// Drops every parameter's accumulated gradient.
    func zeroGrad() throws
    /// Per-parameter state tensors (`<param>.<slot>`) and a step counter.
    func stateDict() throws -> [String: Tensor]
    /// Restores a state written by `stateDict()`.
    func loadStateDict(_ state: [String: Tensor]) throws
}

/// Errors restoring optimizer state.
public struct OptimizerStateError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "optimizer state: \(message)" }
}

/// Shared bookkeeping for optimizers: parameters, per-parameter slots, step count.
public class OptimizerBase {
    public let parameters: [(String, Tensor)]
    public var learningRate: Double
    /// slot name → parameter name → tensor
    var slots: [String: [String: Tensor]] = [:]
    public internal(set) var stepCount: Int = 0

    init(parameters: [(String, Tensor)], learningRate: Double) {
        self.parameters = parameters
        self.learningRate = learningRate
    }

    public func zeroGrad() throws {
        for (_, p) in parameters { try p.zeroGrad() }
    }

    /// One step: `update` for each parameter that has a gradient (without recording gradients),
    /// then the step count.
    func updateEach(_ update: (_ name: String, _ parameter: Tensor, _ gradient: Tensor) throws -> Void) throws {
        try withNoGrad {
            for (name, p) in parameters {
                guard let g = try p.grad else { continue }
                try update(name, p, g)
            }
        }
        stepCount += 1
    }

    /// The tensor in `slot` for `name`, created by `make` on first use.
    func slot(_ slot: String, _ name: String, make: () throws -> Tensor) rethrows -> Tensor {
        if let t = slots[slot]?[name] { return t }
        let t = try make()
        slots[slot, default: [:]][name] = t
        return t
    }

    public func stateDict() throws -> [String: Tensor] {
        var out: [String: Tensor] = ["step": try Tensor([Int64(stepCount)], shape: [])]
        for (slot, byName) in slots {
            for (name, t) in byName { out["\(name).\(slot)"] = t }
        }
        return out
    }

    public func loadStateDict(_ state: [String: Tensor]) throws {
        guard let step = state["step"] else { throw OptimizerStateError(message: "no 'step' entry") }
        let names = Set(parameters.map { $0.0 })
        var restored: [String: [String: Tensor]] = [:]
        for (key, t) in state where key != "step" {
            guard let dot = key.lastIndex(of: ".") else { throw OptimizerStateError(message: "malformed key '\(key)'") }
            let name = String(key[..<dot]), slot = String(key[key.index(after: dot)...])
            guard names.contains(name) else { throw OptimizerStateError(message: "state for unknown parameter '\(name)'") }
            restored[slot, default: [:]][name] = try t.clone()
        }
        slots = restored
        stepCount = Int(try step.item())
    }
}

/// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD).
public final class SGD: OptimizerBase, Optimizer {
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool

    public init(
        parameters: [(String, Tensor)], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        super.init(parameters: parameters, learningRate: learningRate)
    }

    public func step() throws {
        try updateEach { name, p, g in
            var d = g
            if weightDecay != 0 { d = try d + (p * weightDecay) }
            if momentum != 0 {
                var fresh = false
                let buf = try slot("momentum_buffer", name) {
                    fresh = true; return try d.clone()
                }
                if !fresh {
                    try buf.mulInPlace(momentum)
                    try buf.addInPlace(d, alpha: 1 - dampening)
                }
                d = nesterov ? try d + (buf * momentum) : buf
            }
            try p.addInPlace(d, alpha: -learningRate)
        }
    }
}

/// Adam with decoupled weight decay (torch.optim.AdamW).
public final class AdamW: OptimizerBase, Optimizer {
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let weightDecay: Double

    public init(
        parameters: [(String, Tensor)], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        eps: Double = 1e-8, weightDecay: Double = 1e-2
    ) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate)
    }

    public func step() throws {
        let t = Double(stepCount + 1)
        let bc1 = 1 - Foundation.pow(beta1, t)
        let bc2 = 1 - Foundation.pow(beta2, t)
        try updateEach { name, p, g in
            try p.mulInPlace(1 - learningRate * weightDecay)
            let m = try slot("exp_avg", name) { try Tensor.zeros(p.shape, dtype: p.dtype) }
            let v = try slot("exp_avg_sq", name) { try Tensor.zeros(p.shape, dtype: p.dtype) }
            try m.lerpInPlace(g, weight: 1 - beta1)
            try v.mulInPlace(beta2)
            try v.addcmulInPlace(g, g, alpha: 1 - beta2)
            let denom = try (v.sqrt() / Foundation.sqrt(bc2)) + eps
            try p.addcdivInPlace(m, denom, alpha: -learningRate / bc1)
        }
    }
}
