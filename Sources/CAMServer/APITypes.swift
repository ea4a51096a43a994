import CAMKit
import Foundation

// The JSON shapes of the API. docs/WEB.md and Public/openapi.json describe the same shapes;
// CAMServerTests checks that they agree.

/// One class with its score.
public typealias PredictionJSON = ClassScore

/// A box found in a map, normalised `[ymin, xmin, ymax, xmax]`, with its IoU against each ground-truth box.
/// The API's view of a `ScoredBox` (its contract names the box `box` and leaves the outline out).
public struct BoxJSON: Codable, Sendable {
    public var box: BoundingBox
    public var ious: [Double]

    public init(_ scored: ScoredBox) {
        box = scored.normalized
        ious = scored.ious
    }
}

/// A raw map at feature resolution, before ReLU and normalisation: row-major values.
public struct RawMapJSON: Codable, Sendable {
    public var shape: [Int]
    public var values: [Float]
}

/// One map: method, layer and class, its image, its boxes and their IoU.
public struct MapJSON: Codable, Sendable {
    public var method: String
    public var layer: String
    public var classIndex: Int
    public var className: String
    /// The softmax probability of `classIndex`.
    public var probability: Double
    /// [h, w] of the layer's feature map.
    public var featureShape: [Int]
    /// The normalised map upsampled to `image.mapWidth` x `image.mapHeight`, as a base64 8-bit
    /// grayscale PNG (value = trunc(255 * map)). With `maps=png` (the default).
    public var png: String?
    /// The map coloured and blended over the image (RGB PNG, base64), with `overlay=true`.
    public var overlayPNG: String?
    /// The raw map, with `maps=raw`.
    public var raw: RawMapJSON?
    public var boxes: [BoxJSON]
    /// Why there is no box: `nothing-above-threshold` or `empty-map`. Absent when there are boxes.
    public var noBox: String?
    /// The best IoU of any box against any ground-truth box: absent without ground truth, 0 without a box.
    public var iou: Double?
    /// With `faithfulness=true`: drop and increase in confidence and the deletion curve of the map.
    public var faithfulness: FaithfulnessJSON?
    enum CodingKeys: String, CodingKey {
        case method, layer, classIndex = "class", className, probability, featureShape, png, overlayPNG, raw, boxes, noBox, iou,
            faithfulness
    }
}

/// A map's faithfulness on the web page (`camkit faithfulness`'s definitions, docs/PROTOCOLS.md):
/// the map as `camkit explain` renders it at the model's input size, the softmax score of its class.
public struct FaithfulnessJSON: Codable, Sendable, Equatable {
    /// The score of the image (`y`) and of the image multiplied by the map (`o`).
    public var score: Float
    public var maskedScore: Float
    /// max(0, y - o), and 1 when o > y else 0 (pytorch-grad-cam's DropInConfidence / IncreaseInConfidence).
    public var drop: Float
    public var increase: Float
    /// The deletion curve (the score with the most relevant fraction of the pixels set to 0) and its area (torchcam).
    public var fractions: [Float]
    public var deletionCurve: [Float]
    public var deletion: Float

    /// The web page's metrics, as `FaithfulnessScorer` gave them (nil when one is missing).
    init?(_ r: MapFaithfulness) {
        guard let o = r.maskedScore, let drop = r.drop, let increase = r.increase, let fractions = r.fractions,
            let curve = r.deletionCurve, let deletion = r.deletion
        else { return nil }
        self.init(
            score: r.score, maskedScore: o, drop: drop, increase: increase, fractions: fractions, deletionCurve: curve, deletion: deletion)
    }

    public init(
        score: Float, maskedScore: Float, drop: Float, increase: Float, fractions: [Float], deletionCurve: [Float], deletion: Float
    ) {
        self.score = score
        self.maskedScore = maskedScore
        self.drop = drop
        self.increase = increase
        self.fractions = fractions
        self.deletionCurve = deletionCurve
        self.deletion = deletion
    }
}

/// Sizes: the image as uploaded and the size the maps and boxes were computed at.
public struct ImageSizeJSON: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var mapWidth: Int
    public var mapHeight: Int
}

/// One dataset sample, without pixels (its boxes under `boxes`).
public typealias SampleJSON = SampleRecord

public struct TimingJSON: Codable, Sendable {
    /// Milliseconds waiting for the model.
    public var waitMs: Double
    /// Milliseconds of decoding, forward and backward passes.
    public var networkMs: Double
    /// Milliseconds normalising, upsampling, boxing and encoding the maps.
    public var renderMs: Double
}

/// The answer of `POST /api/explain` and `GET /api/results/{id}`.
public struct ExplainResponseJSON: Codable, Sendable {
    /// Names this explanation for `GET /api/results/{id}` (kept while the cache holds it).
    public var id: String
    public var image: ImageSizeJSON
    /// The dataset sample, when the image came from the dataset.
    public var sample: SampleJSON?
    /// The five most probable classes (fewer when the model has fewer).
    public var predictions: [PredictionJSON]
    /// Ground-truth boxes the IoUs are computed against (the sample's, or `truth=` of an upload).
    public var truth: [BoundingBox]
    public var score: String
    public var normalize: String
    public var threshold: Double
    public var maps: [MapJSON]
    /// Method and layer pairs asked for and not made (CAM at layers other than the last, when the last is asked too).
    public var skipped: [SkippedJSON]
    public var timing: TimingJSON
}

/// A method/layer pair asked for and not made, and why.
public typealias SkippedJSON = SkippedPair

/// `GET /api/layers`.
public struct LayersJSON: Codable, Sendable {
    public struct Layer: Codable, Sendable {
        public var name: String
        /// Output shape in the layout's convention (Keras NHWC with null batch, torchvision NCHW with -1).
        public var shape: [Int?]
        public var parameters: Int
    }
    /// The layer that feeds global average pooling (CAM's only layer; the default).
    public var `default`: String
    public var layers: [Layer]
}

/// `GET /api/model`: what the page needs to build its controls.
public struct ModelJSON: Codable, Sendable {
    public struct Defaults: Codable, Sendable {
        public var methods: [String]
        public var layers: [String]
        public var normalize: String
        public var score: String
        public var threshold: Double
        public var colormap: String
        public var alpha: Double
    }
    public struct Limits: Codable, Sendable {
        public var maxUploadBytes: Int
        public var maxPixels: Int
        public var maxMapSide: Int
        public var queueDepth: Int
        public var requestTimeoutSeconds: Double
        public var maxMaps: Int
        public var maxPageSize: Int
    }
    public struct DatasetSummary: Codable, Sendable {
        public var name: String
        public var count: Int
    }
    public var file: String
    public var layout: String
    public var classes: Int
    public var classNames: [String]
    public var inputSize: Int
    public var preprocessing: String
    public var lastFeatureLayer: String
    public var methods: [String]
    public var normalizations: [String]
    public var scores: [String]
    public var colormaps: [String]
    public var defaults: Defaults
    public var limits: Limits
    public var dataset: DatasetSummary?
}

/// `GET /api/dataset`.
public struct DatasetJSON: Codable, Sendable {
    public var name: String
    public var count: Int
    public var classNames: [String]
}

/// `GET /api/dataset/samples`.
public struct SamplePageJSON: Codable, Sendable {
    public var total: Int
    public var offset: Int
    public var limit: Int
    /// The page's readable samples, in index order.
    public var samples: [SampleJSON]
    /// The page's samples that failed to read (absent when none did): the rest of the page is served.
    public var unreadable: [UnreadableSampleJSON]?
}

/// A sample of a page that could not be read, and why.
public struct UnreadableSampleJSON: Codable, Sendable {
    public var index: Int
    public var code: String
    public var message: String
}

/// `GET /api/health`.
public struct HealthJSON: Codable, Sendable {
    public var status: String
    /// Explain requests holding a slot (running, waiting or rendering).
    public var admitted: Int
    public var running: Bool
    public var waiting: Int
    /// Slots in all (one running plus the queue depth).
    public var capacity: Int
    public var cachedResults: Int
}
