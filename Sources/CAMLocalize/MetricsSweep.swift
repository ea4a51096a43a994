import CAMCore
import Foundation
import CAMImaging
import CAMFormats

/// Which conventions a dataset evaluation follows. Every difference is written down in
/// docs/PROTOCOLS.md.
///
/// - `camkit`: the float map as it is; threshold `t` keeps `v > Float(t) * max(map)`; regions are
///   8-connected components (no hole boxes; a component inside another's hole is its own region);
///   one box = the largest component by pixel count; boxes cover whole pixels and are compared
///   with normalised ground truth without `+1`. The sweep finds the components of all thresholds
///   in one union-find pass (`ComponentSweep`), no contour tracing.
/// - `wsolevaluation`: `WSOLProtocol`, exactly: uint8 quantisation, `> int(t * max)`, `RETR_TREE`
///   contours (holes included), largest by `contourArea`, `boundingRect` clipped to `W - 1`, GT
///   boxes resized to the map with truncation, IoU `+1`. Uses contour tracing (once per distinct
///   cut-off).
public enum EvaluationProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case camkit
    case wsolevaluation
}

/// The threshold sweep of a dataset evaluation.
public struct SweepConfiguration: Sendable, Hashable, Codable {
    public var evaluationProtocol: EvaluationProtocol
    /// Map thresholds as fractions of each map's maximum, in `[0, 1)`.
    public var thresholds: [Double]
    /// MaxBoxAccV2's IoU thresholds (and the one-box accuracies reported at each).
    public var iouThresholds: [Double]
    /// MaxBoxAcc's IoU threshold.
    public var boxAccIoU: Double

    /// wsolevaluation's defaults: `np.arange(0, 1, interval)`, IoU 0.3 / 0.5 / 0.7, MaxBoxAcc at 0.5.
    public static func standard(_ p: EvaluationProtocol, interval: Double = 0.001) throws -> SweepConfiguration {
        SweepConfiguration(
            evaluationProtocol: p, thresholds: try WSOLProtocol.thresholds(interval: interval),
            iouThresholds: [0.3, 0.5, 0.7], boxAccIoU: 0.5)
    }

    public init(evaluationProtocol: EvaluationProtocol, thresholds: [Double], iouThresholds: [Double], boxAccIoU: Double) {
        self.evaluationProtocol = evaluationProtocol
        self.thresholds = thresholds
        self.iouThresholds = iouThresholds
        self.boxAccIoU = boxAccIoU
    }

    /// The IoU thresholds the one-box curves are kept for: `boxAccIoU` first, then the others.
    public var singleIoUs: [Double] { [boxAccIoU] + iouThresholds.filter { $0 != boxAccIoU } }
}

/// A fixed-length set of bits (one per threshold).
public struct BitSet: Sendable, Hashable, Codable {
    public private(set) var count: Int
    public private(set) var words: [UInt64]

    public init(count: Int) {
        self.count = count
        self.words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    public subscript(i: Int) -> Bool {
        get { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
        set {
            if newValue { words[i >> 6] |= 1 << UInt64(i & 63) } else { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
        }
    }

    /// Little-endian bytes of the words (the SQLite blob).
    public var data: Data {
        var d = Data(capacity: words.count * 8)
        for w in words { withUnsafeBytes(of: w.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// Reads `data` back; nil when its length does not fit `count`.
    public init?(count: Int, data: Data) {
        guard data.count == (count + 63) / 64 * 8 else { return nil }
        self.count = count
        let bytes = [UInt8](data)
        self.words = stride(from: 0, to: bytes.count, by: 8).map { o in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[o + $1]) << UInt64(8 * $1) }
        }
    }
}

/// One map's threshold sweep against its ground truth: for each IoU threshold, which map
/// thresholds gave a correct box, with one box (`single`) and with all boxes (`multi`).
public struct SweepOutcome: Sendable, Hashable {
    /// Per `SweepConfiguration.singleIoUs`.
    public var single: [BitSet]
    /// Per `SweepConfiguration.iouThresholds`.
    public var multi: [BitSet]
}

/// A score map with values kept in double precision (wsolevaluation quantises doubles).
public struct ScoreMap: Sendable {
    public let width: Int
    public let height: Int
    public let values: [Double]

    public init(width: Int, height: Int, values: [Double]) throws {
        guard width > 0, height > 0, values.count == width * height else {
            throw CAMError("score map", "\(width)x\(height) needs \(width * height) values, got \(values.count)")
        }
        self.width = width
        self.height = height
        self.values = values
    }

    public init(_ map: FloatMap) {
        width = map.width
        height = map.height
        values = map.values.map(Double.init)
    }

    /// A 2-D `.npy` array of any numeric type, converted to double exactly (float16/32/64, ints).
    public init(npy array: NPYArray, source: String? = nil) throws {
        guard array.shape.count == 2 || (array.shape.count == 3 && (array.shape[0] == 1 || array.shape[2] == 1)) else {
            throw CAMError("score map", "expected a 2-D array (H x W), got shape \(array.shape)", path: source)
        }
        let (h, w) =
            array.shape.count == 2
            ? (array.shape[0], array.shape[1])
            : (array.shape[0] == 1 ? (array.shape[1], array.shape[2]) : (array.shape[0], array.shape[1]))
        let values: [Double] = array.dtype == .float64 ? try array.scalars(as: Double.self) : array.floatValues().map(Double.init)
        try self.init(width: w, height: h, values: values)
    }

    /// The values in single precision.
    public var floatMap: FloatMap { try! FloatMap(width: width, height: height, values: values.map { Float($0) }) }
}

/// Ground truth of one sample for evaluation.
public struct GroundTruth: Sendable, Hashable {
    /// Normalised `[ymin, xmin, ymax, xmax]` boxes (several allowed; best match counts).
    public var boxes: [BoundingBox]
    /// The original image size (wsolevaluation resizes integer boxes from it).
    public var imageWidth: Int
    public var imageHeight: Int

    public init(boxes: [BoundingBox], imageWidth: Int, imageHeight: Int) {
        self.boxes = boxes
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
    }

    /// wsolevaluation's ground truth at a `width` x `height` map: the integer boxes resized.
    public func wsolBoxes(mapWidth: Int, mapHeight: Int) -> [PixelBox] {
        boxes.map {
            WSOLProtocol.resizeBox(
                WSOLProtocol.pixelBox($0, width: imageWidth, height: imageHeight),
                from: (imageWidth, imageHeight), to: (mapWidth, mapHeight))
        }
    }
}

/// Scores maps over a threshold sweep under one protocol.
public struct SweepEvaluator: Sendable {
    public let configuration: SweepConfiguration

    public init(_ configuration: SweepConfiguration) throws {
        guard !configuration.thresholds.isEmpty, configuration.thresholds.allSatisfy({ $0.isFinite }) else {
            throw CAMError("threshold sweep", "at least one finite threshold is needed")
        }
        guard !configuration.iouThresholds.isEmpty else { throw CAMError("threshold sweep", "at least one IoU threshold is needed") }
        self.configuration = configuration
    }

    /// The sweep of one map against its ground truth.
    public func evaluate(_ map: ScoreMap, truth: GroundTruth, source: String? = nil) throws -> SweepOutcome {
        let n = configuration.thresholds.count
        let singleIoUs = configuration.singleIoUs, multiIoUs = configuration.iouThresholds
        var single = singleIoUs.map { _ in BitSet(count: n) }
        var multi = multiIoUs.map { _ in BitSet(count: n) }
        func record(_ i: Int, one: Double, all: Double) {
            for (k, d) in singleIoUs.enumerated() where one >= d { single[k][i] = true }
            for (k, d) in multiIoUs.enumerated() where all >= d { multi[k][i] = true }
        }
        switch configuration.evaluationProtocol {
        case .camkit:
            let fmap = map.floatMap
            guard let mx = fmap.range?.upperBound, mx > 0, mx.isFinite, !truth.boxes.isEmpty else {
                return SweepOutcome(single: single, multi: multi)  // no box at any threshold
            }
            let taus = configuration.thresholds.map { Float($0) * mx }
            let sweep = ComponentSweep(fmap)
            let w = map.width, h = map.height
            var one = 0.0, all = 0.0
            try sweep.run(thresholds: taus, collectComponents: true) { i, snap in
                if snap.changed {
                    one = snap.largest.map { c in Self.bestIoU(c.box.normalized(width: w, height: h), truth.boxes) } ?? 0
                    all = 0
                    for c in snap.components { all = Swift.max(all, Self.bestIoU(c.box.normalized(width: w, height: h), truth.boxes)) }
                }
                record(i, one: one, all: all)
            }
        case .wsolevaluation:
            try WSOLProtocol.validate(map.values, source: source)
            let bytes = WSOLProtocol.quantize(map.values)
            let gts = truth.wsolBoxes(mapWidth: map.width, mapHeight: map.height)
            guard !gts.isEmpty else { return SweepOutcome(single: single, multi: multi) }
            let cut = WSOLProtocol.cutoffs(configuration.thresholds, maxByte: bytes.max() ?? 0)
            var cache: [Int: (Double, Double)] = [:]
            for (i, c) in cut.enumerated() {
                if cache[c] == nil {
                    let found = try WSOLProtocol.boxes(bytes: bytes, width: map.width, height: map.height, cutoff: c)
                    let a = found.all.map { b in gts.map { IoU.inclusive(b, $0) }.max()! }.max()!
                    let o = gts.map { IoU.inclusive(found.largest, $0) }.max()!
                    cache[c] = (o, a)
                }
                let (o, a) = cache[c]!
                record(i, one: o, all: a)
            }
        }
        return SweepOutcome(single: single, multi: multi)
    }

    @inline(__always) static func bestIoU(_ box: BoundingBox, _ truths: [BoundingBox]) -> Double {
        var best = 0.0
        for t in truths { best = Swift.max(best, IoU.normalized(box, t)) }
        return best
    }
}
