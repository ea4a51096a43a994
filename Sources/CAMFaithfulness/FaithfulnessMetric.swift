import CAMCore

/// A faithfulness metric of a class activation map: how the model's softmax score of the map's
/// class changes when the input is perturbed by the map (docs/PROTOCOLS.md, Faithfulness).
public enum FaithfulnessMetric: String, CaseIterable, Codable, Sendable {
    /// pytorch-grad-cam's `DropInConfidence`: `max(0, y - o)`, `o` the score of input × map.
    case drop
    /// pytorch-grad-cam's `IncreaseInConfidence`: 1 when `o > y`, else 0.
    case increase
    /// ROAD, most relevant first: the score change after imputing the pixels at or above each percentile.
    case roadMoRF = "road-morf"
    /// ROAD, least relevant first: the score change after imputing the least relevant pixels.
    case roadLeRF = "road-lerf"
    /// pytorch-grad-cam's `ROADCombined`: (mean LeRF - mean MoRF) / 2.
    case roadCombined = "road-combined"
    /// torchcam's deletion AUC (RISE): most relevant pixels replaced by the baseline, step by step.
    case deletion
    /// torchcam's insertion AUC (RISE): most relevant pixels restored onto the baseline, step by step.
    case insertion
    /// The pointing game (TorchRay): 1 when the map's maximum lies within the tolerance of a ground-truth box, else 0.
    case pointingGame = "pointing-game"
    /// Score-CAM's energy-based pointing game: the share of the map's sum inside the ground-truth boxes.
    case energyPointingGame = "energy-pointing-game"

    /// The metric named `name` (`road-morf`, ...), or an error listing the names.
    public init(name: String) throws {
        guard let metric = FaithfulnessMetric(rawValue: name) else {
            throw FaithfulnessError.unknownMetric(name, valid: Self.allCases.map(\.rawValue))
        }
        self = metric
    }

    /// Whether the metric needs ROAD's imputed images.
    public var usesROAD: Bool { self == .roadMoRF || self == .roadLeRF || self == .roadCombined }

    /// Whether the metric needs the image's ground-truth boxes (the pointing games).
    public var needsBoxes: Bool { self == .pointingGame || self == .energyPointingGame }
}

/// The settings of a faithfulness run: which metrics, ROAD's percentiles and noise, deletion's steps.
public struct FaithfulnessSettings: Codable, Sendable, Equatable {
    /// pytorch-grad-cam's default ROAD percentiles (`ROADCombined`).
    public static let defaultPercentiles: [Double] = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    /// pytorch-grad-cam's `NoisyLinearImputer` default noise (absolute, in input units).
    public static let defaultImputationNoise = 0.01
    /// torchcam's `DeletionInsertionMetric` default step count.
    public static let defaultSteps = 20
    public static let stepRange = 1...1000
    public static let batchSizeRange = 1...1024

    public var metrics: [FaithfulnessMetric]
    /// ROAD's percentiles of the map, each in (0, 100).
    public var percentiles: [Double] = defaultPercentiles
    /// The standard deviation of the Gaussian noise ROAD adds to imputed pixels; 0 is deterministic.
    public var imputationNoise: Double = defaultImputationNoise
    /// The seed of that noise: the same seed gives the same numbers.
    public var seed: UInt64 = 0
    /// Deletion/insertion's maximum number of perturbation intervals.
    public var steps: Int = defaultSteps
    /// Perturbed inputs per forward pass.
    public var batchSize: Int = 32
    /// The pointing game's tolerance, in pixels of the map.
    public var pointingTolerance: Int = PointingGame.defaultTolerance

    public init(metrics: [FaithfulnessMetric]) { self.metrics = metrics }

    /// Throws `FaithfulnessError.badSetting` naming the first setting out of range.
    public func validate() throws {
        guard !metrics.isEmpty else { throw FaithfulnessError.badSetting("at least one metric is needed") }
        if metrics.contains(where: \.usesROAD) {
            guard !percentiles.isEmpty else { throw FaithfulnessError.badSetting("ROAD needs at least one percentile") }
            if let bad = percentiles.first(where: { !($0 > 0 && $0 < 100) }) {
                throw FaithfulnessError.badSetting("percentile \(Self.key(bad)) is outside (0, 100)")
            }
            guard Set(percentiles).count == percentiles.count else { throw FaithfulnessError.badSetting("percentiles repeat") }
            guard imputationNoise.isFinite && imputationNoise >= 0 else {
                throw FaithfulnessError.badSetting("imputation noise \(imputationNoise) must be finite and >= 0")
            }
        }
        guard Self.stepRange.contains(steps) else {
            throw FaithfulnessError.badSetting("steps \(steps) is out of range: give \(Self.stepRange.lowerBound)...\(Self.stepRange.upperBound)")
        }
        guard PointingGame.toleranceRange.contains(pointingTolerance) else {
            throw FaithfulnessError.badSetting(
                "pointing tolerance \(pointingTolerance) is out of range: give \(PointingGame.toleranceRange.lowerBound)...\(PointingGame.toleranceRange.upperBound)"
            )
        }
        guard Self.batchSizeRange.contains(batchSize) else {
            throw FaithfulnessError.badSetting(
                "batch size \(batchSize) is out of range: give \(Self.batchSizeRange.lowerBound)...\(Self.batchSizeRange.upperBound)")
        }
    }

    /// A percentile as a JSON key: `10` for 10, `12.5` for 12.5.
    public static func key(_ percentile: Double) -> String {
        percentile == percentile.rounded() && abs(percentile) < 1e15 ? String(Int(percentile)) : String(percentile)
    }
}

/// A bad faithfulness request: an unknown metric, a setting out of range, an unusable map.
public enum FaithfulnessError: UserFacingError, Equatable {
    case unknownMetric(String, valid: [String])
    case badSetting(String)
    /// A map whose size is not the input's (height × width).
    case mapSize(source: String, shape: [Int], expected: [Int])
    /// A map holding NaN or an infinity.
    case nonFiniteMap(source: String)
    /// A map of an image or class the batch does not have.
    case badTarget(source: String, reason: String)
    /// The imputation solver failed (its message).
    case imputation(source: String, message: String)
    /// A pointing game asked of a map whose image has no ground-truth box.
    case noBoxes(source: String, metric: String)

    public var description: String {
        switch self {
        case let .unknownMetric(name, valid): "unknown faithfulness metric '\(name)'; valid metrics: \(valid.joined(separator: ", "))"
        case let .badSetting(reason): reason
        case let .mapSize(source, shape, expected):
            "map '\(source)' is \(shape.map(String.init).joined(separator: "x")); the model's input is \(expected.map(String.init).joined(separator: "x"))"
        case let .nonFiniteMap(source): "map '\(source)' holds NaN or infinite values"
        case let .badTarget(source, reason): "map '\(source)': \(reason)"
        case let .imputation(source, message): "ROAD imputation failed for \(source): \(message)"
        case let .noBoxes(source, metric):
            "\(metric) needs ground-truth boxes and '\(source)' has none: score it with camkit evaluate on a dataset with boxes, or leave \(metric) out"
        }
    }

    public var errorKind: ErrorKind {
        switch self {
        case .unknownMetric, .badSetting, .badTarget, .noBoxes: .badInput
        case .mapSize, .nonFiniteMap: .unprocessable
        case .imputation: .internal
        }
    }

    public var errorCode: String {
        switch self {
        case .unknownMetric: "unknown_metric"
        case .badSetting: "bad_parameter"
        case .mapSize: "map_size"
        case .nonFiniteMap: "map_not_finite"
        case .badTarget: "bad_target"
        case .imputation: "imputation_failed"
        case .noBoxes: "no_boxes"
        }
    }

    public var validValues: [String]? {
        if case let .unknownMetric(_, valid) = self { return valid }
        return nil
    }
}
