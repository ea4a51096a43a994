import Torch
import CAMModels
import CAMExplain
import CAMImaging

/// A map to score: which image of the batch, which class, its values at the input's resolution.
public struct FaithfulnessMap: Sendable {
    public var image: Int
    public var classIndex: Int
    public var height: Int
    public var width: Int
    /// H×W row-major values (the map as pytorch-grad-cam's metrics take it: any range, usually [0, 1]).
    public var values: [Float]
    /// How errors name the map (a file, or `<stem>.<method>.<layer>.<class>`).
    public var source: String
    /// Keys the ROAD noise stream of this map (with the seed): the same key gives the same noise
    /// whatever else is in the batch. Default: a hash of `source`.
    public var noiseKey: UInt64
    /// The image's ground-truth boxes (normalised), which the pointing games need.
    public var boxes: [BoundingBox]?

    public init(
        image: Int, classIndex: Int, height: Int, width: Int, values: [Float], source: String, noiseKey: UInt64? = nil,
        boxes: [BoundingBox]? = nil
    ) {
        self.boxes = boxes
        self.image = image
        self.classIndex = classIndex
        self.height = height
        self.width = width
        self.values = values
        self.source = source
        self.noiseKey = noiseKey ?? Self.fnv1a(source)
    }

    /// The map `m` as the metrics take it: rendered by `rendering` at the `size` × `size` input
    /// (ReLU, min-max, upsampled, clamped to [0, 1]), for the image and class it explains.
    public init(_ m: ClassActivationMap, size: Int, rendering: MapRendering = MapRendering(), source: String, boxes: [BoundingBox]? = nil)
        throws
    {
        self.init(
            image: m.image, classIndex: m.classIndex, height: size, width: size,
            values: try rendering.displayMap(m.raw, height: size, width: size).values, source: source, boxes: boxes)
    }

    /// FNV-1a of the UTF-8 bytes: the same on every platform and run (Swift's `hashValue` is not).
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

/// The faithfulness of one map: the metrics asked for (nil where not), with what they came from.
public struct MapFaithfulness: Codable, Sendable, Equatable {
    /// The softmax probability of the class on the unperturbed image (`y`).
    public var score: Float
    /// The score of the image multiplied by the map (`o`; drop and increase).
    public var maskedScore: Float?
    public var drop: Float?
    public var increase: Float?
    /// Per percentile (the settings' order): the score after imputation minus `score`.
    public var roadMoRF: [Float]?
    public var roadLeRF: [Float]?
    /// The mean over percentiles (pytorch-grad-cam's `...Average` classes).
    public var roadMoRFMean: Float?
    public var roadLeRFMean: Float?
    public var roadCombined: Float?
    /// The perturbed fraction of the pixels at each point of the deletion and insertion curves.
    public var fractions: [Float]?
    public var deletionCurve: [Float]?
    public var insertionCurve: [Float]?
    /// The areas under the curves (trapezoids over `fractions`).
    public var deletion: Float?
    public var insertion: Float?
    /// The pointing game (1 hit, 0 miss) and the energy-based pointing game (share of the map in the boxes).
    public var pointingGame: Float?
    public var energyPointingGame: Float?

    init(score: Float) { self.score = score }

    /// The value of a scalar metric (nil for ROAD MoRF/LeRF, which are per percentile: see `roadMoRFMean`).
    public func value(_ metric: FaithfulnessMetric) -> Float? {
        switch metric {
        case .drop: drop
        case .increase: increase
        case .roadMoRF: roadMoRFMean
        case .roadLeRF: roadLeRFMean
        case .roadCombined: roadCombined
        case .deletion: deletion
        case .insertion: insertion
        case .pointingGame: pointingGame
        case .energyPointingGame: energyPointingGame
        }
    }
}

/// Scores maps by perturbing their images and reading the model's softmax score of their class:
/// every perturbed copy of every map goes through the network in batches of `batchSize`, in
/// inference mode (no backward), the model in eval mode. Definitions: docs/PROTOCOLS.md.
///
/// ```swift
/// let scorer = try FaithfulnessScorer(model: loaded.model, settings: FaithfulnessSettings(metrics: [.drop, .roadCombined]))
/// let results = try scorer.score(batch, maps: maps)
/// ```
public final class FaithfulnessScorer {
    public let model: any Network
    public let settings: FaithfulnessSettings
    /// Called with (perturbed inputs scored, total) after each forward pass.
    public var progress: ((Int, Int) -> Void)?

    public init(model: any Network, settings: FaithfulnessSettings) throws {
        try settings.validate()
        self.model = model
        self.settings = settings
    }

    /// Scores `maps` of the preprocessed NCHW `input` (results in the order of `maps`).
    public func score(_ input: Tensor, maps: [FaithfulnessMap]) throws -> [MapFaithfulness] {
        let shape = input.shape
        guard shape.count == 4 else { throw FaithfulnessError.badSetting("the input must be an NCHW batch, not \(shape)") }
        try validate(maps, shape: shape)
        if maps.isEmpty { return [] }
        model.eval()
        let probabilities = try withInferenceMode { try Functional.softmax(model(input), dim: 1) }
        let classes = probabilities.shape[1]
        if let bad = maps.first(where: { !(0..<classes).contains($0.classIndex) }) {
            throw FaithfulnessError.badTarget(source: bad.source, reason: "class \(bad.classIndex) is out of range: the model has \(classes) classes")
        }
        let all = try probabilities.floats()
        var results = maps.map { MapFaithfulness(score: all[$0.image * classes + $0.classIndex]) }

        let metrics = Set(settings.metrics)
        for (m, map) in maps.enumerated() {
            let boxes = map.boxes ?? []
            if metrics.contains(.pointingGame) {
                results[m].pointingGame = PointingGame.hit(
                    values: map.values, width: map.width, height: map.height, boxes: boxes, tolerance: settings.pointingTolerance)
            }
            if metrics.contains(.energyPointingGame) {
                results[m].energyPointingGame = PointingGame.energy(values: map.values, width: map.width, height: map.height, boxes: boxes)
            }
        }
        let orders = ROADOrder.allCases.filter {
            metrics.contains(.roadCombined) || metrics.contains($0 == .mostRelevantFirst ? .roadMoRF : .roadLeRF)
        }
        let curves = metrics.contains(.deletion) || metrics.contains(.insertion)
        let counts = curves ? Self.curveCounts(pixels: shape[2] * shape[3], steps: settings.steps) : []
        var jobs: [Perturbation] = []
        for m in maps.indices {
            if metrics.contains(.drop) || metrics.contains(.increase) { jobs.append(Perturbation(map: m, kind: .multiply)) }
            for order in orders {
                for j in settings.percentiles.indices { jobs.append(Perturbation(map: m, kind: .road(order, percentile: j))) }
            }
            for count in counts.dropFirst().dropLast() {
                if metrics.contains(.deletion) { jobs.append(Perturbation(map: m, kind: .deletion(count: count))) }
                if metrics.contains(.insertion) { jobs.append(Perturbation(map: m, kind: .insertion(count: count))) }
            }
        }
        let source = PerturbationSource(
            input: try input.floats(), shape: shape, maps: maps, settings: settings, road: !orders.isEmpty, ranks: curves)
        var scoring = PerturbedScoring(model: model, source: source, batchSize: settings.batchSize)
        scoring.progress = progress
        let scores = try scoring.scores(jobs)
        // The all-baseline input (zeros) is the same for every image: one forward serves all maps.
        let baseline = curves ? try baselineProbabilities(shape: shape) : []

        var next = 0
        for m in maps.indices {
            let y = results[m].score
            if metrics.contains(.drop) || metrics.contains(.increase) {
                let o = scores[next]
                next += 1
                let difference = o - y
                results[m].maskedScore = o
                if metrics.contains(.drop) { results[m].drop = max(-difference, 0) }
                if metrics.contains(.increase) { results[m].increase = difference > 0 ? 1 : 0 }
            }
            for order in orders {
                let changes = (0..<settings.percentiles.count).map { scores[next + $0] - y }
                next += changes.count
                let mean = Float(changes.reduce(0) { $0 + Double($1) } / Double(changes.count))
                if order == .mostRelevantFirst {
                    (results[m].roadMoRF, results[m].roadMoRFMean) = (changes, mean)
                } else {
                    (results[m].roadLeRF, results[m].roadLeRFMean) = (changes, mean)
                }
            }
            if metrics.contains(.roadCombined), let lerf = results[m].roadLeRFMean, let morf = results[m].roadMoRFMean {
                results[m].roadCombined = (lerf - morf) / 2
            }
            if curves {
                let base = baseline[maps[m].classIndex]
                var deletion = [y], insertion = [base]
                for _ in counts.dropFirst().dropLast() {
                    if metrics.contains(.deletion) {
                        deletion.append(scores[next])
                        next += 1
                    }
                    if metrics.contains(.insertion) {
                        insertion.append(scores[next])
                        next += 1
                    }
                }
                deletion.append(base)
                insertion.append(y)
                let pixels = Float(shape[2] * shape[3])
                let fractions = counts.map { Float($0) / pixels }
                results[m].fractions = fractions
                if metrics.contains(.deletion) {
                    results[m].deletionCurve = deletion
                    results[m].deletion = Self.trapezoid(deletion, fractions)
                }
                if metrics.contains(.insertion) {
                    results[m].insertionCurve = insertion
                    results[m].insertion = Self.trapezoid(insertion, fractions)
                }
            }
        }
        return results
    }

    /// torchcam's curve points: 0, s, 2s, ... below `pixels`, then `pixels`, with s = ceil(pixels / steps).
    public static func curveCounts(pixels: Int, steps: Int) -> [Int] {
        let step = (pixels + steps - 1) / steps
        return Array(stride(from: 0, to: pixels, by: step)) + [pixels]
    }

    /// `torch.trapezoid(y, x)`: the sum of (x[i+1] - x[i]) (y[i] + y[i+1]) / 2.
    public static func trapezoid(_ y: [Float], _ x: [Float]) -> Float {
        var area = 0.0
        for i in 1..<min(x.count, y.count) { area += Double(x[i] - x[i - 1]) * (Double(y[i]) + Double(y[i - 1])) / 2 }
        return Float(area)
    }

    private func baselineProbabilities(shape: [Int]) throws -> [Float] {
        let zeros = try Tensor.zeros([1, shape[1], shape[2], shape[3]])
        return try withInferenceMode { try Functional.softmax(model(zeros), dim: 1) }.floats()
    }

    private func validate(_ maps: [FaithfulnessMap], shape: [Int]) throws {
        for map in maps {
            guard map.height == shape[2], map.width == shape[3], map.values.count == map.height * map.width else {
                throw FaithfulnessError.mapSize(source: map.source, shape: [map.height, map.width], expected: [shape[2], shape[3]])
            }
            guard map.values.allSatisfy(\.isFinite) else { throw FaithfulnessError.nonFiniteMap(source: map.source) }
            guard (0..<shape[0]).contains(map.image) else {
                throw FaithfulnessError.badTarget(source: map.source, reason: "image \(map.image) is not in the batch of \(shape[0])")
            }
            if let metric = settings.metrics.first(where: \.needsBoxes), map.boxes?.isEmpty ?? true {
                throw FaithfulnessError.noBoxes(source: map.source, metric: metric.rawValue)
            }
        }
    }
}
