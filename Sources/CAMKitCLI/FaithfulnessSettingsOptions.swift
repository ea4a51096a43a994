import ArgumentParser
import CAMKit

/// The faithfulness metrics' settings (`faithfulness`, `evaluate --faithfulness`): ROAD's
/// percentiles and noise, deletion's steps, the pointing game's tolerance.
public struct FaithfulnessSettingsOptions: ParsableArguments {
    public init() {}

    @Option(parsing: .upToNextOption, help: "ROAD's percentiles of the map, each in (0, 100).")
    public var percentiles: [Double] = FaithfulnessSettings.defaultPercentiles

    @Option(help: "Standard deviation of ROAD's imputation noise (pytorch-grad-cam's default; 0: deterministic).")
    public var imputationNoise: Double = FaithfulnessSettings.defaultImputationNoise

    @Option(help: "Seed of the imputation noise.")
    public var seed: UInt64 = 0

    @Option(help: "Deletion/insertion steps (torchcam's default), 1...1000.")
    public var steps: Int = FaithfulnessSettings.defaultSteps

    @Option(help: "Pointing game tolerance in map pixels (TorchRay's default), 1...10000.")
    public var pointingTolerance: Int = PointingGame.defaultTolerance

    /// The settings for `metrics` with perturbed inputs in batches of `batchSize`, validated.
    public func settings(metrics: [String], batchSize: Int) throws -> FaithfulnessSettings {
        var settings = FaithfulnessSettings(metrics: try metrics.map(FaithfulnessMetric.init(name:)))
        settings.percentiles = percentiles
        settings.imputationNoise = imputationNoise
        settings.seed = seed
        settings.steps = steps
        settings.pointingTolerance = pointingTolerance
        settings.batchSize = batchSize
        try settings.validate()
        return settings
    }
}
