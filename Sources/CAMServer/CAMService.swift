import CAMKit
import Foundation
import Hummingbird
import Torch

/// The web app's state: the model (owned by its worker thread), the dataset, the result cache
/// and the limits. `CAMServer.router(service)` serves it.
public final class CAMService: Sendable {
    public let settings: ServerSettings
    let facts: ModelFacts
    let worker: ModelWorker
    let dataset: (any Dataset)?
    let results: LRUCache<String, CachedExplanation>
    let thumbnails: LRUCache<String, Data>
    let light: Limiter

    /// Takes ownership of `model`: from now on only the service's worker thread uses it.
    public init(model: LoadedModel, dataset: (any Dataset)? = nil, settings: ServerSettings = ServerSettings()) throws {
        let summary = try LayerSummary(model: model.model, inputSize: model.info.inputSize)
        facts = ModelFacts(
            file: model.source.lastPathComponent, layout: model.model.layout, classNames: model.info.classNames,
            inputSize: model.info.inputSize, preprocessing: model.info.preprocessing, lastFeatureLayer: model.model.lastFeatureLayer,
            camUnavailable: model.model.camHead == nil ? model.model.camUnavailableDescription : nil,
            layers: summary.rows.map { LayersJSON.Layer(name: $0.name, shape: $0.shape, parameters: $0.parameters) },
            layerNames: Set(summary.rows.map(\.name)))
        self.settings = settings
        self.dataset = dataset
        worker = ModelWorker(model: model, queueDepth: settings.queueDepth, simulatedWork: settings.simulatedWork)
        results = LRUCache(capacity: settings.cacheEntries)
        thumbnails = LRUCache(capacity: 512)
        light = Limiter(limit: settings.maxLightRequests)
    }

    /// Stops the model thread (waiting requests are answered 503).
    public func shutdown() { worker.stop() }

    // MARK: parameters

    static let explainKeys: Set<String> = [
        "method", "methods", "layer", "layers", "class", "score", "normalize", "threshold", "maps", "overlay", "colormap",
        "alpha", "sample", "truth", "faithfulness"
    ]
    static let renderKeys: Set<String> = ["normalize", "threshold", "maps"]

    /// Rejects query keys outside `allowed`, so that a typo is an error rather than a silent default.
    static func checkKeys(_ query: Query, allowed: Set<String>) throws {
        let unknown = Set(query.pairs.map(\.key)).subtracting(allowed)
        guard unknown.isEmpty else {
            throw APIError.badParameter(
                "unknown query parameter\(unknown.count > 1 ? "s" : "") \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", "))",
                valid: allowed.sorted())
        }
    }

    /// Comma-separated values of `keys` (repeated keys add up); empty when absent.
    static func list(_ query: Query, _ keys: String...) -> [String] {
        query.pairs.filter { keys.contains($0.key) }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    static func value(_ query: Query, _ key: String) -> String? {
        query[key].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func number(_ query: Query, _ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = value(query, key) else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw APIError.badParameter(
                "\(key)=\(text): expected a number in \(formatSeconds(range.lowerBound))...\(formatSeconds(range.upperBound))")
        }
        return v
    }

    static func flag(_ query: Query, _ key: String) throws -> Bool? {
        guard let text = value(query, key)?.lowercased() else { return nil }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw APIError.badParameter("\(key)=\(text): expected true or false")
        }
    }

    func renderParameters(_ query: Query) throws -> RenderParameters {
        var r = RenderParameters()
        if let n = Self.value(query, "normalize") {
            guard let mode = MapNormalization.allCases.first(where: { $0.rawValue.lowercased() == n.lowercased() }) else {
                throw APIError(
                    .badRequest, "unknown_normalization", "unknown normalisation '\(n)'",
                    valid: MapNormalization.allCases.map(\.rawValue))
            }
            r.normalization = mode
        }
        if let t = try Self.number(query, "threshold", in: 0...1) { r.threshold = t }
        if let m = Self.value(query, "maps") {
            guard let format = MapFormat(rawValue: m.lowercased()) else {
                throw APIError.badParameter("maps=\(m): expected png, raw or none", valid: MapFormat.allCases.map(\.rawValue))
            }
            r.maps = format
        }
        if let o = try Self.flag(query, "overlay") { r.overlay = o }
        if let c = Self.value(query, "colormap") {
            guard let map = ColorMap(name: c) else {
                throw APIError(.badRequest, "unknown_colormap", "unknown colour map '\(c)'", valid: ColorMap.allCases.map(\.name))
            }
            r.colorMap = map
        }
        if let a = try Self.number(query, "alpha", in: 0...1) { r.alpha = a }
        return r
    }

    /// Parses and checks an explain request's options; every error is a 400 naming the valid values.
    func explainParameters(_ query: Query) throws -> ExplainParameters {
        try Self.checkKeys(query, allowed: Self.explainKeys)
        let methodNames = Self.list(query, "method", "methods")
        var methods: [CAMMethod] = []
        for name in methodNames.isEmpty ? ["gradcam"] : methodNames {
            guard let m = CAMMethod(rawValue: name.lowercased()) else {
                throw APIError(.badRequest, "unknown_method", "unknown method '\(name)'", valid: CAMMethod.allCases.map(\.rawValue))
            }
            if !methods.contains(m) { methods.append(m) }
        }
        var layers: [String] = []
        for name in Self.list(query, "layer", "layers") where !layers.contains(name) { layers.append(name) }
        if layers.isEmpty { layers = [facts.lastFeatureLayer] }
        let unknown = layers.filter { !facts.layerNames.contains($0) }
        guard unknown.isEmpty else {
            throw APIError(
                .badRequest, "unknown_layer",
                "unknown layer\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); GET /api/layers lists them",
                valid: facts.layers.map(\.name))
        }
        // CAM exists only at the layer feeding global average pooling: among several layers that
        // include it, CAM is made there only (as the library does); without it, asking is an error.
        let plan: MapPlan
        do {
            plan = try MapPlan(methods: methods, layers: layers, lastLayer: facts.lastFeatureLayer, camUnavailable: facts.camUnavailable)
        } catch ExplainError.camNeedsLastLayer(let other, let last) {
            throw APIError(
                .badRequest, "cam_needs_last_layer",
                "CAM is defined only at the layer that feeds global average pooling ('\(last)'), not at '\(other)'; add \(last) to the layers or use gradcam",
                valid: [last])
        }
        let mapCount = plan.pairs.count
        guard mapCount <= settings.maxMaps else {
            throw APIError(
                .badRequest, "too_many_maps",
                "\(methods.count) methods at \(layers.count) layers make \(mapCount) maps; at most \(settings.maxMaps) per request")
        }
        var p = ExplainParameters(methods: methods, layers: layers)
        if let c = Self.value(query, "class"), c.lowercased() != "auto" {
            guard let index = Int(c), index >= 0, index < facts.classNames.count else {
                throw APIError(
                    .badRequest, "class_out_of_range",
                    "class=\(c): expected auto or a class index in 0...\(facts.classNames.count - 1)")
            }
            p.classIndex = index
        }
        if let s = Self.value(query, "score") {
            guard let kind = ScoreKind(rawValue: s.lowercased()) else {
                throw APIError.badParameter("score=\(s): expected logit or softmax", valid: ["logit", "softmax"])
            }
            p.score = kind
        }
        if let f = try Self.flag(query, "faithfulness") { p.faithfulness = f }
        p.render = try renderParameters(query)
        return p
    }

    // MARK: explain

    /// Checks an upload before it is queued: size on the wire, a known image header, pixel count.
    func checkUpload(_ data: Data) throws {
        guard !data.isEmpty else {
            throw APIError(.badRequest, "empty_body", "no image: send the image bytes as the request body, or ?sample=INDEX for a dataset image")
        }
        guard let size = ImageHeader.size(of: data) else {
            let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw APIError(
                .badRequest, "not_an_image",
                "the body is not a JPEG, PNG, WebP or BMP image (it starts with bytes \(head))")
        }
        guard size.width > 0, size.height > 0 else {
            throw APIError(.badRequest, "undecodable_image", "the image header gives a size of \(size.width)x\(size.height)")
        }
        guard size.width.multipliedReportingOverflow(by: size.height).overflow == false,
            size.width * size.height <= settings.maxPixels
        else {
            throw APIError(
                .contentTooLarge, "too_many_pixels",
                "the image is \(size.width)x\(size.height) pixels; at most \(settings.maxPixels) pixels are accepted")
        }
    }

    /// Runs one explanation: waits for the model, computes, caches, renders.
    func explain(_ input: ImageInput, parameters: ExplainParameters, sample: SampleJSON?, truth: [BoundingBox]) async throws
        -> ExplainResponseJSON
    {
        try worker.admit()
        defer { worker.release() }
        let maxSide = settings.maxMapSide
        let ((cached, image), waited, ran) = try await worker.run(timeout: settings.requestTimeout) { context in
            let (c, i) = try ExplainPipeline.compute(
                input, parameters: parameters, maxMapSide: maxSide, sample: sample,
                truth: truth, context: context)
            return (c, i)
        }
        let id = UUID().uuidString.lowercased()
        results.insert(cached, for: id)
        let facts = self.facts
        let start = ContinuousClock.now
        let maps = try await offload { try ExplainPipeline.render(cached, image: image, parameters: parameters.render, facts: facts) }
        let rendered = (ContinuousClock.now - start).seconds
        return response(
            id: id, cached, maps: maps, render: parameters.render,
            timing: TimingJSON(waitMs: milliseconds(waited), networkMs: milliseconds(ran), renderMs: milliseconds(rendered)))
    }

    /// Re-renders a cached explanation with other normalisation / threshold / format: no network pass.
    func rerender(id: String, parameters: RenderParameters) async throws -> ExplainResponseJSON {
        guard let cached = results[id] else {
            throw APIError(
                .notFound, "result_expired",
                "no explanation '\(id)': it expired from the cache (\(settings.cacheEntries) kept) or never existed; POST /api/explain again")
        }
        return try await light.run {
            let facts = self.facts
            let start = ContinuousClock.now
            let maps = try await offload { try ExplainPipeline.render(cached, image: nil, parameters: parameters, facts: facts) }
            return response(
                id: id, cached, maps: maps, render: parameters,
                timing: TimingJSON(waitMs: 0, networkMs: 0, renderMs: milliseconds((ContinuousClock.now - start).seconds)))
        }
    }

    private func response(id: String, _ c: CachedExplanation, maps: [MapJSON], render: RenderParameters, timing: TimingJSON) -> ExplainResponseJSON {
        ExplainResponseJSON(
            id: id, image: ImageSizeJSON(width: c.width, height: c.height, mapWidth: c.mapWidth, mapHeight: c.mapHeight),
            sample: c.sample, predictions: c.predictions, truth: c.truth, score: c.score.rawValue,
            normalize: render.normalization.rawValue, threshold: render.threshold, maps: maps, skipped: c.skipped, timing: timing)
    }

    /// Parses ground truth given as `ymin,xmin,ymax,xmax` (normalised), several boxes separated by `;`.
    static func parseTruth(_ text: String) throws -> [BoundingBox] {
        try text.split(separator: ";").map { part in
            let v = part.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 4, let b = BoundingBox(v.compactMap { $0 }), b.isValid() else {
                throw APIError.badParameter("truth: '\(part)' is not ymin,xmin,ymax,xmax with 0 <= min <= max <= 1 (normalised)")
            }
            return b
        }
    }

    // MARK: descriptions

    var modelJSON: ModelJSON {
        ModelJSON(
            file: facts.file, layout: facts.layout, classes: facts.classNames.count, classNames: facts.classNames,
            inputSize: facts.inputSize, preprocessing: facts.preprocessing.rawValue, lastFeatureLayer: facts.lastFeatureLayer,
            methods: CAMMethod.allCases.map(\.rawValue), normalizations: MapNormalization.allCases.map(\.rawValue),
            scores: ["logit", "softmax"], colormaps: ColorMap.allCases.map(\.name),
            defaults: .init(
                methods: ["gradcam"], layers: [facts.lastFeatureLayer], normalize: MapNormalization.standard.rawValue,
                score: "logit", threshold: 0.2, colormap: "jet", alpha: 0.5),
            limits: .init(
                maxUploadBytes: settings.maxUploadBytes, maxPixels: settings.maxPixels, maxMapSide: settings.maxMapSide,
                queueDepth: settings.queueDepth, requestTimeoutSeconds: settings.requestTimeout, maxMaps: settings.maxMaps,
                maxPageSize: settings.maxPageSize),
            dataset: dataset.map { .init(name: $0.name, count: $0.count) })
    }

    var layersJSON: LayersJSON { LayersJSON(default: facts.lastFeatureLayer, layers: facts.layers) }

    var healthJSON: HealthJSON {
        let load = worker.load
        return HealthJSON(
            status: "ok", admitted: load.admitted, running: load.running, waiting: load.waiting,
            capacity: worker.capacity, cachedResults: results.count)
    }

    /// Each OpenCV colour map as 256 RGB triples, flattened: what the page colourises with, so
    /// that its colours are the CLI's.
    static let colorMapTables: [String: [UInt8]] = {
        var tables: [String: [UInt8]] = [:]
        guard let ramp = try? Image(width: 256, height: 1, channels: 1, pixels: (0...255).map { UInt8($0) }) else { return [:] }
        for map in ColorMap.allCases {
            if let rgb = try? ramp.applyingColorMap(map) { tables[map.name] = rgb.pixels }
        }
        return tables
    }()
}
