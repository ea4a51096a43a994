import CAMCore
import Foundation
import CAMImaging

/// What a dataset evaluation keeps of one map (one sample, method and layer).
public struct SampleEvaluation: Sendable {
    public var sampleID: String
    /// The ground-truth class.
    public var label: Int
    /// Predicted classes, most probable first (at least 5 where the model has them); nil when no
    /// model ran (maps scored from files).
    public var predictions: [Int]?
    /// Best IoU of the fixed rule's boxes against the ground truth (0 when there is no box).
    public var ruleIoU: Double
    /// The threshold sweep.
    public var sweep: SweepOutcome
    /// The ground-truth boxes (for the baselines).
    public var truth: [BoundingBox]

    public init(sampleID: String, label: Int, predictions: [Int]?, ruleIoU: Double, sweep: SweepOutcome, truth: [BoundingBox]) {
        self.sampleID = sampleID
        self.label = label
        self.predictions = predictions
        self.ruleIoU = ruleIoU
        self.sweep = sweep
        self.truth = truth
    }
}

/// An accuracy at its best map threshold.
public struct BestThreshold: Sendable, Codable, Hashable {
    /// The IoU a box needs to count as correct.
    public var iou: Double
    /// Percentage of samples correct at the best threshold.
    public var accuracy: Double
    /// The best map threshold (fraction of the map's maximum); the first of equals.
    public var threshold: Double
    /// Its index in the sweep.
    public var index: Int
}

/// One class's share of the metrics (accuracies in percent).
public struct ClassMetrics: Sendable, Codable, Hashable {
    public var label: Int
    public var name: String
    public var samples: Int
    public var meanIoU: Double
    public var gtKnownLoc: Double
    public var top1Loc: Double?
    public var top5Loc: Double?
    /// One-box accuracy at the dataset's MaxBoxAcc threshold.
    public var boxAccAtBestThreshold: Double
    /// All-box accuracy averaged over the IoU thresholds, each at the dataset's best threshold for it.
    public var boxAccV2AtBestThresholds: Double
}

/// A trivial box predicted for every image, scored like the maps' boxes.
public struct BaselineMetrics: Sendable, Codable, Hashable {
    public var name: String
    /// The box, normalised `[ymin, xmin, ymax, xmax]`.
    public var box: BoundingBox
    public var meanIoU: Double
    /// Percent correct at each IoU threshold (`iouThresholds` order).
    public var accuracy: [Double]
    /// Mean of `accuracy` (comparable with MaxBoxAccV2).
    public var accuracyMean: Double
}

/// The dataset metrics of one method and layer. Accuracies are percentages (like wsolevaluation).
public struct LocalizationMetrics: Sendable, Codable {
    public var method: String?
    public var layer: String?
    public var evaluationProtocol: EvaluationProtocol
    public var boxRule: String
    public var samples: Int
    /// Mean best IoU of the fixed rule's boxes.
    public var meanIoU: Double
    /// Percent of samples whose rule box has IoU >= 0.5 (ground-truth class known).
    public var gtKnownLoc: Double
    /// Classification accuracies (nil without predictions).
    public var top1Cls: Double?
    public var top5Cls: Double?
    /// Top-1 class right and the rule box's IoU >= 0.5.
    public var top1Loc: Double?
    /// Ground-truth class among the top 5 and the rule box's IoU >= 0.5.
    public var top5Loc: Double?
    /// Top-1 class right and the one box at MaxBoxAcc's threshold correct.
    public var top1LocAtBestThreshold: Double?
    /// MaxBoxAcc: best one-box accuracy over the thresholds at `boxAccIoU`.
    public var maxBoxAcc: BestThreshold
    /// The one-box best accuracy at every IoU threshold of the configuration.
    public var oneBoxAcc: [BestThreshold]
    /// MaxBoxAccV2: the mean over `iouThresholds` of the best all-box accuracies.
    public var maxBoxAccV2: Double
    public var maxBoxAccV2PerIoU: [BestThreshold]
    /// The sweep's map thresholds and the accuracy curves over them (percent): one box at
    /// `boxAccIoU`, all boxes at each of `iouThresholds`.
    public var thresholds: [Double]
    public var oneBoxCurve: [Double]
    public var allBoxCurves: [[Double]]
    public var perClass: [ClassMetrics]
    public var baselines: [BaselineMetrics]
}

/// Accumulates `SampleEvaluation`s into `LocalizationMetrics`.
public struct MetricsAccumulator: Sendable {
    public let configuration: SweepConfiguration
    public let classNames: [String]
    public private(set) var count = 0

    private var singleCounts: [[Int]]
    private var multiCounts: [[Int]]
    private var top1SingleCounts: [Int]
    private var iouSum = 0.0
    private var gtKnown = 0, withPredictions = 0, top1Cls = 0, top5Cls = 0, top1Loc = 0, top5Loc = 0
    private var classes: [Int: ClassAccumulator] = [:]
    private var truths: [[BoundingBox]] = []

    private struct ClassAccumulator: Sendable {
        var count = 0, iouSum = 0.0, gtKnown = 0, withPredictions = 0, top1Loc = 0, top5Loc = 0
        var single: [Int32]
        var multi: [[Int32]]
    }

    public init(configuration: SweepConfiguration, classNames: [String]) {
        self.configuration = configuration
        self.classNames = classNames
        let n = configuration.thresholds.count
        singleCounts = configuration.singleIoUs.map { _ in [Int](repeating: 0, count: n) }
        multiCounts = configuration.iouThresholds.map { _ in [Int](repeating: 0, count: n) }
        top1SingleCounts = [Int](repeating: 0, count: n)
    }

    public mutating func add(_ e: SampleEvaluation) throws {
        let n = configuration.thresholds.count
        guard e.sweep.single.count == singleCounts.count, e.sweep.multi.count == multiCounts.count,
            (e.sweep.single + e.sweep.multi).allSatisfy({ $0.count == n })
        else {
            throw CAMError("metrics", "sample '\(e.sampleID)': its sweep does not match the configuration (\(n) thresholds)")
        }
        count += 1
        iouSum += e.ruleIoU
        let located = e.ruleIoU >= configuration.boxAccIoU
        if located { gtKnown += 1 }
        var c =
            classes[e.label]
            ?? ClassAccumulator(
                single: [Int32](repeating: 0, count: n),
                multi: configuration.iouThresholds.map { _ in [Int32](repeating: 0, count: n) })
        c.count += 1
        c.iouSum += e.ruleIoU
        if located { c.gtKnown += 1 }
        var top1Right = false
        if let p = e.predictions {
            withPredictions += 1
            c.withPredictions += 1
            top1Right = p.first == e.label
            let top5Right = p.prefix(5).contains(e.label)
            if top1Right { top1Cls += 1 }
            if top5Right { top5Cls += 1 }
            if top1Right && located { top1Loc += 1; c.top1Loc += 1 }
            if top5Right && located { top5Loc += 1; c.top5Loc += 1 }
        }
        for (k, bits) in e.sweep.single.enumerated() {
            for i in 0..<n where bits[i] {
                singleCounts[k][i] += 1
                if k == 0 {
                    c.single[i] += 1
                    if top1Right { top1SingleCounts[i] += 1 }
                }
            }
        }
        for (k, bits) in e.sweep.multi.enumerated() {
            for i in 0..<n where bits[i] {
                multiCounts[k][i] += 1
                c.multi[k][i] += 1
            }
        }
        classes[e.label] = c
        truths.append(e.truth)
    }

    /// wsolevaluation's `compute`: percent correct per threshold, best (first of equals).
    static func best(_ counts: [Int], total: Int, iou: Double, thresholds: [Double]) -> BestThreshold {
        var bi = 0
        var bv = -Double.infinity
        for (i, c) in counts.enumerated() {
            let v = Double(c) * 100.0 / Double(total)
            if v > bv { bv = v; bi = i }
        }
        return BestThreshold(iou: iou, accuracy: bv, threshold: thresholds[bi], index: bi)
    }

    /// The metrics so far; throws when no sample was added.
    public func metrics(method: String? = nil, layer: String? = nil, boxRule: String) throws -> LocalizationMetrics {
        guard count > 0 else { throw CAMError("metrics", "no sample was evaluated") }
        let total = Double(count)
        let th = configuration.thresholds
        let single = zip(configuration.singleIoUs, singleCounts).map { Self.best($1, total: count, iou: $0, thresholds: th) }
        let multi = zip(configuration.iouThresholds, multiCounts).map { Self.best($1, total: count, iou: $0, thresholds: th) }
        let v2 = multi.map(\.accuracy).reduce(0, +) / Double(multi.count)
        let maxBoxAcc = single[0]
        func pct(_ k: Int, _ of: Int) -> Double? { of > 0 ? Double(k) * 100.0 / Double(of) : nil }

        let perClass = classes.keys.sorted().map { label -> ClassMetrics in
            let c = classes[label]!
            let v2c = zip(multi, c.multi).map { best, counts in Double(counts[best.index]) * 100.0 / Double(c.count) }
            return ClassMetrics(
                label: label, name: label >= 0 && label < classNames.count ? classNames[label] : "class \(label)",
                samples: c.count, meanIoU: c.iouSum / Double(c.count), gtKnownLoc: Double(c.gtKnown) * 100.0 / Double(c.count),
                top1Loc: pct(c.top1Loc, c.withPredictions), top5Loc: pct(c.top5Loc, c.withPredictions),
                boxAccAtBestThreshold: Double(c.single[maxBoxAcc.index]) * 100.0 / Double(c.count),
                boxAccV2AtBestThresholds: v2c.reduce(0, +) / Double(v2c.count))
        }
        return LocalizationMetrics(
            method: method, layer: layer, evaluationProtocol: configuration.evaluationProtocol, boxRule: boxRule,
            samples: count, meanIoU: iouSum / total, gtKnownLoc: Double(gtKnown) * 100.0 / total,
            top1Cls: withPredictions == count ? pct(top1Cls, count) : nil,
            top5Cls: withPredictions == count ? pct(top5Cls, count) : nil,
            top1Loc: withPredictions == count ? pct(top1Loc, count) : nil,
            top5Loc: withPredictions == count ? pct(top5Loc, count) : nil,
            top1LocAtBestThreshold: withPredictions == count ? pct(top1SingleCounts[maxBoxAcc.index], count) : nil,
            maxBoxAcc: maxBoxAcc, oneBoxAcc: single, maxBoxAccV2: v2, maxBoxAccV2PerIoU: multi,
            thresholds: th, oneBoxCurve: singleCounts[0].map { Double($0) * 100.0 / total },
            allBoxCurves: multiCounts.map { $0.map { Double($0) * 100.0 / total } },
            perClass: perClass, baselines: baselines())
    }

    /// The full-image box and a centred box of the mean ground-truth size, scored against every
    /// sample's ground truth in CAMKit's convention (normalised, no +1, best match).
    func baselines() -> [BaselineMetrics] {
        var sw = 0.0, sh = 0.0, nb = 0
        for t in truths { for b in t { sw += b.width; sh += b.height; nb += 1 } }
        let centre = nb > 0 ? BoundingBox.centered(width: sw / Double(nb), height: sh / Double(nb)) : BoundingBox.fullImage
        return [("full-image", BoundingBox.fullImage), ("center-mean-size", centre)].map { name, box in
            var iouSum = 0.0
            var hits = [Int](repeating: 0, count: configuration.iouThresholds.count)
            for t in truths {
                let v = t.map { IoU.normalized(box, $0) }.max() ?? 0
                iouSum += v
                for (k, d) in configuration.iouThresholds.enumerated() where v >= d { hits[k] += 1 }
            }
            let n = Double(Swift.max(1, truths.count))
            let acc = hits.map { Double($0) * 100.0 / n }
            return BaselineMetrics(
                name: name, box: box, meanIoU: iouSum / n, accuracy: acc,
                accuracyMean: acc.reduce(0, +) / Double(acc.count))
        }
    }
}
