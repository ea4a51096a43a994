import Foundation
import Torch
import CAMCore
import CAMImaging
import CAMFormats
import CAMModels
import CAMExplain
import CAMLocalize

/// Settings of `camkit localize`.
public struct LocalizeOptions: Sendable {
    public var methods: [CAMMethod]
    public var layers: [String]
    public var rule: BoxRule = .camkit
    public var iouMode: IoUMode = .hull
    /// How raw maps are scaled before boxing (default: the tutorial's divide-by-max).
    public var normalization: MapNormalization = .tutorial
    public var score: ScoreKind = .logit
    /// Classes to explain; nil for the predicted class.
    public var classes: [Int]?
    public var batchSize = 8
    /// How JPEG images are decoded; nil: the model's preprocessing decides (`defaultJPEGDecoder`).
    public var jpegDecoder: JPEGDecoder?

    public init(methods: [CAMMethod], layers: [String]) {
        self.methods = methods
        self.layers = layers
    }
}

/// What `camkit localize` found (`localize.json`).
public struct LocalizeReport: Codable, Sendable {
    public struct MapEntry: Codable, Sendable {
        public var method: String
        public var layer: String
        public var classIndex: Int
        public var className: String
        public var probability: Double
        /// Why there is no box, or nil.
        public var noBox: String?
        public var boxes: [ScoredBox]
        /// Best IoU over boxes and ground-truth boxes; nil without ground truth.
        public var bestIoU: Double?
        /// The drawing: ground truth in green, predicted boxes in red.
        public var file: String
    }

    public struct ImageEntry: Codable, Sendable {
        public var image: String
        public var width: Int
        public var height: Int
        public var truth: [BoundingBox]
        public var maps: [MapEntry]
    }

    public var model: String
    public var boxRule: String
    public var iou: IoUMode
    public var normalize: String
    public var images: [ImageEntry]
    /// How the JPEGs among the images were decoded (`tf` or `accurate`).
    public var jpegDecoder: String?
}

/// Boxes from the class activation maps of image files, scored against optional ground truth
/// and drawn over the images.
///
/// As the tutorial: each map is normalised at feature resolution, upsampled (bilinear) to the
/// original image size, then boxed by the rule; boxes are normalised by the image size.
public enum LocalizeJob {
    public static let truthColor = Color.green
    public static let boxColor = Color.red

    /// `truths`: nil, or one list of normalised boxes per image (possibly empty).
    public static func run(
        images: [URL], truths: [[BoundingBox]]?, model loaded: LoadedModel, options: LocalizeOptions,
        outputDirectory: URL
    ) throws -> LocalizeReport {
        if let truths, truths.count != images.count {
            throw CAMError("localize", "\(truths.count) ground-truth entries for \(images.count) images")
        }
        let jpeg = options.jpegDecoder ?? loaded.info.preprocessing.defaultJPEGDecoder
        let decoded = try images.map { try ImageHeader.decodeBounded(contentsOf: $0, jpeg: jpeg) }
        let names = ExplainJob.outputNames(images)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let explainer = Explainer(model: loaded.model)
        let info = loaded.info
        let rendering = MapRendering(normalization: options.normalization)
        var entries: [LocalizeReport.ImageEntry] = []
        return try WrittenFiles.takingBack { written in
            for start in stride(from: 0, to: images.count, by: Swift.max(1, options.batchSize)) {
                let range = start..<Swift.min(start + options.batchSize, images.count)
                let batch = try info.batch(decoded[range])
                let targets: TargetSelection = options.classes.map { .classes($0) } ?? .predicted
                let e = try explainer.explain(batch, methods: options.methods, layers: options.layers, targets: targets, score: options.score)
                for (local, index) in range.enumerated() {
                    let image = decoded[index]
                    let truth = truths?[index] ?? []
                    var maps: [LocalizeReport.MapEntry] = []
                    let probabilities = try e.probabilities[local].scalars(as: Float.self)
                    for m in e.maps where m.image == local {
                        let up = try rendering.imageMap(m.raw, height: image.height, width: image.width)
                        let prediction = try BoxExtractor.boxes(in: FloatMap(tensor: up), rule: options.rule)
                        let boxes = prediction.boxes.map { ScoredBox($0, truth: truth, mode: options.iouMode) }
                        var noBox: String?
                        if case .noBox(let r) = prediction { noBox = r.rawValue }
                        let name = ExplainJob.fileName(
                            image: names[index], method: m.method, layer: m.layer, classIndex: m.classIndex,
                            ext: "boxes.png")
                        try drawing(image, truth: truth, boxes: prediction.boxes).write(
                            to: outputDirectory.appendingPathComponent(name),
                            format: .png)
                        written.add(outputDirectory.appendingPathComponent(name))
                        maps.append(
                            .init(
                                method: m.method.rawValue, layer: m.layer, classIndex: m.classIndex,
                                className: ClassScore.name(m.classIndex, in: info.classNames),
                                probability: Double(probabilities[m.classIndex]), noBox: noBox, boxes: boxes,
                                bestIoU: truth.isEmpty ? nil : (boxes.flatMap(\.ious).max() ?? 0), file: name))
                    }
                    entries.append(.init(image: images[index].path, width: image.width, height: image.height, truth: truth, maps: maps))
                }
            }
            let report = LocalizeReport(
                model: loaded.source.path, boxRule: options.rule.description, iou: options.iouMode,
                normalize: options.normalization.rawValue, images: entries, jpegDecoder: jpeg.rawValue)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(encoder.encode(report), to: outputDirectory.appendingPathComponent("localize.json"))
            return report
        }
    }

    /// `image` with the ground-truth boxes in green and the predicted boxes (rotated or not) in red
    /// (`Overlay.boxes`, lines 1/150 of the shorter side, no IoU labels). `boxes` are in the
    /// pixels of a map of the image's size.
    public static func drawing(_ image: Image, truth: [BoundingBox], boxes: [MapBox]) throws -> Image {
        let w = image.width, h = image.height
        var style = OverlayStyle()
        style.truthColor = truthColor
        style.predictionColor = boxColor
        style.lineThickness = Swift.max(1, Swift.min(w, h) / 150)
        style.showIoU = false
        // Edge coordinates (x = width is the right edge of the last column) drawn on the last pixel.
        func edge(_ v: Double, _ size: Int) -> Double { Double(Swift.min(size - 1, Swift.max(0, Int(v.rounded())))) / Double(size) }
        let outlines = boxes.map { b in OverlayBox(outline: b.polygon.map { SIMD2(edge($0.x, w), edge($0.y, h)) }) }
        return try Overlay.boxes(on: image, truth: truth, predictions: outlines, style: style)
    }

    /// Parses ground truth given as `ymin,xmin,ymax,xmax` (normalised), several boxes separated by `;`.
    public static func parseTruth(_ text: String) throws -> [BoundingBox] {
        try text.split(separator: ";").map { part in
            let v = part.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 4, v.allSatisfy({ $0 != nil }), let b = BoundingBox(v.map { $0! }), b.isValid() else {
                throw CAMError("ground truth", "'\(part)' is not ymin,xmin,ymax,xmax with 0 <= min <= max <= 1 (normalised, the tutorial's order)")
            }
            return b
        }
    }
}
