import CAMKit
import Foundation
import Torch

/// How the maps of an explanation are returned.
enum MapFormat: String, Sendable, CaseIterable {
    /// Base64 8-bit grayscale PNGs of the normalised maps at the map size.
    case png
    /// The raw maps at feature resolution (before ReLU and normalisation) as float arrays.
    case raw
    /// Boxes and IoUs only.
    case none
}

/// What turns cached raw maps into the response: cheap, no network pass.
struct RenderParameters: Sendable {
    var normalization: MapNormalization = .standard
    /// Box threshold as a fraction of the map's maximum.
    var threshold: Double = 0.2
    var maps: MapFormat = .png
    /// Also return server-side overlays (colour map blended over the image).
    var overlay = false
    var colorMap: ColorMap = .jet
    var alpha: Double = 0.5
}

/// What an explain request asks for.
struct ExplainParameters: Sendable {
    var methods: [CAMMethod]
    var layers: [String]
    /// nil: the predicted class.
    var classIndex: Int?
    var score: ScoreKind = .logit
    /// Also score each map's drop/increase in confidence and deletion curve (`ExplainPipeline.faithfulness`).
    var faithfulness = false
    var render = RenderParameters()
}

/// Where the pixels of an explain request come from.
enum ImageInput: Sendable {
    case upload(Data)
    case sample(Sample)
}

/// One map at feature resolution, before ReLU and normalisation.
struct ComputedMap: Sendable {
    var method: CAMMethod
    var layer: String
    var classIndex: Int
    var raw: FloatMap
    /// With `faithfulness=true`; independent of the render parameters.
    var faithfulness: FaithfulnessJSON?
}

/// An explanation kept for re-rendering: everything but pixels.
struct CachedExplanation: Sendable {
    var width: Int
    var height: Int
    var mapWidth: Int
    var mapHeight: Int
    var probabilities: [Float]
    var predictions: [PredictionJSON]
    var maps: [ComputedMap]
    var sample: SampleJSON?
    var truth: [BoundingBox]
    var score: ScoreKind
    var skipped: [SkippedJSON]
}

/// The model's fixed facts, read once before the model is handed to the worker thread.
struct ModelFacts: Sendable {
    var file: String
    var layout: String
    var classNames: [String]
    var inputSize: Int
    var preprocessing: Preprocessing
    var lastFeatureLayer: String
    /// Why CAM is unavailable (no GAP + linear head); nil when it is available.
    var camUnavailable: String?
    var layers: [LayersJSON.Layer]
    var layerNames: Set<String>

    func className(_ c: Int) -> String { ClassScore.name(c, in: classNames) }
}

/// The explain pipeline: the network pass on the model worker, rendering off it.
enum ExplainPipeline {
    /// Decodes, preprocesses and explains one image on the worker thread.
    static func compute(
        _ input: ImageInput, parameters p: ExplainParameters, maxMapSide: Int, sample: SampleJSON?,
        truth: [BoundingBox], context: ModelContext
    ) throws -> (CachedExplanation, Image?) {
        let image: Image
        switch input {
        case .upload(let data):
            do {
                image = try ImageCodec.decode(data, source: "upload")
            } catch {
                throw APIError(.badRequest, "undecodable_image", "the upload does not decode as an image: \(error)")
            }
        case .sample(let s):
            image = try s.loadImage()
        }
        let info = context.loaded.info
        let batch = try info.batch([image])
        let targets: TargetSelection = p.classIndex.map { .classes([$0]) } ?? .predicted
        let e = try context.explainer.explain(
            batch, methods: p.methods, layers: p.layers, targets: targets, score: p.score,
            camOnlyAtLastLayer: true)
        let probabilities = try e.probabilities[0].to(.float32).scalars(as: Float.self)
        let predictions = try e.topClasses(image: 0, names: info.classNames)
        var maps = try e.maps.map { m in
            ComputedMap(method: m.method, layer: m.layer, classIndex: m.classIndex, raw: try FloatMap(tensor: m.raw))
        }
        if p.faithfulness {
            let scored = try faithfulness(of: e.maps, input: batch, model: context.loaded.model, inputSize: info.inputSize)
            for i in maps.indices { maps[i].faithfulness = scored[i] }
        }
        let scale = min(1, Double(maxMapSide) / Double(max(image.width, image.height)))
        let mapWidth = max(1, Int((Double(image.width) * scale).rounded()))
        let mapHeight = max(1, Int((Double(image.height) * scale).rounded()))
        var working: Image?
        if p.render.overlay {
            working = scale < 1 ? try image.resized(width: mapWidth, height: mapHeight, interpolation: .area) : image
        }
        let cached = CachedExplanation(
            width: image.width, height: image.height, mapWidth: mapWidth, mapHeight: mapHeight,
            probabilities: probabilities, predictions: predictions, maps: maps,
            sample: sample, truth: truth, score: p.score, skipped: e.skipped)
        return (cached, working)
    }

    /// The web page's faithfulness metrics of one image's maps: drop, increase and the deletion
    /// curve at torchcam's 20 steps, every perturbed copy of every map in batches of 32.
    static func faithfulness(of maps: [ClassActivationMap], input: Tensor, model: any Network, inputSize size: Int) throws -> [FaithfulnessJSON?] {
        let scorer = try FaithfulnessScorer(model: model, settings: FaithfulnessSettings(metrics: [.drop, .increase, .deletion]))
        let targets = try maps.map { m in try FaithfulnessMap(m, size: size, source: "\(m.method.rawValue)/\(m.layer)") }
        return try scorer.score(input, maps: targets).map(FaithfulnessJSON.init)
    }

    /// Renders each raw map at the map size as `camkit explain` does (`MapRendering`, bilinear),
    /// boxes it (CAMKit's default rule at `threshold` of the maximum) and scores the boxes against the truth.
    static func render(_ e: CachedExplanation, image: Image?, parameters p: RenderParameters, facts: ModelFacts) throws -> [MapJSON] {
        var rule = BoxRule.camkit
        rule.threshold = .fractionOfMax(p.threshold)
        var overlayOptions = ExplainOptions(methods: [], layers: [])
        overlayOptions.colorMap = p.colorMap
        overlayOptions.alpha = p.alpha
        return try e.maps.map { m in
            let up = try MapRendering(normalization: p.normalization).displayMap(m.raw.tensor(), height: e.mapHeight, width: e.mapWidth)
            let prediction = try BoxExtractor.boxes(in: up, rule: rule)
            let boxes = prediction.boxes.map { BoxJSON(ScoredBox($0, truth: e.truth, mode: .hull)) }
            var noBox: String?
            if case .noBox(let reason) = prediction { noBox = reason.rawValue }
            var json = MapJSON(
                method: m.method.rawValue, layer: m.layer, classIndex: m.classIndex, className: facts.className(m.classIndex),
                probability: m.classIndex < e.probabilities.count ? Double(e.probabilities[m.classIndex]) : 0,
                featureShape: [m.raw.height, m.raw.width], boxes: boxes, noBox: noBox,
                iou: e.truth.isEmpty ? nil : (boxes.flatMap(\.ious).max() ?? 0), faithfulness: m.faithfulness)
            if p.maps == .png {
                json.png = try up.toImage().encoded(as: .png).base64EncodedString()
            }
            if p.maps == .raw {
                json.raw = RawMapJSON(shape: [m.raw.height, m.raw.width], values: m.raw.values)
            }
            if p.overlay, let image {
                json.overlayPNG = try ExplainJob.overlay(up, on: image, options: overlayOptions).encoded(as: .png).base64EncodedString()
            }
            return json
        }
    }
}
