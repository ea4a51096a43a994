import Foundation
import Torch
import CAMCore
import CAMImaging
import CAMFormats
import CAMModels
import CAMExplain
import CAMFaithfulness

/// Settings of `camkit faithfulness`.
public struct FaithfulnessOptions: Sendable {
    public var methods: [CAMMethod]
    public var layers: [String]
    /// nil: the predicted class.
    public var classes: [Int]?
    /// What the computed maps explain (not what the metrics read: that is always the softmax score).
    public var score: ScoreKind = .logit
    /// How computed maps reach the input size (then clamped to [0, 1]).
    public var rendering = MapRendering()
    public var settings: FaithfulnessSettings
    /// Score `.npy` maps from this folder instead of computing them.
    public var mapsDirectory: URL?
    /// Images per explain pass (the perturbed copies go in batches of `settings.batchSize`).
    public var imagesPerBatch = 8
    public var progress = true
    /// How JPEG images are decoded; nil: the model's preprocessing decides (`defaultJPEGDecoder`).
    public var jpegDecoder: JPEGDecoder?

    public init(methods: [CAMMethod], layers: [String], settings: FaithfulnessSettings) {
        self.methods = methods
        self.layers = layers
        self.settings = settings
    }
}

/// A metric's value in `faithfulness.json`: a number, or one number per percentile (ROAD MoRF/LeRF).
public enum FaithfulnessValue: Codable, Sendable, Equatable {
    case scalar(Float)
    case perPercentile([String: Float])

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .scalar(v): try c.encode(v)
        case let .perPercentile(v): try c.encode(v)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Float.self) { self = .scalar(v) } else { self = .perPercentile(try c.decode([String: Float].self)) }
    }
}

/// `faithfulness.json`: per-map values, means per method × layer × metric, and the settings.
public struct FaithfulnessReport: Codable, Sendable {
    public struct MapEntry: Codable, Sendable {
        /// The image's output stem (`<stem>`, or `<stem>-<position>` where stems repeat).
        public var image: String
        public var method: String
        public var layer: String
        public var classIndex: Int
        /// The softmax score of the class on the unperturbed image.
        public var score: Float
        public var metrics: [String: FaithfulnessValue]

        enum CodingKeys: String, CodingKey {
            case image, method, layer, score, metrics
            case classIndex = "class"
        }
    }

    public struct Settings: Codable, Sendable {
        public var model: String
        public var images: [String]
        public var methods: [String]
        public var layers: [String]
        /// `auto` or the class indices.
        public var classes: [String]
        /// What computed maps explain (`logit`/`softmax`); nil with `maps`.
        public var mapScore: String?
        /// The folder maps were read from; nil when they were computed.
        public var maps: String?
        public var metrics: [String]
        public var percentiles: [Double]
        public var imputationNoise: Double
        public var seed: UInt64
        public var steps: Int
        public var batchSize: Int
        /// What every metric reads: the softmax probability of the map's class.
        public var target = "softmax"
        public var inputSize: Int
        /// How the JPEGs among the images were decoded (`tf` or `accurate`).
        public var jpegDecoder: String?

        enum CodingKeys: String, CodingKey {
            case model, images, methods, layers, classes, maps, metrics, percentiles, seed, steps, target
            case jpegDecoder = "jpeg_decoder"
            case mapScore = "map_score"
            case imputationNoise = "imputation_noise"
            case batchSize = "batch_size"
            case inputSize = "input_size"
        }
    }

    public var maps: [MapEntry]
    public var summary: [FaithfulnessSummaryRow]
    public var settings: Settings
    /// Method/layer pairs asked for and not computed (CAM away from the last layer).
    public var skipped: [SkippedPair]
}

/// Scores maps of image files for faithfulness and writes `faithfulness.json` and `.csv`.
public enum FaithfulnessJob {
    /// Makes (or reads) the maps of every image × method × layer × class and scores them; writes
    /// nothing until everything is scored (then both files, each atomically).
    public static func run(images: [URL], model loaded: LoadedModel, options: FaithfulnessOptions, outputDirectory: URL) throws
        -> FaithfulnessReport
    {
        let scorer = try FaithfulnessScorer(model: loaded.model, settings: options.settings)
        if let metric = options.settings.metrics.first(where: \.needsBoxes), let first = images.first {
            throw FaithfulnessError.noBoxes(source: first.lastPathComponent, metric: metric.rawValue)
        }
        guard !options.methods.isEmpty, !options.layers.isEmpty else {
            throw ExplainError.invalidRequest("at least one method and one layer are needed")
        }
        let jpeg = options.jpegDecoder ?? loaded.info.preprocessing.defaultJPEGDecoder
        let decoded = try images.map { try ImageHeader.decodeBounded(contentsOf: $0, jpeg: jpeg) }
        let names = ExplainJob.outputNames(images).map { $0.deletingPathExtension().lastPathComponent }
        let explainer = Explainer(model: loaded.model)
        let info = loaded.info
        let size = info.inputSize
        let line =
            options.progress
            ? ProgressLine(total: images.count, label: "faithfulness") : ProgressLine(total: images.count, label: "faithfulness", isTerminal: false)
        var entries: [FaithfulnessReport.MapEntry] = []
        var summaryEntries: [FaithfulnessSummary.Entry] = []
        var skipped: [SkippedPair] = []
        let batch = max(1, options.imagesPerBatch)
        for start in stride(from: 0, to: images.count, by: batch) {
            let range = start..<min(start + batch, images.count)
            let input = try info.batch(decoded[range])
            let targets: TargetSelection = options.classes.map { .classes($0) } ?? .predicted
            var labelled: [(method: String, layer: String, map: FaithfulnessMap)] = []
            if let dir = options.mapsDirectory {
                let probabilities = try withInferenceMode { try Functional.softmax(loaded.model(input), dim: 1) }
                let classes = try explainer.resolveTargets(targets, probabilities: probabilities)
                for (local, index) in range.enumerated() {
                    for method in options.methods {
                        for layer in options.layers {
                            for c in classes[local] {
                                let map = try readMap(
                                    dir: dir, stem: names[index], method: method, layer: layer, classIndex: c,
                                    image: decoded[index], inputSize: size, rendering: options.rendering)
                                labelled.append(
                                    (
                                        method.rawValue, layer,
                                        FaithfulnessMap(
                                            image: local, classIndex: c, height: size, width: size, values: map.values, source: map.source)
                                    ))
                            }
                        }
                    }
                }
            } else {
                let e = try explainer.explain(
                    input, methods: options.methods, layers: options.layers, targets: targets, score: options.score,
                    camOnlyAtLastLayer: true)
                skipped = e.skipped
                for m in e.maps {
                    let name = "\(names[range.lowerBound + m.image]).\(m.method.rawValue).\(m.layer).\(m.classIndex)"
                    labelled.append(
                        (
                            m.method.rawValue, m.layer,
                            try FaithfulnessMap(m, size: size, rendering: options.rendering, source: name)
                        ))
                }
            }
            let results = try scorer.score(input, maps: labelled.map(\.map))
            for (item, result) in zip(labelled, results) {
                entries.append(
                    FaithfulnessReport.MapEntry(
                        image: names[range.lowerBound + item.map.image], method: item.method, layer: item.layer,
                        classIndex: item.map.classIndex, score: result.score, metrics: values(result, settings: options.settings)))
                summaryEntries.append((item.method, item.layer, item.map.classIndex, result))
            }
            line.update(range.upperBound, units: "images")
        }
        line.finish()
        let s = options.settings
        let report = FaithfulnessReport(
            maps: entries, summary: FaithfulnessSummary.rows(summaryEntries, settings: s),
            settings: FaithfulnessReport.Settings(
                model: loaded.source.path, images: images.map(\.path), methods: options.methods.map(\.rawValue), layers: options.layers,
                classes: options.classes.map { $0.map(String.init) } ?? ["auto"],
                mapScore: options.mapsDirectory == nil ? options.score.rawValue : nil, maps: options.mapsDirectory?.path,
                metrics: s.metrics.map(\.rawValue), percentiles: s.percentiles, imputationNoise: s.imputationNoise, seed: s.seed,
                steps: s.steps, batchSize: s.batchSize, inputSize: size, jpegDecoder: jpeg.rawValue),
            skipped: skipped)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(report), to: outputDirectory.appendingPathComponent("faithfulness.json"))
        try AtomicFile.write(csv(report), to: outputDirectory.appendingPathComponent("faithfulness.csv"))
        return report
    }

    /// The JSON values of the metrics asked for.
    static func values(_ r: MapFaithfulness, settings: FaithfulnessSettings) -> [String: FaithfulnessValue] {
        var out: [String: FaithfulnessValue] = [:]
        for metric in settings.metrics {
            switch metric {
            case .roadMoRF, .roadLeRF:
                guard let list = metric == .roadMoRF ? r.roadMoRF : r.roadLeRF else { continue }
                out[metric.rawValue] = .perPercentile(
                    Dictionary(uniqueKeysWithValues: zip(settings.percentiles.map(FaithfulnessSettings.key), list)))
            default:
                if let v = r.value(metric) { out[metric.rawValue] = .scalar(v) }
            }
        }
        return out
    }

    /// `image,method,layer,class,score,metric,percentile,value`, one row per value.
    static func csv(_ report: FaithfulnessReport) -> String {
        var lines = ["image,method,layer,class,score,metric,percentile,value"]
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" }) ? "\"\(s.replacingOccurrences(of: "\"", with: "\"\""))\"" : s
        }
        let percentiles = report.settings.percentiles.map(FaithfulnessSettings.key)
        for m in report.maps {
            let head = [field(m.image), m.method, field(m.layer), String(m.classIndex), String(m.score)].joined(separator: ",")
            for metric in report.settings.metrics {
                switch m.metrics[metric] {
                case let .scalar(v)?: lines.append("\(head),\(metric),,\(v)")
                case let .perPercentile(d)?:
                    for p in percentiles { if let v = d[p] { lines.append("\(head),\(metric),\(p),\(v)") } }
                case nil: break
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A map read from `--maps`: `<stem>.<method>.<layer>.<class>.npy`, else `.map.npy`; at the
    /// input size as it is, at the image's own size resized to the input (bilinear, like the image).
    static func readMap(
        dir: URL, stem: String, method: CAMMethod, layer: String, classIndex: Int, image: Image, inputSize: Int, rendering: MapRendering
    ) throws -> (values: [Float], source: String) {
        let base = "\(stem).\(method.rawValue).\(layer).\(classIndex)"
        let candidates = [dir.appendingPathComponent(base + ".npy"), dir.appendingPathComponent(base + ".map.npy")]
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw CAMError(
                "faithfulness maps", "no map for '\(base)': looked for \(candidates.map(\.lastPathComponent).joined(separator: ", "))",
                path: dir.path, kind: .notFound)
        }
        let map: FloatMap
        do { map = try FloatMap(npy: NPY.read(contentsOf: file)) } catch {
            throw CAMError("faithfulness map", "cannot read: \(error)", path: file.path, kind: .unprocessable)
        }
        guard map.values.allSatisfy(\.isFinite) else { throw FaithfulnessError.nonFiniteMap(source: file.path) }
        if map.width == inputSize && map.height == inputSize { return (map.values, file.path) }
        guard map.width == image.width && map.height == image.height else {
            throw CAMError(
                "faithfulness map",
                "is \(map.height)x\(map.width): give the model's input size \(inputSize)x\(inputSize) or the image's \(image.height)x\(image.width)",
                path: file.path, kind: .unprocessable, code: "map_size")
        }
        let tensor = try Tensor(map.values, shape: [map.height, map.width])
        let resized = try MapPostprocessing.upsample(tensor, to: (inputSize, inputSize), mode: rendering.upsampling)
        return (try resized.floats(), file.path)
    }
}
