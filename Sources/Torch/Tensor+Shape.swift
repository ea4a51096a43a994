import CTorch

/// Shape, layout and indexing operations. Negative dims count from the end, as in PyTorch.
extension Tensor {
    private func withDims<R>(_ dims: [Int], _ body: (UnsafePointer<Int64>?, Int32) -> R) -> R {
        dims.map(Int64.init).withUnsafeBufferPointer { body($0.baseAddress, Int32($0.count)) }
    }

    public func reshape(_ shape: [Int]) throws -> Tensor {
        try Tensor.wrap("reshape \(self.shape) to \(shape)", withDims(shape) { ct_reshape(handle, $0, $1) })
    }

    public func permute(_ dims: [Int]) throws -> Tensor {
        try Tensor.wrap("permute \(shape) by \(dims)", withDims(dims) { ct_permute(handle, $0, $1) })
    }

    public func transposed(_ d0: Int, _ d1: Int) throws -> Tensor {
        try Tensor.wrap("transpose", ct_transpose(handle, Int64(d0), Int64(d1)))
    }

    /// Broadcasts to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) throws -> Tensor {
        try Tensor.wrap("expand \(self.shape) to \(shape)", withDims(shape) { ct_expand(handle, $0, $1) })
    }

    /// Elements `start..<end` (step `step`) along `dim`; a view.
    public func slice(dim: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
        try Tensor.wrap("slice", ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step)))
    }

    /// Index `index` along `dim`, removing that dim; a view.
    public func select(dim: Int, index: Int) throws -> Tensor {
        try Tensor.wrap("select", ct_select(handle, Int64(dim), Int64(index)))
    }

    /// `self[index]` along the first dim.
    public subscript(index: Int) -> Tensor {
        get throws { try select(dim: 0, index: index) }
    }

    public func squeeze(_ dim: Int) throws -> Tensor { try Tensor.wrap("squeeze", ct_squeeze(handle, Int64(dim))) }
    public func unsqueeze(_ dim: Int) throws -> Tensor { try Tensor.wrap("unsqueeze", ct_unsqueeze(handle, Int64(dim))) }

    public func flatten(from start: Int = 0, to end: Int = -1) throws -> Tensor {
        try Tensor.wrap("flatten", ct_flatten(handle, Int64(start), Int64(end)))
    }

    public func flip(_ dims: [Int]) throws -> Tensor {
        try Tensor.wrap("flip", withDims(dims) { ct_flip(handle, $0, $1) })
    }

    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.wrap("indexSelect", ct_index_select(handle, Int64(dim), index.handle))
    }

    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.wrap("gather", ct_gather(handle, Int64(dim), index.handle))
    }

    /// Elements where the boolean `mask` is true, as a 1-D tensor.
    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        try Tensor.wrap("maskedSelect", ct_masked_select(handle, mask.handle))
    }

    /// `condition ? a : b` elementwise.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try wrap("where", ct_where(condition.handle, a.handle, b.handle))
    }

    private static func join(_ tensors: [Tensor], _ name: String, _ fn: (UnsafePointer<OpaquePointer?>?, Int32) -> OpaquePointer?) throws -> Tensor {
        let handles: [OpaquePointer?] = tensors.map { $0.handle }
        return try withExtendedLifetime(tensors) {
            try wrap(name, handles.withUnsafeBufferPointer { fn($0.baseAddress, Int32($0.count)) })
        }
    }

    /// Concatenates along an existing dim.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try join(tensors, "cat") { ct_cat($0, $1, Int64(dim)) }
    }

    /// Stacks along a new dim.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try join(tensors, "stack") { ct_stack($0, $1, Int64(dim)) }
    }
}
