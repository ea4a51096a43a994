import CAMCore
import Foundation
import CAMImaging

/// A box found in a map with its IoU against each ground-truth box: the one record of a scored
/// box, in `localize.json`, `results.sqlite` (table `box`) and what the report and the API draw.
public struct ScoredBox: Sendable, Hashable, Codable {
    /// Normalised `[ymin, xmin, ymax, xmax]` (the axis-aligned hull).
    public var normalized: BoundingBox
    /// The outline in the map's pixel coordinates (JSON `[[x, y], ...]`).
    public var polygon: [SIMD2<Double>]
    /// Best IoU against each ground-truth box, in the protocol's convention.
    public var ious: [Double]

    /// The best IoU against any ground-truth box; nil without ground truth.
    public var bestIoU: Double? { ious.max() }
}

extension ScoredBox {
    /// `box` scored against each of `truth` by `mode`.
    public init(_ box: MapBox, truth: [BoundingBox], mode: IoUMode) {
        self.init(normalized: box.normalized, polygon: box.polygon, ious: truth.map { box.iou(with: $0, mode: mode) })
    }
}

/// A map scored against its ground truth: the fixed rule's boxes and IoUs, and the threshold sweep.
public struct ScoredMap: Sendable, Equatable {
    public var boxes: [ScoredBox]
    /// Why there is no box (nil when there are boxes).
    public var noBox: NoBoxReason?
    /// Best IoU over the boxes and ground-truth boxes (0 without a box).
    public var ruleIoU: Double
    /// The threshold sweep; nil where it was not read back (`ResultStore.storedRun`).
    public var sweep: SweepOutcome?
}

/// Scores maps: the fixed `rule` (mean IoU, GT-known, top-1 / top-5 loc) and the threshold sweep
/// (MaxBoxAcc, MaxBoxAccV2), under one protocol.
///
/// Under `wsolevaluation` the fixed rule is wsolevaluation's box at the rule's threshold fraction
/// (largest tree contour by `contourArea`, `boundingRect`, `+1` IoU): the rule's other settings do
/// not apply, and an absolute threshold is an error.
public struct MapScorer: Sendable {
    public let rule: BoxRule
    public let iouMode: IoUMode
    public let evaluator: SweepEvaluator

    public init(rule: BoxRule, iouMode: IoUMode = .hull, sweep: SweepConfiguration) throws {
        if sweep.evaluationProtocol == .wsolevaluation, case .absolute = rule.threshold {
            throw CAMError("box rule", "--protocol wsolevaluation takes a threshold as a fraction of the map's maximum, not an absolute one")
        }
        self.rule = rule
        self.iouMode = iouMode
        self.evaluator = try SweepEvaluator(sweep)
    }

    public var configuration: SweepConfiguration { evaluator.configuration }

    public func score(_ map: ScoreMap, truth: GroundTruth, source: String? = nil) throws -> ScoredMap {
        let sweep = try evaluator.evaluate(map, truth: truth, source: source)
        switch configuration.evaluationProtocol {
        case .camkit:
            let prediction = try BoxExtractor.boxes(in: map.floatMap, rule: rule)
            let boxes = prediction.boxes.map { ScoredBox($0, truth: truth.boxes, mode: iouMode) }
            var noBox: NoBoxReason?
            if case .noBox(let r) = prediction { noBox = r }
            let best = boxes.flatMap(\.ious).max() ?? 0
            return ScoredMap(boxes: boxes, noBox: noBox, ruleIoU: best, sweep: sweep)
        case .wsolevaluation:
            guard case .fractionOfMax(let t) = rule.threshold else { preconditionFailure("checked in init") }
            let bytes = WSOLProtocol.quantize(map.values)
            let cutoff = WSOLProtocol.cutoffs([t], maxByte: bytes.max() ?? 0)[0]
            let found = try WSOLProtocol.boxes(bytes: bytes, width: map.width, height: map.height, cutoff: cutoff)
            let gts = truth.wsolBoxes(mapWidth: map.width, mapHeight: map.height)
            let b = found.largest
            let ious = gts.map { IoU.inclusive(b, $0) }
            let box = ScoredBox(
                normalized: BoundingBox(
                    ymin: Double(b.y0) / Double(map.height), xmin: Double(b.x0) / Double(map.width),
                    ymax: Double(b.y1) / Double(map.height), xmax: Double(b.x1) / Double(map.width)),
                polygon: [
                    SIMD2(Double(b.x0), Double(b.y0)), SIMD2(Double(b.x1), Double(b.y0)),
                    SIMD2(Double(b.x1), Double(b.y1)), SIMD2(Double(b.x0), Double(b.y1))
                ],
                ious: ious)
            let empty = !bytes.contains { Int($0) > cutoff }
            return ScoredMap(boxes: [box], noBox: empty ? .nothingAboveThreshold : nil, ruleIoU: ious.max() ?? 0, sweep: sweep)
        }
    }
}
