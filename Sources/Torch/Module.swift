import Foundation

/// A network component with named parameters, buffers and sub-modules (torch.nn.Module).
///
/// Conformers list their own tensors and children; the extension derives dotted names
/// (`layer1.0.conv1.weight`), state dicts and train/eval switching from them.
public protocol Module: AnyObject {
    /// Trainable tensors owned directly by this module, by local name.
    var ownParameters: [(String, Tensor)] { get }
    /// Non-trainable state owned directly by this module (running statistics), by local name.
    var ownBuffers: [(String, Tensor)] { get }
    /// Direct sub-modules, by local name, in registration order.
    var children: [(String, any Module)] { get }
    /// Training mode flag of this module alone; use `train(_:)` to set a whole tree.
    var isTraining: Bool { get set }
}

/// A module that maps one tensor to one tensor.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) throws -> Tensor
}

/// Errors from loading a state dict.
public struct StateDictError: Error, CustomStringConvertible, Sendable {
    public var missing: [String] = []
    public var unexpected: [String] = []
    /// name, expected shape, found shape
    public var mismatched: [(String, [Int], [Int])] = []
    public var source: String = "state dict"

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !mismatched.isEmpty {
            parts.append("wrongly shaped: " + mismatched.map { "\($0.0) expected \($0.1) found \($0.2)" }.joined(separator: ", "))
        }
        return "\(source) does not fit the model: " + parts.joined(separator: "; ")
    }
}

extension Module {
    public var ownParameters: [(String, Tensor)] { [] }
    public var ownBuffers: [(String, Tensor)] { [] }
    public var children: [(String, any Module)] { [] }

    private func walk(prefix: String, _ visit: (String, any Module) -> Void) {
        visit(prefix, self)
        for (name, child) in children {
            child.walk(prefix: prefix.isEmpty ? name : "\(prefix).\(name)", visit)
        }
    }

    /// Every module in the tree with its dotted path ("" for the root), depth first.
    public func namedModules() -> [(String, any Module)] {
        var out: [(String, any Module)] = []
        walk(prefix: "") { out.append(($0, $1)) }
        return out
    }

    private func collect(_ pick: (any Module) -> [(String, Tensor)]) -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        walk(prefix: "") { path, module in
            for (name, t) in pick(module) { out.append((path.isEmpty ? name : "\(path).\(name)", t)) }
        }
        return out
    }

    /// All trainable tensors with dotted names, in registration order.
    public func namedParameters() -> [(String, Tensor)] { collect { $0.ownParameters } }
    /// All buffers with dotted names.
    public func namedBuffers() -> [(String, Tensor)] { collect { $0.ownBuffers } }
    /// Trainable tensors only.
    public func parameters() -> [Tensor] { namedParameters().map { $0.1 } }

    /// Parameters and buffers by dotted name (shares storage with the module).
    public func stateDict() -> [(String, Tensor)] { namedParameters() + namedBuffers() }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Copies `state` into the module's tensors. Strict: any missing, unexpected or wrongly
    /// shaped key is reported and nothing is changed. `num_batches_tracked` entries are accepted
    /// whether or not the module has them.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String = "state dict") throws {
        let own = Dictionary(stateDict(), uniquingKeysWith: { a, _ in a })
        var problem = StateDictError(source: source)
        for (name, tensor) in own where state[name] == nil && !name.hasSuffix("num_batches_tracked") {
            _ = tensor
            problem.missing.append(name)
        }
        for (name, tensor) in state {
            guard let target = own[name] else {
                if !name.hasSuffix("num_batches_tracked") { problem.unexpected.append(name) }
                continue
            }
            if target.shape != tensor.shape { problem.mismatched.append((name, target.shape, tensor.shape)) }
        }
        problem.missing.sort()
        problem.unexpected.sort()
        problem.mismatched.sort { $0.0 < $1.0 }
        if strict && !problem.isEmpty { throw problem }
        if !problem.mismatched.isEmpty { throw problem }
        try withNoGrad {
            for (name, target) in own {
                if let value = state[name] { try target.copyInPlace(from: value) }
            }
        }
    }

    /// Sets training mode on the whole tree (BatchNorm uses batch statistics when training).
    public func train(_ on: Bool = true) {
        walk(prefix: "") { _, module in module.isTraining = on }
    }

    /// Evaluation mode on the whole tree.
    public func eval() { train(false) }
}
