import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit explain`: class activation maps for image files.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Write class activation maps of images as overlays (and float32 maps) with explain.json.",
        discussion:
            "Methods: \(CAMMethod.allCases.map(\.rawValue).joined(separator: " ")). Files: <image stem>.<method>.<layer>.<class>.png (raw maps as .npy with --raw, image-size maps as .map.npy with --maps) and explain.json (top-5 classes with logits and probabilities, files written). CAM exists only at the layer feeding global average pooling: with other layers too, it runs there only and the rest is listed under 'skipped'."
    )

    @OptionGroup var request: MapRequestOptions

    @Option(help: "Map normalisation: tutorial (divide by max) or standard (ReLU, min-max).")
    var normalize: MapNormalization = .standard

    @Option(help: "Colour map of the overlays (jet, viridis, inferno, turbo, ...).")
    var colormap: String = "jet"

    @Option(help: "Heatmap weight in the overlay.")
    var alpha: Double = 0.5

    @Option(help: "Upsampling of maps to the image size: bilinear or bicubic.")
    var upsample: String = "bilinear"

    @Flag(help: "Also write raw maps (feature resolution, before ReLU and normalisation) as float32 <stem>.<method>.<layer>.<class>.npy.")
    var raw = false

    @Flag(help: "Also write the normalised maps at image size (H×W, not clamped) as float32 <stem>.<method>.<layer>.<class>.map.npy.")
    var maps = false

    @OptionGroup var output: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            let loaded = try request.model.load()
            var options = ExplainOptions(methods: try request.selection.methods(), layers: request.selection.layers(for: loaded.model))
            options.classes = try request.classes.indices()
            options.score = request.scoring.score
            options.jpegDecoder = request.jpeg.jpegDecoder
            options.normalization = normalize
            guard let map = ColorMap(name: colormap) else {
                throw ValidationError("unknown colour map '\(colormap)'; known: \(ColorMap.allCases.map(\.name).joined(separator: ", "))")
            }
            options.colorMap = map
            options.alpha = alpha
            switch upsample {
            case "bilinear": options.upsampling = .bilinear
            case "bicubic": options.upsampling = .bicubic
            default: throw ValidationError("--upsample must be bilinear or bicubic")
            }
            options.writeRaw = raw
            options.writeImageMaps = maps
            let report = try ExplainJob.run(
                images: request.imageURLs, model: loaded, options: options,
                outputDirectory: output.directory)
            MapRequestOptions.noteSkipped(report.skipped)
            for entry in report.images {
                let best = entry.top5.first.map { "\($0.name) (class \($0.classIndex), p=\(String(format: "%.3f", $0.probability)))" } ?? "-"
                print("\(entry.image): \(best); \(entry.files.count) files")
            }
            print("wrote \(output.directory.appendingPathComponent("explain.json").path)")
        }
    }
}

extension MapNormalization: ExpressibleByArgument {}
