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

    @Option(name: .customLong("metric"), parsing: .upToNextOption, help: "One or more metrics (default: all).")
    var metricNames: [String] = FaithfulnessMetric.allCases.map(\.rawValue)

    @Option(parsing: .upToNextOption, help: "ROAD's percentiles of the map, each in (0, 100).")
    var percentiles: [Double] = FaithfulnessSettings.defaultPercentiles

    @Option(help: "Standard deviation of ROAD's imputation noise (pytorch-grad-cam's default; 0: deterministic).")
    var imputationNoise: Double = FaithfulnessSettings.defaultImputationNoise

    @Option(help: "Seed of the imputation noise.")
    var seed: UInt64 = 0

    @Option(help: "Deletion/insertion steps (torchcam's default), 1...1000.")
    var steps: Int = FaithfulnessSettings.defaultSteps

    @Option(help: "Perturbed images per forward pass, 1...1024.")
    var batchSize: Int = 32

    @Option(help: "Read the maps from this folder instead of computing them.")
    var maps: String?

    @OptionGroup var output: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            var settings = FaithfulnessSettings(metrics: try metricNames.map(FaithfulnessMetric.init(name:)))
            settings.percentiles = percentiles
            settings.imputationNoise = imputationNoise
            settings.seed = seed
            settings.steps = steps
            settings.batchSize = batchSize
            try settings.validate()
            let loaded = try request.model.load()
            var options = FaithfulnessOptions(
                methods: try request.selection.methods(), layers: request.selection.layers(for: loaded.model), settings: settings)
            options.classes = try request.classes.indices()
            options.score = request.scoring.score
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
