import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Synchronization
import Torch

/// Set by Ctrl-C; the trainer checks it after every step.
let stopRequested = Atomic<Bool>(false)

/// `camkit train`: fine-tune a GAP classifier with checkpoints and exact resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train (fine-tune) a GAP + linear classifier. Defaults reproduce the tutorial's recipe.",
        discussion: DatasetSpec.usage
    )

    @Option(help: "Training data (a dataset spec; the 'train' split unless the spec names one).")
    var dataset: String?

    @Option(help: "Validation data (default: the same source's 'test' split).")
    var valDataset: String?

    @Option(
        help: "ResNet architecture (\(ResNetSpec.knownArchitectures.joined(separator: ", "))); a whole-model --pretrained brings its own.")
    var arch: String = "keras-resnet50"

    @Option(
        help: ArgumentHelp(
            "Starting point: any whole Keras model (.h5, .keras) or CAMKit checkpoint, trained as it is (its head resized, or GAP + Dense added when it has none); or backbone weights for --arch: Keras ImageNet notop .h5, torchvision .safetensors (head excluded).",
            valueName: "file"))
    var pretrained: String?

    @Option(help: "Classes of the head (default: the dataset's; must equal them).")
    var classes: Int?

    @Option var epochs: Int = 15
    @Option var batchSize: Int = 16
    @Option(name: .customLong("lr")) var learningRate: Double = 0.01
    @Option var optimizer: OptimizerKind = .sgd
    @Option var momentum: Double = 0
    @Option var weightDecay: Double = 0
    @Option var schedule: ScheduleKind = .constant
    @Option var warmupEpochs: Double = 0
    @Option var labelSmoothing: Double = 0
    @Flag(help: "Train the head only.") var freezeBackbone = false
    @Option var imageSize: Int = 224
    @Flag(help: "Random flips and resized crops.") var augment = false
    @Option var seed: UInt64 = 0
    @Option(help: "Input preprocessing (default: seed, the tutorial's /255).") var preprocess: Preprocessing = .seed
    @Option(help: "Data loading threads.") var workers: Int = 2
    @Option(help: "Also checkpoint every N steps within an epoch (0: epoch ends only).") var checkpointEvery: Int = 0

    @Option(help: "Output directory (checkpoint.safetensors, best.safetensors, history.csv/json).")
    var out: String?

    @Option(help: "Continue the run in this directory after a crash or Ctrl-C.")
    var resume: String?

    @Flag(help: "Start again in an --out folder that holds a run (its run.json, checkpoints and history are removed).")
    var overwrite = false

    @OptionGroup var runtime: RuntimeOptions

    /// Test-only fault injection for the resume tests: SIGKILL this process after N steps (a real kill -9).
    @Option(help: .hidden) var faultKillAfterSteps: Int?

    func validate() throws {
        if resume == nil && (dataset == nil || out == nil) { throw ValidationError("give --dataset and --out, or --resume DIR") }
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1, got \(classes)") }
        try ThreadLimits.checkWorkers(workers)
        try ThreadLimits.check(batchSize, option: "--batch-size", in: 1...ThreadLimits.maxBatchSize)
        try ThreadLimits.check(epochs, option: "--epochs", in: 1...100_000)
        try ThreadLimits.check(imageSize, option: "--image-size", in: 16...Limits.maxInputSize)
        try ThreadLimits.check(checkpointEvery, option: "--checkpoint-every", in: 0...Int(Int32.max))
    }

    func run() throws {
        do {
            try runtime.apply()
            let run = try TrainingRun(
                resumeDirectory: resume.map { URL(fileURLWithPath: $0) }, fresh: freshSettings(), overwrite: overwrite)
            signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
            // A parent may have started us with SIGINT blocked (the mask is inherited): unblock it.
            var interrupt = sigset_t()
            sigemptyset(&interrupt)
            sigaddset(&interrupt, SIGINT)
            sigprocmask(SIG_UNBLOCK, &interrupt, nil)
            let killAfter = faultKillAfterSteps
            var steps = 0
            try run.execute(
                workers: workers, checkpointEvery: checkpointEvery,
                shouldStop: {
                    steps += 1
                    if steps == killAfter { kill(getpid(), SIGKILL) }
                    return stopRequested.load(ordering: .relaxed)
                })
        } catch let error as TrainingInterrupted {
            print(error.description)
            throw ExitCode(130)
        } catch {
            throw fail(error)
        }
    }

    private func freshSettings() throws -> TrainingRun.Settings? {
        guard let dataset, let out else { return nil }
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.optimizer = optimizer
        config.momentum = momentum
        config.weightDecay = weightDecay
        config.schedule = schedule
        config.warmupEpochs = warmupEpochs
        config.labelSmoothing = labelSmoothing
        config.freezeBackbone = freezeBackbone
        config.imageSize = imageSize
        config.augment = augment
        config.seed = seed
        // Stored absolute, so that `--resume DIR` from any directory trains on the same files.
        func absolute(_ spec: String) throws -> String { try DatasetSpec.parse(spec).absolutized().description }
        return TrainingRun.Settings(
            dataset: try absolute(dataset), validationDataset: try valDataset.map(absolute), arch: arch,
            pretrained: pretrained.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, classes: classes,
            preprocessing: preprocess, config: config, outputDirectory: URL(fileURLWithPath: out).standardizedFileURL.path)
    }
}

extension OptimizerKind: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
