import CAMCore
import Torch

/// Unknown layer names, listed with the valid ones.
public struct UnknownLayerError: Error, CustomStringConvertible, Sendable {
    public let unknown: [String]
    public let valid: [String]
    public init(unknown: [String], valid: [String]) {
        self.unknown = unknown
        self.valid = valid
    }
    public var description: String {
        "unknown layer\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); valid layers: \(valid.joined(separator: ", "))"
    }
}

/// Collects named activations during one forward pass.
///
/// When `gradientsFrom` names a tap, everything before it runs without autograd and the
/// activation at that tap becomes a fresh leaf that requires grad; autograd records from there
/// on, so a backward to the tapped activations stops at the earliest one and never reaches the
/// parameters before it.
public final class TapRecorder {
    public let wanted: Set<String>
    public private(set) var activations: [String: Tensor] = [:]
    /// Every tap name passed, in forward order.
    public private(set) var order: [String] = []
    let gradientsFrom: String?
    let recordAll: Bool
    /// Whether the model may run this pass in its optimised eval form (batch norm folded into
    /// convolutions); set by the model.
    var optimized = false
    /// Whether the optimised pass keeps its activations channels-last; set by the model.
    var channelsLast = false

    public init(wanted: Set<String>, gradientsFrom: String? = nil, recordAll: Bool = false) {
        self.wanted = wanted
        self.gradientsFrom = gradientsFrom
        self.recordAll = recordAll
    }

    /// Whether `name` would be recorded.
    public func isWanted(_ name: String) -> Bool { recordAll || wanted.contains(name) }

    /// Records `x` under `name` if wanted; returns the tensor the forward should continue with.
    @inline(__always)
    public func callAsFunction(_ name: String, _ x: Tensor) throws -> Tensor {
        var y = x
        if name == gradientsFrom {
            y = try x.detach().requiringGrad()
            Autograd.setGradEnabled(true)
        } else if gradientsFrom != nil, wanted.contains(name), !x.requiresGrad, Autograd.isGradEnabled {
            // A requested layer on a branch that does not descend from `gradientsFrom` (graph
            // networks): a leaf of its own, so that its gradient exists.
            y = try x.detach().requiringGrad()
        }
        order.append(name)
        if isWanted(name) { activations[name] = y }
        return y
    }

    /// Every tap of one eval-mode, inference-mode pass of `run` over a zero [1, 3, size, size]
    /// input, with its output shape, in forward order; `module`'s train/eval mode is restored.
    static func shapes(
        of module: any Module, inputSize: Int, _ run: (Tensor, TapRecorder) throws -> Tensor
    ) throws -> [(name: String, shape: [Int])] {
        let tap = TapRecorder(wanted: [], recordAll: true)
        let wasTraining = module.isTraining
        module.eval()
        defer { module.train(wasTraining) }
        _ = try withInferenceMode { try run(Tensor.zeros([1, 3, inputSize, inputSize]), tap) }
        return tap.order.map { ($0, tap.activations[$0]!.shape) }
    }

    /// Runs a forward pass with the recorder's grad policy in force.
    func run<R>(_ body: () throws -> R) throws -> R {
        guard gradientsFrom != nil else { return try body() }
        let previous = Autograd.setGradEnabled(false)
        defer { Autograd.setGradEnabled(previous) }
        return try body()
    }
}

extension UnknownLayerError: UserFacingError {
    public var errorKind: ErrorKind { .badInput }
    public var errorCode: String { "unknown_layer" }
    public var validValues: [String]? { valid }
}
