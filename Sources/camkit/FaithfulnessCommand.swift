import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit faithfulness`: how faithful maps are to the model (drop/increase, ROAD, deletion/insertion).
struct FaithfulnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faithfulness",
        abstract: "Score class activation maps by perturbing the images with them; write faithfulness.json and faithfulness.csv.",
        discussion:
            "Metrics: \(FaithfulnessMetric.allCases.map(\.rawValue).joined(separator: " ")) (docs/PROTOCOLS.md). Every metric reads the softmax probability of the map's class. Maps are computed like `camkit explain` (ReLU, min-max, bilinear to the model's input size), or read with --maps DIR from <image stem>.<method>.<layer>.<class>.npy (or .map.npy) at the input's or the image's size."
    )

    @OptionGroup var request: MapRequestOptions

    @Option(
        name: .customLong("metric"), parsing: .upToNextOption,
        help: "One or more metrics (default: all but the pointing games, which need a dataset's boxes: camkit evaluate --faithfulness).")
    var metricNames: [String] = FaithfulnessMetric.allCases.filter { !$0.needsBoxes }.map(\.rawValue)

    @OptionGroup var faithfulness: FaithfulnessSettingsOptions

    @Option(help: "Perturbed images per forward pass, 1...1024.")
    var batchSize: Int = 32

    @Option(help: "Read the maps from this folder instead of computing them.")
    var maps: String?

    @OptionGroup var output: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            let settings = try faithfulness.settings(metrics: metricNames, batchSize: batchSize)
            let loaded = try request.model.load()
            var options = FaithfulnessOptions(
                methods: try request.selection.methods(), layers: request.selection.layers(for: loaded.model), settings: settings)
            options.classes = try request.classes.indices()
            options.score = request.scoring.score
            options.jpegDecoder = request.jpeg.jpegDecoder
            options.mapsDirectory = maps.map { URL(fileURLWithPath: $0) }
            let report = try FaithfulnessJob.run(
                images: request.imageURLs, model: loaded, options: options, outputDirectory: output.directory)
            MapRequestOptions.noteSkipped(report.skipped)
            for row in report.summary {
                print("\(row.method) \(row.layer) \(row.metric): \(String(format: "%.4f", row.mean)) (\(row.maps) maps)")
            }
            print("wrote \(output.directory.appendingPathComponent("faithfulness.json").path)")
        }
    }
}
