import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit report`: the HTML report of an evaluation folder.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of a `camkit evaluate` folder: summary table, charts, training curves, gallery, settings.",
        discussion: """
            Writes DIR/report/index.html and DIR/report/img/*.png (or --out): one folder that opens offline, no scripts. \
            Panels in the gallery re-run the model on the best, median and worst images of --gallery-method/--gallery-layer; \
            the model and dataset are those in DIR/metrics.json unless --model/--dataset say otherwise. Training curves come \
            from --training DIR/history.json, or the model's folder when it has one.
            """
    )

    @Argument(help: "The --out folder of `camkit evaluate` (holds metrics.json and results.sqlite).")
    var directory: String

    @Option(help: "A `camkit train --out` folder with history.json (default: the model's folder, when it has one).")
    var training: String?

    @Option(help: "Report folder (default: DIR/report). It is replaced whole.")
    var out: String?

    @Option(help: "Page title.")
    var title: String?

    @Option(help: "Method whose IoUs rank the gallery (default: the first evaluated).")
    var galleryMethod: String?

    @Option(help: "Layer whose IoUs rank the gallery (default: the first evaluated).")
    var galleryLayer: String?

    @Option(help: "Images per gallery group (best, median, worst); 0 for no gallery.")
    var galleryCount: Int = 3

    @Option(parsing: .upToNextOption, help: "Panel rows, top to bottom: heatmap, overlay, boxes.")
    var rows: [PanelRow] = [.overlay, .boxes]

    @Option(help: "Height of each panel tile in pixels.")
    var tileHeight: Int = 160

    @Option(help: "Colour map of the heatmaps: jet (the tutorial's), viridis, inferno, turbo, or any OpenCV map.")
    var colormap: String = "jet"

    @Option(help: "Heatmap weight in the overlays (the photo gets 1 - alpha).")
    var alpha: Double = 0.5

    enum ModelHelp: OptionalModelHelp {
        static var model: ArgumentHelp { "Model file for the panels (default: the one in metrics.json)." }
    }

    @OptionGroup var modelOptions: OptionalModelOptions<ModelHelp>

    @Option(help: "Dataset spec for the gallery's pictures (default: the one in metrics.json).")
    var dataset: String?

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            try ThreadLimits.check(galleryCount, option: "--gallery-count", in: 0...1000)
            guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be in 0...1") }
            try ThreadLimits.check(tileHeight, option: "--tile-height", in: 16...4096)
            guard let map = ColorMap(name: colormap) else {
                throw ValidationError("unknown colour map '\(colormap)'; known: \(ColorMap.allCases.map(\.name).joined(separator: ", "))")
            }
            var options = ReportOptions()
            options.title = title
            options.trainingDirectory = training.map { URL(fileURLWithPath: $0) }
            options.outputDirectory = out.map { URL(fileURLWithPath: $0) }
            options.galleryMethod = galleryMethod
            options.galleryLayer = galleryLayer
            options.galleryCount = galleryCount
            options.rows = rows
            options.tileHeight = tileHeight
            options.style = OverlayStyle(colorMap: map, alpha: alpha)
            let loaded = try modelOptions.load()
            let data = try dataset.map { try DatasetSpec.parse($0).open() }
            let report = try Report.write(evaluation: URL(fileURLWithPath: directory), options: options, model: loaded, dataset: data)
            for w in report.warnings {
                FileHandle.standardError.write(Data("camkit: note: \(w)\n".utf8))
            }
            print("wrote \(report.index.path) (\(report.images.count) panels)")
        }
    }
}

extension PanelRow: ExpressibleByArgument {}
