import CTorch

/// Elementwise arithmetic (with broadcasting), comparisons, reductions and sorting.
extension Tensor {
    private func unary(_ op: ct_unary_op, _ name: String) throws -> Tensor {
        try Tensor.wrap(name, ct_unary(op, handle))
    }

    private static func binary(_ op: ct_binary_op, _ a: Tensor, _ b: Tensor, _ name: String) throws -> Tensor {
        try wrap("\(name) of \(a.shape) and \(b.shape)", ct_binary(op, a.handle, b.handle))
    }

    private static func scalar(_ op: ct_binary_op, _ a: Tensor, _ s: Double, reverse: Bool = false, _ name: String) throws -> Tensor {
        try wrap(name, ct_scalar(op, a.handle, s, reverse))
    }

    public func neg() throws -> Tensor { try unary(CT_NEG, "neg") }
    public func exp() throws -> Tensor { try unary(CT_EXP, "exp") }
    public func log() throws -> Tensor { try unary(CT_LOG, "log") }
    public func sqrt() throws -> Tensor { try unary(CT_SQRT, "sqrt") }
    public func rsqrt() throws -> Tensor { try unary(CT_RSQRT, "rsqrt") }
    public func abs() throws -> Tensor { try unary(CT_ABS, "abs") }
    public func relu() throws -> Tensor { try unary(CT_RELU, "relu") }
    public func sigmoid() throws -> Tensor { try unary(CT_SIGMOID, "sigmoid") }
    public func tanh() throws -> Tensor { try unary(CT_TANH, "tanh") }
    public func sign() throws -> Tensor { try unary(CT_SIGN, "sign") }
    public func floor() throws -> Tensor { try unary(CT_FLOOR, "floor") }
    public func ceil() throws -> Tensor { try unary(CT_CEIL, "ceil") }
    public func round() throws -> Tensor { try unary(CT_ROUND, "round") }
    public func square() throws -> Tensor { try unary(CT_SQUARE, "square") }
    public func erf() throws -> Tensor { try unary(CT_ERF, "erf") }
    /// GELU, exact (`x Φ(x)`) or with the tanh approximation.
    public func gelu(approximate: Bool = false) throws -> Tensor { try unary(approximate ? CT_GELU_TANH : CT_GELU, "gelu") }
    /// `x · sigmoid(x)` (swish).
    public func silu() throws -> Tensor { try unary(CT_SILU, "silu") }
    /// `x · relu6(x + 3) / 6`.
    public func hardswish() throws -> Tensor { try unary(CT_HARDSWISH, "hardswish") }
    /// `relu6(x + 3) / 6`.
    public func hardsigmoid() throws -> Tensor { try unary(CT_HARDSIGMOID, "hardsigmoid") }
    public func selu() throws -> Tensor { try unary(CT_SELU, "selu") }
    /// ELU with alpha 1.
    public func elu() throws -> Tensor { try unary(CT_ELU, "elu") }
    public func logicalNot() throws -> Tensor { try unary(CT_LOGICAL_NOT, "logicalNot") }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(CT_ADD, a, b, "add") }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(CT_SUB, a, b, "sub") }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(CT_MUL, a, b, "mul") }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(CT_DIV, a, b, "div") }
    public static func + (a: Tensor, s: Double) throws -> Tensor { try scalar(CT_ADD, a, s, "add") }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try scalar(CT_SUB, a, s, "sub") }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try scalar(CT_MUL, a, s, "mul") }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try scalar(CT_DIV, a, s, "div") }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try scalar(CT_ADD, a, s, reverse: true, "add") }
    public static func - (s: Double, a: Tensor) throws -> Tensor { try scalar(CT_SUB, a, s, reverse: true, "sub") }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try scalar(CT_MUL, a, s, reverse: true, "mul") }
    public static func / (s: Double, a: Tensor) throws -> Tensor { try scalar(CT_DIV, a, s, reverse: true, "div") }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

    public func pow(_ e: Double) throws -> Tensor { try Tensor.scalar(CT_POW, self, e, "pow") }
    public func pow(_ e: Tensor) throws -> Tensor { try Tensor.binary(CT_POW, self, e, "pow") }
    public func remainder(_ d: Double) throws -> Tensor { try Tensor.scalar(CT_REMAINDER, self, d, "remainder") }
    public func maximum(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_MAXIMUM, self, o, "maximum") }
    public func minimum(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_MINIMUM, self, o, "minimum") }
    /// Matrix product with numpy/torch batching rules.
    public func matmul(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_MATMUL, self, o, "matmul") }
    public func logicalAnd(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_LOGICAL_AND, self, o, "logicalAnd") }
    public func logicalOr(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_LOGICAL_OR, self, o, "logicalOr") }

    // Comparisons return bool tensors.
    public func eq(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_EQ, self, o, "eq") }
    public func ne(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_NE, self, o, "ne") }
    public func lt(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_LT, self, o, "lt") }
    public func le(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_LE, self, o, "le") }
    public func gt(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_GT, self, o, "gt") }
    public func ge(_ o: Tensor) throws -> Tensor { try Tensor.binary(CT_GE, self, o, "ge") }
    public func eq(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_EQ, self, s, "eq") }
    public func ne(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_NE, self, s, "ne") }
    public func lt(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_LT, self, s, "lt") }
    public func le(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_LE, self, s, "le") }
    public func gt(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_GT, self, s, "gt") }
    public func ge(_ s: Double) throws -> Tensor { try Tensor.scalar(CT_GE, self, s, "ge") }

    /// Clamps into [min, max]; a nil bound is open.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try Tensor.wrap("clamp", ct_clamp(handle, min != nil, min ?? 0, max != nil, max ?? 0))
    }

    // MARK: reductions

    private func reduce(_ op: ct_reduce_op, _ dims: [Int], _ keepDim: Bool, _ name: String) throws -> Tensor {
        try Tensor.wrap(
            name,
            dims.map(Int64.init).withUnsafeBufferPointer {
                ct_reduce(op, handle, $0.baseAddress, Int32($0.count), keepDim)
            })
    }

    /// Sum over `dims` (all when empty).
    public func sum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_SUM, dims, keepDim, "sum") }
    public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_MEAN, dims, keepDim, "mean") }
    /// Maximum values over `dims` (all when empty).
    public func max(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMAX, dims, keepDim, "max") }
    public func min(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMIN, dims, keepDim, "min") }
    public func prod(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_PROD, dims, keepDim, "prod") }
    /// Population variance (unbiased: false).
    public func variance(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_VAR, dims, keepDim, "variance") }
    public func std(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_STD, dims, keepDim, "std") }

    /// Index of the maximum along `dim`, or over the flattened tensor when nil.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try Tensor.wrap("argmax", ct_argext(handle, Int64(dim ?? -100), keepDim, true))
    }

    public func argmin(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try Tensor.wrap("argmin", ct_argext(handle, Int64(dim ?? -100), keepDim, false))
    }

    private func pair(_ name: String, _ fn: (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> (
        values: Tensor, indices: Tensor
    ) {
        var v: OpaquePointer?
        var i: OpaquePointer?
        try Tensor.status(name, fn(&v, &i))
        return (Tensor(owning: v!), Tensor(owning: i!))
    }

    /// The `k` largest (or smallest) entries along `dim`.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        try pair("topk(\(k)) of \(shape)") { ct_topk(handle, Int64(k), Int64(dim), largest, sorted, $0, $1) }
    }

    /// Reduced singular value decomposition `self = U diag(S) Vh`.
    public func svd() throws -> (u: Tensor, s: Tensor, vh: Tensor) {
        var u: OpaquePointer?, s: OpaquePointer?, vh: OpaquePointer?
        try Tensor.status("svd of \(shape)", ct_svd(handle, &u, &s, &vh))
        return (Tensor(owning: u!), Tensor(owning: s!), Tensor(owning: vh!))
    }

    public func sort(dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try pair("sort") { ct_sort(handle, Int64(dim), descending, $0, $1) }
    }
}
