import CAMCore

/// The class-activation-map methods CAMKit computes.
public enum CAMMethod: String, CaseIterable, Sendable, Codable {
    /// Zhou et al. 2016: head weights times the features that feed global average pooling.
    case cam
    /// Selvaraju et al. 2017: channel weights are the spatial mean of the gradients.
    case gradCAM = "gradcam"
    /// Chattopadhay et al. 2018: weights from second/third-order gradient terms.
    case gradCAMPlusPlus = "gradcam++"
    /// Fu et al. 2020: gradients weighted by normalised activations.
    case xGradCAM = "xgradcam"
    /// Jiang et al. 2021: elementwise ReLU(gradient) times activation.
    case layerCAM = "layercam"
    /// Draelos & Carin 2020: elementwise gradient times activation.
    case hiResCAM = "hirescam"
    /// Wang et al. 2020: each channel masks the input; weights are the softmax of the masked scores.
    case scoreCAM = "scorecam"
    /// Muhammad & Yeasin 2020: first principal component of the activations (class-agnostic).
    case eigenCAM = "eigencam"

    /// Whether the method needs gradients of the score with respect to the activations.
    public var needsGradients: Bool {
        switch self {
        case .gradCAM, .gradCAMPlusPlus, .xGradCAM, .layerCAM, .hiResCAM: return true
        case .cam, .scoreCAM, .eigenCAM: return false
        }
    }

    /// Parses a command-line name (`cam gradcam gradcam++ xgradcam layercam hirescam scorecam eigencam`).
    public init(name: String) throws {
        guard let m = CAMMethod(rawValue: name.lowercased()) else {
            throw ExplainError.unknownMethod(name, valid: CAMMethod.allCases.map(\.rawValue))
        }
        self = m
    }
}

/// What is differentiated (or read) for a target class.
public enum ScoreKind: String, Sendable, Codable {
    /// The class logit (pre-softmax).
    case logit
    /// The softmax probability, like the tutorial's `pred[:, class_idx]` on a softmax head.
    case softmax
}

/// Which classes each image is explained for.
public enum TargetSelection: Sendable {
    /// The top-1 predicted class.
    case predicted
    /// The k most probable classes.
    case topK(Int)
    /// The same explicit classes for every image.
    case classes([Int])
    /// One class per image (for example the ground-truth label).
    case perImage([Int])
}

/// How a raw map is scaled to [0, 1].
public enum MapNormalization: String, Sendable, Codable, CaseIterable {
    /// The tutorial: divide by the maximum, no ReLU. A map whose maximum is not positive becomes all zeros.
    case tutorial
    /// ReLU, then min-max to [0, 1] (pytorch-grad-cam for every method; torchcam for every method but CAM).
    /// A map with no positive value, or a constant one, becomes all zeros.
    case standard
    /// Min-max to [0, 1] without ReLU, so negative evidence keeps its rank (torchcam's CAM).
    /// A constant map becomes all zeros.
    case minMax
}

/// How Score-CAM turns one activation channel into an input mask. The two PyTorch peers differ
/// (both then multiply the input by the mask, score it and softmax the scores over channels).
public enum ScoreCAMMasking: String, Sendable, Codable, CaseIterable {
    /// Upsample the channel to the input size (bilinear, corners aligned), then min-max scale it to
    /// [0, 1]: the paper's order and pytorch-grad-cam's.
    case upsampleThenScale
    /// Min-max scale the channel at feature resolution, then upsample it (bilinear, half-pixel
    /// centres): torchcam's. (torchcam also subtracts the unmasked image's score, which the softmax
    /// over channels cancels.)
    case scaleThenUpsample
}

/// Errors from explaining.
public enum ExplainError: Error, CustomStringConvertible, Sendable {
    case unknownMethod(String, valid: [String])
    case classOutOfRange(Int, classes: Int)
    case camNeedsLastLayer(layer: String, lastLayer: String)
    /// The network has no global-average-pooling + linear head, so CAM is undefined.
    case camUnavailable(reason: String)
    case invalidRequest(String)
    /// The layer's output has no spatial map (`fc`, `avgpool`): there is nothing to draw.
    case notSpatial(layer: String, shape: [Int])
    /// The model's output holds NaN or infinite scores for these images (0-based, in the batch).
    case nonFiniteLogits(images: [Int])

    public var description: String {
        switch self {
        case let .unknownMethod(name, valid):
            return "unknown method '\(name)'; valid methods: \(valid.joined(separator: ", "))"
        case let .classOutOfRange(c, classes):
            return "class \(c) is out of range: the model has \(classes) classes (0...\(classes - 1))"
        case let .camNeedsLastLayer(layer, last):
            return "CAM is defined only at the layer that feeds global average pooling ('\(last)'), not at '\(layer)'; use gradcam for other layers"
        case let .camUnavailable(reason):
            return
                "CAM needs global average pooling followed by one linear layer: \(reason); use gradcam (or another gradient method), which works at any layer"
        case let .invalidRequest(reason):
            return reason
        case let .notSpatial(layer, shape):
            return "layer '\(layer)' outputs \(shape), not a [N, C, h, w] feature map: class activation maps need a convolutional layer"
        case let .nonFiniteLogits(images):
            let which = images.map { "\($0 + 1)" }.joined(separator: ", ")
            return
                "the model's output holds NaN or infinite scores (image \(which) of the batch): its weights or its input are broken, so there are no classes or maps to explain"
        }
    }
}

extension ExplainError: UserFacingError {
    public var errorKind: ErrorKind {
        if case .nonFiniteLogits = self { return .unprocessable }
        return .badInput
    }
    public var errorCode: String {
        switch self {
        case .unknownMethod: "unknown_method"
        case .classOutOfRange: "class_out_of_range"
        case .camNeedsLastLayer: "cam_needs_last_layer"
        case .camUnavailable: "cam_unavailable"
        case .invalidRequest: "bad_parameter"
        case .notSpatial: "layer_not_spatial"
        case .nonFiniteLogits: "non_finite_output"
        }
    }
    public var validValues: [String]? {
        if case .unknownMethod(_, let valid) = self { return valid }
        return nil
    }
}

extension CAMMethod {
    /// The name the papers use ("CAM", "Grad-CAM", "Grad-CAM++", ...); `name` itself when it is not a method.
    public static func displayName(_ name: String) -> String {
        switch CAMMethod(rawValue: name) {
        case .cam: "CAM"
        case .gradCAM: "Grad-CAM"
        case .gradCAMPlusPlus: "Grad-CAM++"
        case .xGradCAM: "XGrad-CAM"
        case .layerCAM: "LayerCAM"
        case .hiResCAM: "HiResCAM"
        case .scoreCAM: "Score-CAM"
        case .eigenCAM: "Eigen-CAM"
        case nil: name
        }
    }
}
