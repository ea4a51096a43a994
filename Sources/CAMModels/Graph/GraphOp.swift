import Torch

/// One layer of a graph network: a function of its input tensors, with the parameters and
/// buffers it owns (a shared layer is one op that several nodes call).
///
/// Tensors flow in PyTorch's layout: 4-D feature maps are NCHW; every other rank keeps the
/// source framework's own layout (Keras: channels last).
public protocol GraphOp: Module {
    /// The source framework's class name (`Conv2D`, `Add`), for summaries and errors.
    var kind: String { get }
    /// The output for `inputs` (in the order of the layer's call), in this op's train/eval mode.
    func apply(_ inputs: [Tensor]) throws -> Tensor
}

/// Ops that return their single input unchanged in inference (dropout and noise layers,
/// `InputLayer`); the graph uses this to see through them to the head.
public protocol InferenceIdentity {}

/// Ops that reshape or pool without parameters; `GraphNetwork` looks through them when it
/// decides which layer `--layer auto` means.
public protocol ShapeOnlyOp {}

extension GraphOp {
    /// The single input, or an error naming the op when there are several or none.
    func single(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 1 else { throw GraphError.arity(kind: kind, expected: "1", got: inputs.count) }
        return inputs[0]
    }

    /// `x` when it is a [N, C, H, W] feature map, or an error naming the op.
    func featureMap(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw GraphError.shape(kind: kind, detail: "needs a [N, C, H, W] input, got \(x.shape)") }
        return x
    }
}

/// The storage of an op that one enum value configures (`ActivationOp`, `MergeOp`, `ReshapeOp`,
/// `NoiseOp`): the layer's class name, the mode and the train/eval flag; subclasses add the computation.
public class ModeGraphOp<Mode: Sendable> {
    public let kind: String
    public let mode: Mode
    public var isTraining = true

    public init(kind: String, _ mode: Mode) {
        self.kind = kind
        self.mode = mode
    }
}

/// The tensors that are present, by name: a layer's parameters or buffers with the optional ones
/// (a bias, a scale) left out when nil.
func presentTensors(_ tensors: (String, Tensor?)...) -> [(String, Tensor)] {
    tensors.compactMap { name, tensor in tensor.map { (name, $0) } }
}

/// Errors from building or running a graph network.
public enum GraphError: Error, CustomStringConvertible, Sendable {
    /// An op called with the wrong number of inputs.
    case arity(kind: String, expected: String, got: Int)
    /// A tensor of a rank or shape the op cannot take.
    case shape(kind: String, detail: String)
    /// A node that names an input the graph does not have, or a cycle.
    case malformed(String)

    public var description: String {
        switch self {
        case let .arity(kind, expected, got): "\(kind) takes \(expected) input(s), got \(got)"
        case let .shape(kind, detail): "\(kind): \(detail)"
        case let .malformed(detail): "malformed graph: \(detail)"
        }
    }
}
