import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit localize`: boxes from class activation maps, scored against optional ground truth.
struct LocalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localize",
        abstract: "Turn class activation maps into boxes; print them with their IoU and draw them over the images.",
        discussion: """
            Box rules (--box-rule NAME[:key=value,...]): camkit (largest component above 20 % of the max, the default), \
            tutorial (the tutorial's get_bbox exactly), cam-paper (20 %), gradcam-paper (15 %); keys threshold, absolute, \
            regions, select, shape, quantize, clip (see docs/PROTOCOLS.md). Writes <stem>.<method>.<layer>.<class>.boxes.png \
            (ground truth green, prediction red) and localize.json.
            """
    )

    @Argument(help: "Image files (JPEG, PNG, WebP, BMP).")
    var images: [String]

    @OptionGroup var model: ModelOptions

    @OptionGroup var selection: MapSelectionOptions

    @Option(
        name: .customLong("gt"),
        help: "Ground truth of an image, normalised ymin,xmin,ymax,xmax (several boxes: separate with ';'). Give it once per image, in order.")
    var truths: [String] = []

    @OptionGroup var classes: TargetClassOptions

    @Option(help: "Box rule.")
    var boxRule: String = "camkit"

    @Option(help: "IoU of rotated boxes: hull (their axis-aligned hull, the tutorial) or polygon.")
    var iou: IoUMode = .hull

    @Option(help: "Map normalisation before boxing: tutorial (divide by max), standard (ReLU, min-max), minMax.")
    var normalize: MapNormalization = .tutorial

    @OptionGroup var scoring: ScoreOptions

    @OptionGroup var jpeg: JPEGDecoderOptions

    @OptionGroup var output: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            guard truths.isEmpty || truths.count == images.count else {
                throw ValidationError("--gt is given \(truths.count) times for \(images.count) images; give it once per image, in order")
            }
            let parsedTruths = try truths.isEmpty ? nil : truths.map(LocalizeJob.parseTruth)
            let loaded = try model.load()
            var options = LocalizeOptions(methods: try selection.methods(), layers: selection.layers(for: loaded.model))
            options.rule = try BoxRule(parsing: boxRule)
            options.iouMode = iou
            options.normalization = normalize
            options.score = scoring.score
            options.jpegDecoder = jpeg.jpegDecoder
            options.classes = try classes.indices()
            let report = try LocalizeJob.run(
                images: images.map { URL(fileURLWithPath: $0) }, truths: parsedTruths, model: loaded,
                options: options, outputDirectory: output.directory)
            for image in report.images {
                for m in image.maps {
                    var line =
                        "\(image.image) \(m.method) \(m.layer) class \(m.classIndex) (\(m.className), p=\(String(format: "%.3f", m.probability))): "
                    if let reason = m.noBox {
                        line += "no box (\(reason))"
                    } else {
                        line += m.boxes.map { b in "[" + b.normalized.values.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]" }
                            .joined(separator: " ")
                    }
                    if let iou = m.bestIoU { line += " IoU \(String(format: "%.4f", iou))" }
                    print(line)
                }
            }
            print("wrote \(output.directory.appendingPathComponent("localize.json").path)")
        }
    }
}

extension IoUMode: ExpressibleByArgument {}
extension EvaluationProtocol: ExpressibleByArgument {}
