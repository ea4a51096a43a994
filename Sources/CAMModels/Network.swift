import Torch

/// What one forward pass returns.
public struct ForwardResult {
    /// Pre-activation scores of the head, [N, classes].
    public let logits: Tensor
    /// Tapped activations by layer name (NCHW for feature maps).
    public let activations: [String: Tensor]
}

/// How a network reports layer output shapes (`camkit layers`, `model.summary()`).
public enum ShapeConvention: String, Sendable, Codable {
    /// Keras: channels last with a `None` batch, `(None, 7, 7, 2048)`; BatchNorm statistics count
    /// as non-trainable parameters.
    case keras
    /// PyTorch: NCHW with a `-1` batch, `(-1, 2048, 7, 7)`.
    case torch
}

/// The classifier head that CAM needs: global average pooling of `featureLayer`, then one linear
/// layer (dropout or flatten between them change nothing in inference).
public struct CAMHead {
    /// The layer whose output is pooled (`conv5_block3_out`, `out_relu`).
    public let featureLayer: String
    /// The pooling layer's name (`avg_pool`).
    public let poolLayer: String
    /// The linear layer's name (`predictions`, `fc`).
    public let linearLayer: String
    /// The linear weights, [classes, channels] (shares storage with the model).
    public let weight: Tensor

    public init(featureLayer: String, poolLayer: String, linearLayer: String, weight: Tensor) {
        self.featureLayer = featureLayer
        self.poolLayer = poolLayer
        self.linearLayer = linearLayer
        self.weight = weight
    }
}

/// A classifier that CAMKit can explain, localize with and summarise: named layers in forward
/// order whose outputs any forward pass can record, and the head CAM needs when it has one.
///
/// `ResNet` and `GraphNetwork` (any Keras functional or Sequential model) conform.
public protocol Network: Module {
    /// Outputs of the classifier (the head's units).
    var classes: Int { get }
    /// The layer explained when none is named (`--layer auto`): the one feeding global average
    /// pooling, or else the last layer with a spatial [N, C, h, w] output before the classifier.
    var lastFeatureLayer: String { get }
    /// The GAP + linear head, or nil when the network has none (then CAM is unavailable).
    var camHead: CAMHead? { get }
    /// The linear layer of the GAP head (its child name and module): what a head-only fine-tune trains.
    var classifierLayer: (name: String, module: any Module)? { get }
    /// Why CAM is unavailable, when `camHead` is nil.
    var camUnavailableReason: String? { get }
    /// Where the layer names come from: `keras` or `torchvision` (the web API's `layout`).
    var layout: String { get }
    /// How `camkit layers` reports shapes.
    var shapeConvention: ShapeConvention { get }
    /// In eval mode, whether the forward may fold batch norm into convolutions and run
    /// channels-last (same results to float rounding; parameters then get no gradients).
    var optimizesEvalForward: Bool { get set }
    /// Every tappable layer name, in forward order.
    var layerNames: [String] { get throws }
    /// Every tappable layer with its output shape for a square input of `inputSize` pixels, in
    /// forward order (NCHW for feature maps).
    func layerShapes(inputSize: Int) throws -> [(name: String, shape: [Int])]
    /// Trainable and non-trainable parameter counts of the layer called `name` (Keras' `count_params()`).
    func parameterCounts(ofLayer name: String) -> (trainable: Int, nonTrainable: Int)
    /// Runs the network on NCHW float input, recording the outputs of the named layers.
    ///
    /// With `gradientsFrom`, the pass before that layer runs without autograd and the recorded
    /// outputs from there on take part in autograd (for `Autograd.gradients`), so a backward stops
    /// at the earliest of them and never reaches the parameters before it.
    func forward(_ x: Tensor, tapping names: [String], gradientsFrom: String?) throws -> ForwardResult
}

extension Network {
    /// `forward(x, tapping: names, gradientsFrom: nil)`: a pass without autograd bookkeeping of its own.
    public func forward(_ x: Tensor, tapping names: [String] = []) throws -> ForwardResult {
        try forward(x, tapping: names, gradientsFrom: nil)
    }

    /// Why CAM is unavailable (`camUnavailableReason`, or a generic reason).
    public var camUnavailableDescription: String { camUnavailableReason ?? "the network has no such head" }

    /// `names` with `auto` (and an empty list) meaning `lastFeatureLayer`, repeats dropped.
    public func resolvingLayers(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return (names.isEmpty ? ["auto"] : names).map { $0 == "auto" ? lastFeatureLayer : $0 }.filter { seen.insert($0).inserted }
    }

    /// Logits for a batch.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x, tapping: [], gradientsFrom: nil).logits }
}

extension Module {
    /// Parameters under the child called `name`, and its buffers but `num_batches_tracked`
    /// (running statistics, which Keras counts as non-trainable parameters).
    public func parameterCounts(ofChild name: String) -> (trainable: Int, nonTrainable: Int) {
        let prefix = name + "."
        let trainable = namedParameters().filter { $0.0.hasPrefix(prefix) }.reduce(0) { $0 + $1.1.count }
        let stats = namedBuffers().filter { $0.0.hasPrefix(prefix) && !$0.0.hasSuffix("num_batches_tracked") }
        return (trainable, stats.reduce(0) { $0 + $1.1.count })
    }
}
