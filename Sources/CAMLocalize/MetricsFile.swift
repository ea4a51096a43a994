import Foundation
import CAMFaithfulness

/// `metrics.json`.
public struct MetricsFile: Codable, Sendable {
    public var dataset: String
    public var datasetName: String
    public var samples: Int
    public var evaluationProtocol: EvaluationProtocol
    public var boxRule: String
    public var iou: IoUMode
    public var thresholdCount: Int
    public var model: String?
    public var maps: String?
    public var results: [LocalizationMetrics]
    /// With `--faithfulness`: the settings and the means per method × layer × metric (as `faithfulness.json`'s summary).
    public var faithfulnessSettings: FaithfulnessSettings?
    public var faithfulness: [FaithfulnessSummaryRow]?
    /// How the dataset's JPEGs were decoded (`tf` or `accurate`); absent in older files.
    public var jpegDecoder: String?

    public init(
        dataset: String, datasetName: String, samples: Int, evaluationProtocol: EvaluationProtocol, boxRule: String,
        iou: IoUMode, thresholdCount: Int, model: String?, maps: String?, results: [LocalizationMetrics]
    ) {
        self.dataset = dataset
        self.datasetName = datasetName
        self.samples = samples
        self.evaluationProtocol = evaluationProtocol
        self.boxRule = boxRule
        self.iou = iou
        self.thresholdCount = thresholdCount
        self.model = model
        self.maps = maps
        self.results = results
    }
}
