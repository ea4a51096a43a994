import CTorch

/// Automatic differentiation on tensors.
extension Tensor {
    /// Whether autograd records operations on this tensor.
    public var requiresGrad: Bool { ct_requires_grad(handle) == 1 }

    /// Marks this (leaf) tensor for gradient recording; returns self.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) throws -> Tensor {
        try Tensor.status("requiresGrad", ct_set_requires_grad(handle, flag))
        return self
    }

    /// The gradient accumulated by `backward`, or nil when there is none; throws if libtorch fails.
    public var grad: Tensor? {
        get throws {
            var h: OpaquePointer?
            try Tensor.status("grad", ct_grad(handle, &h))
            return h.map { Tensor(owning: $0) }
        }
    }

    /// Drops the accumulated gradient.
    public func zeroGrad() throws { try Tensor.status("zeroGrad", ct_zero_grad(handle)) }

    /// Back-propagates from this tensor into every leaf that requires grad.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        try Tensor.status("backward", ct_backward(handle, gradient?.handle, retainGraph))
    }

    // MARK: in-place updates (for optimizers; run under `withNoGrad`)

    /// self += alpha * other
    public func addInPlace(_ other: Tensor, alpha: Double = 1) throws {
        try Tensor.status("add_", ct_inplace(CT_IP_ADD, handle, other.handle, nil, alpha))
    }
    /// self *= other
    public func mulInPlace(_ other: Tensor) throws {
        try Tensor.status("mul_", ct_inplace(CT_IP_MUL, handle, other.handle, nil, 1))
    }
    /// self *= s
    public func mulInPlace(_ s: Double) throws { try Tensor.status("mul_", ct_inplace_scalar(handle, s, CT_IP_SCALE)) }
    /// self = other (broadcast, dtype converted)
    public func copyInPlace(from other: Tensor) throws {
        try Tensor.status("copy_ \(other.shape) into \(shape)", ct_inplace(CT_IP_COPY, handle, other.handle, nil, 1))
    }
    public func fill(_ value: Double) throws { try Tensor.status("fill_", ct_inplace_scalar(handle, value, CT_IP_FILL)) }
    /// self += alpha * a * b
    public func addcmulInPlace(_ a: Tensor, _ b: Tensor, alpha: Double = 1) throws {
        try Tensor.status("addcmul_", ct_inplace(CT_IP_ADDCMUL, handle, a.handle, b.handle, alpha))
    }
    /// self += alpha * a / b
    public func addcdivInPlace(_ a: Tensor, _ b: Tensor, alpha: Double = 1) throws {
        try Tensor.status("addcdiv_", ct_inplace(CT_IP_ADDCDIV, handle, a.handle, b.handle, alpha))
    }
    /// self += weight * (end - self)
    public func lerpInPlace(_ end: Tensor, weight: Double) throws {
        try Tensor.status("lerp_", ct_inplace(CT_IP_LERP, handle, end.handle, nil, weight))
    }
    /// Fills with uniform samples in [low, high).
    public func uniformInPlace(_ low: Double, _ high: Double) throws { try Tensor.status("uniform_", ct_init(handle, CT_INIT_UNIFORM, low, high)) }
    /// Fills with normal samples.
    public func normalInPlace(mean: Double = 0, std: Double = 1) throws { try Tensor.status("normal_", ct_init(handle, CT_INIT_NORMAL, mean, std)) }
}

/// Gradient scopes and `torch.autograd.grad`.
public enum Autograd {
    /// Gradients of `outputs` (summed, or weighted by `gradOutputs`) with respect to `inputs` only.
    /// No parameter receives a `.grad`. An input the outputs do not depend on gets zeros.
    public static func gradients(
        of outputs: [Tensor], wrt inputs: [Tensor], gradOutputs: [Tensor]? = nil,
        retainGraph: Bool = false, createGraph: Bool = false
    ) throws -> [Tensor] {
        let outs: [OpaquePointer?] = outputs.map { $0.handle }
        let ins: [OpaquePointer?] = inputs.map { $0.handle }
        let gos: [OpaquePointer?]? = gradOutputs?.map { $0.handle }
        var result = [OpaquePointer?](repeating: nil, count: inputs.count)
        let code = withExtendedLifetime((outputs, inputs, gradOutputs)) {
            outs.withUnsafeBufferPointer { o in
                ins.withUnsafeBufferPointer { i in
                    result.withUnsafeMutableBufferPointer { r in
                        if let gos {
                            return gos.withUnsafeBufferPointer { g in
                                ct_autograd_grad(
                                    o.baseAddress, Int32(o.count), g.baseAddress, i.baseAddress, Int32(i.count),
                                    retainGraph, createGraph, r.baseAddress)
                            }
                        }
                        return ct_autograd_grad(
                            o.baseAddress, Int32(o.count), nil, i.baseAddress, Int32(i.count),
                            retainGraph, createGraph, r.baseAddress)
                    }
                }
            }
        }
        try Tensor.status("autograd.grad", code)
        return result.map { Tensor(owning: $0!) }
    }

    /// Gradient of a single output with respect to `inputs`.
    public static func gradients(of output: Tensor, wrt inputs: [Tensor], retainGraph: Bool = false) throws -> [Tensor] {
        try gradients(of: [output], wrt: inputs, retainGraph: retainGraph)
    }

    /// Whether operations are being recorded on this thread.
    public static var isGradEnabled: Bool { ct_is_grad_enabled() == 1 }

    /// Turns recording on or off for this thread; returns the previous state.
    @discardableResult
    public static func setGradEnabled(_ on: Bool) -> Bool { ct_set_grad_enabled(on) == 1 }
}

/// Runs `body` with gradient recording off (torch.no_grad), restoring the previous state.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_set_grad_enabled(false)
    defer { if previous >= 0 { _ = ct_set_grad_enabled(previous == 1) } }
    return try body()
}

/// Runs `body` with gradient recording on (torch.enable_grad), restoring the previous state.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_set_grad_enabled(true)
    defer { if previous >= 0 { _ = ct_set_grad_enabled(previous == 1) } }
    return try body()
}

/// Runs `body` in inference mode (torch.inference_mode): no autograd bookkeeping at all.
/// Tensors created inside cannot later take part in autograd.
/// `enabled: false` leaves it inside such a scope, for tensors that must outlive it (caches).
public func withInferenceMode<R>(_ enabled: Bool = true, _ body: () throws -> R) rethrows -> R {
    let guardHandle = ct_inference_mode_enter(enabled)
    defer { ct_inference_mode_exit(guardHandle) }
    return try body()
}
