import Foundation
import Torch
import CAMCore
import CAMImaging
import CAMFormats
import CAMModels
import CAMExplain

/// Settings of an explain run over image files (`camkit explain`).
public struct ExplainOptions: Sendable {
    public var methods: [CAMMethod]
    public var layers: [String]
    /// nil: the predicted class.
    public var classes: [Int]?
    public var score: ScoreKind = .logit
    public var normalization: MapNormalization = .standard
    public var colorMap: ColorMap = .jet
    /// Weight of the heatmap in the overlay (the tutorial blends 0.5 / 0.5).
    public var alpha = 0.5
    public var upsampling: InterpolationMode = .bilinear
    /// Also write each raw map (feature resolution h×w, before ReLU and normalisation) as float32
    /// `<stem>.<method>.<layer>.<class>.npy`.
    public var writeRaw = false
    /// Also write each map at image size (H×W), normalised by `normalization` and upsampled, not
    /// clamped (with `.tutorial`, the tutorial's `cam_image`) as float32 `<stem>.<method>.<layer>.<class>.map.npy`.
    public var writeImageMaps = false
    /// Images per forward pass.
    public var batchSize = 8
    /// How JPEG images are decoded; nil: the model's preprocessing decides (`defaultJPEGDecoder`).
    public var jpegDecoder: JPEGDecoder?
    /// How raw maps become image-size maps (`normalization`, `upsampling`).
    public var rendering: MapRendering { MapRendering(normalization: normalization, upsampling: upsampling) }

    public init(methods: [CAMMethod], layers: [String]) {
        self.methods = methods
        self.layers = layers
    }
}

/// `explain.json`: what was explained and which files were written.
public struct ExplainReport: Codable, Sendable {
    public typealias ClassScore = CAMExplain.ClassScore
    public struct ImageEntry: Codable, Sendable {
        public let image: String
        public let width: Int
        public let height: Int
        public let top5: [ClassScore]
        public let files: [String]
    }
    public let model: String
    public let methods: [String]
    public let layers: [String]
    /// A method/layer pair that was asked for and not computed, and why (CAM at a layer other than
    /// the one feeding global average pooling).
    public typealias Skipped = SkippedPair
    public let score: String
    public let normalize: String
    public let images: [ImageEntry]
    /// How the JPEGs among the images were decoded (`tf` or `accurate`).
    public let jpegDecoder: String?
    /// Pairs left out; empty when every method ran at every layer.
    public let skipped: [Skipped]
}

/// Runs the explainer over image files and writes overlays, raw maps and `explain.json`.
public enum ExplainJob {
    /// Output file name: `<image stem>.<method>.<layer>.<class>.<ext>`.
    public static func fileName(image: URL, method: CAMMethod, layer: String, classIndex: Int, ext: String) -> String {
        "\(image.deletingPathExtension().lastPathComponent).\(method.rawValue).\(layer).\(classIndex).\(ext)"
    }

    /// The names outputs are made from, one per image: the image itself, or, where two images share
    /// a stem (`a/car.jpg`, `b/car.png`), `<stem>-<position>` so that no output overwrites another.
    public static func outputNames(_ images: [URL]) -> [URL] {
        let stems = images.map { $0.deletingPathExtension().lastPathComponent }
        let uses = Dictionary(stems.map { ($0, 1) }, uniquingKeysWith: +)
        return images.enumerated().map { i, url in
            uses[stems[i]]! > 1 ? url.deletingLastPathComponent().appendingPathComponent("\(stems[i])-\(i).\(url.pathExtension)") : url
        }
    }

    /// Explains every image for every method and layer (CAM only at `lastFeatureLayer`: its other
    /// pairs are listed in `skipped`; CAM with no last layer among `layers` is an error) and writes
    /// per image, method, layer and class an overlay PNG (and the `.npy` maps asked for), then
    /// `explain.json`.
    public static func run(images: [URL], model loaded: LoadedModel, options: ExplainOptions, outputDirectory: URL) throws -> ExplainReport {
        // Decode everything first: a bad image fails the run before anything is written.
        let jpeg = options.jpegDecoder ?? loaded.info.preprocessing.defaultJPEGDecoder
        let decoded = try images.map { try ImageHeader.decodeBounded(contentsOf: $0, jpeg: jpeg) }
        let names = outputNames(images)
        var skipped: [SkippedPair] = []
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let explainer = Explainer(model: loaded.model)
        let info = loaded.info
        var entries: [ExplainReport.ImageEntry] = []
        return try WrittenFiles.takingBack { written in
            for start in stride(from: 0, to: images.count, by: max(1, options.batchSize)) {
                let range = start..<min(start + options.batchSize, images.count)
                let batch = try info.batch(decoded[range])
                let targets: TargetSelection = options.classes.map { .classes($0) } ?? .predicted
                let explanation = try explainer.explain(
                    batch, methods: options.methods, layers: options.layers,
                    targets: targets, score: options.score, camOnlyAtLastLayer: true)
                skipped = explanation.skipped
                for (local, index) in range.enumerated() {
                    let files = try writeMaps(
                        explanation, local: local, image: decoded[index], url: names[index],
                        options: options, to: outputDirectory, written: &written)
                    entries.append(
                        ExplainReport.ImageEntry(
                            image: images[index].path, width: decoded[index].width, height: decoded[index].height,
                            top5: try explanation.topClasses(image: local, names: info.classNames), files: files))
                }
            }
            let report = ExplainReport(
                model: loaded.source.path, methods: options.methods.map(\.rawValue), layers: options.layers,
                score: options.score.rawValue, normalize: options.normalization.rawValue, images: entries,
                jpegDecoder: jpeg.rawValue, skipped: skipped)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(encoder.encode(report), to: outputDirectory.appendingPathComponent("explain.json"))
            return report
        }
    }

    /// A raw map at image size `size` (height, width), not clamped: what `writeImageMaps` saves
    /// (`MapRendering.imageMap`).
    public static func imageMap(_ raw: Tensor, size: (Int, Int), options: ExplainOptions) throws -> Tensor {
        try options.rendering.imageMap(raw, height: size.0, width: size.1)
    }

    /// `imageMap` clamped to [0, 1]: what the overlay colours (`MapRendering.displayMap`).
    public static func displayMap(_ raw: Tensor, size: (Int, Int), options: ExplainOptions) throws -> FloatMap {
        try options.rendering.displayMap(raw, height: size.0, width: size.1)
    }

    /// The heatmap of `map` blended over `image` (the tutorial's `cv2.addWeighted`; `Overlay.blend`).
    public static func overlay(_ map: FloatMap, on image: Image, options: ExplainOptions) throws -> Image {
        try Overlay.blend(map, over: image, style: OverlayStyle(colorMap: options.colorMap, alpha: options.alpha))
    }

    private static func writeMaps(
        _ e: Explanation, local: Int, image: Image, url: URL, options: ExplainOptions, to dir: URL, written: inout WrittenFiles
    ) throws -> [String] {
        var files: [String] = []
        for map in e.maps where map.image == local {
            let full = try options.rendering.imageMap(map.raw, height: image.height, width: image.width)
            let display = try MapRendering.display(full)
            let png = fileName(image: url, method: map.method, layer: map.layer, classIndex: map.classIndex, ext: "png")
            try overlay(display, on: image, options: options).write(to: dir.appendingPathComponent(png), format: .png)
            written.add(dir.appendingPathComponent(png))
            files.append(png)
            if options.writeRaw {
                let npy = fileName(image: url, method: map.method, layer: map.layer, classIndex: map.classIndex, ext: "npy")
                try FloatMap(tensor: map.raw).writeNPY(to: dir.appendingPathComponent(npy))
                written.add(dir.appendingPathComponent(npy))
                files.append(npy)
            }
            if options.writeImageMaps {
                let npy = fileName(image: url, method: map.method, layer: map.layer, classIndex: map.classIndex, ext: "map.npy")
                try FloatMap(tensor: full).writeNPY(to: dir.appendingPathComponent(npy))
                written.add(dir.appendingPathComponent(npy))
                files.append(npy)
            }
        }
        return files
    }
}
