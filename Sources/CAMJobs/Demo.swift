import Foundation
import Torch
import CAMModels
import CAMData
import CAMExplain
import CAMLocalize
import CAMTrain
import CAMReport

/// `camkit demo`: the whole pipeline on the embedded synthetic dataset — generate the data, train
/// the demo network, evaluate CAM and Grad-CAM at three layers on the test split, write the
/// report. Data and model are cached, so a rerun only evaluates (and the evaluation itself
/// resumes where it stopped).
public enum Demo {
    /// The embedded default: 8 classes of textured shapes on cluttered backgrounds, 128 px.
    public static let datasetSpec = "synthetic:seed=0,classes=8,train=4000,test=800,size=128"
    /// The methods and layers the demo evaluates (the tutorial's CAM vs Grad-CAM at three layers).
    public static let methods: [CAMMethod] = [.cam, .gradCAM]
    public static let layers = ["layer4", "layer3", "layer2"]

    /// The demo network's recipe (reaches ~98% test accuracy in 10 epochs on 2 cores).
    public static var trainingConfig: TrainingConfig {
        var c = TrainingConfig()
        c.epochs = 10
        c.batchSize = 32
        c.learningRate = 0.05
        c.momentum = 0.9
        c.weightDecay = 5e-4
        c.schedule = .cosine
        c.warmupEpochs = 0.5
        c.imageSize = 128
        c.seed = 0
        return c
    }

    public struct Options: Sendable {
        /// Cached data and model.
        public var cache = URL(fileURLWithPath: ".camkit-cache")
        /// Evaluation and report.
        public var output = URL(fileURLWithPath: "demo-output")
        /// Drop the cache and the output first.
        public var fresh = false
        public var workers = 2
        public init() {}
    }

    /// What the demo measured.
    public struct Summary {
        public let trainingHistory: [EpochRecord]
        public let metrics: [LocalizationMetrics]
        public let reportURL: URL
        public let seconds: Double
    }

    /// Runs the demo; `log` receives progress lines.
    public static func run(_ options: Options, log: (String) -> Void) throws -> Summary {
        let started = Date()
        let fm = FileManager.default
        if options.fresh {
            try? fm.removeItem(at: options.cache)
            try? fm.removeItem(at: options.output)
        }
        try fm.createDirectory(at: options.cache, withIntermediateDirectories: true)
        let spec = "\(datasetSpec),cache=\(options.cache.appendingPathComponent("data").path)"

        // 1. Data (rendered once into the cache).
        log("data: \(datasetSpec)")
        let testSpec = try DatasetSpec.parse(spec + ":test")
        let testSet = try testSpec.open()
        _ = try DatasetSpec.parse(spec + ":train").open()

        // 2. Model: reuse, resume or train.
        let modelDir = options.cache.appendingPathComponent("model")
        let best = modelDir.appendingPathComponent("best.safetensors")
        let history = try trainIfNeeded(spec: spec, modelDir: modelDir, workers: options.workers, log: log)

        // 3. Evaluation: one forward + one backward per batch for every method and layer.
        let loaded = try ModelLoader.load(best)
        var evaluation = EvaluationOptions(methods: methods, layers: layers, sweep: try SweepConfiguration.standard(.camkit))
        evaluation.workers = options.workers
        // The box threshold is calibrated on training images (never the test split): CAM at the
        // last layer's MaxBoxAcc threshold on the first 200 training samples.
        var calibration = evaluation
        calibration.limit = 200
        calibration.methods = [.cam]
        calibration.layers = [layers[0]]
        let calibrated = try LocalizationEvaluation.run(
            dataset: DatasetSpec.parse(spec + ":train").open(), datasetSpec: spec + ":train", source: .model(LoadedModelBox(loaded)),
            options: calibration, output: options.output.appendingPathComponent("calibration"))
        let threshold = calibrated.metrics.first?.maxBoxAcc.threshold ?? 0.2
        evaluation.rule = BoxRule(threshold: .fractionOfMax(threshold))
        log(String(format: "box threshold: %.3f of the map's maximum (calibrated on 200 training images)", threshold))
        let evalDir = options.output.appendingPathComponent("evaluation")
        log("evaluate: \(methods.map(\.rawValue).joined(separator: ", ")) at \(layers.joined(separator: ", ")) on \(testSet.count) test images")
        let report = try LocalizationEvaluation.run(
            dataset: testSet, datasetSpec: spec + ":test", source: .model(LoadedModelBox(loaded)),
            options: evaluation, output: evalDir)

        // 4. Report.
        var reportOptions = ReportOptions()
        reportOptions.title = "CAMKit demo: CAM and Grad-CAM on the synthetic localization set"
        reportOptions.trainingDirectory = modelDir
        reportOptions.outputDirectory = options.output.appendingPathComponent("report")
        let written = try Report.write(evaluation: evalDir, options: reportOptions, model: loaded, dataset: testSet)
        for warning in written.warnings { log("report note: \(warning)") }
        let reportURL = written.index
        return Summary(
            trainingHistory: history, metrics: report.metrics, reportURL: reportURL,
            seconds: Date().timeIntervalSince(started))
    }

    /// Trains the demo network into `modelDir` unless a finished run is there; resumes an interrupted one.
    static func trainIfNeeded(spec: String, modelDir: URL, workers: Int, log: (String) -> Void) throws -> [EpochRecord] {
        let historyURL = modelDir.appendingPathComponent("history.json")
        let config = trainingConfig
        if let data = try? Data(contentsOf: historyURL),
            let history = try? JSONDecoder().decode([EpochRecord].self, from: data),
            history.count >= config.epochs,
            FileManager.default.fileExists(atPath: modelDir.appendingPathComponent("best.safetensors").path)
        {
            log("model: cached \(modelDir.path) (test accuracy \(String(format: "%.3f", history.last?.validationTop1 ?? 0)))")
            return history
        }
        let settings = TrainingRun.Settings(
            dataset: spec, validationDataset: nil, arch: "small", pretrained: nil,
            preprocessing: .seed, config: config, outputDirectory: modelDir.path)
        let resumable =
            FileManager.default.fileExists(atPath: modelDir.appendingPathComponent("run.json").path)
            && FileManager.default.fileExists(atPath: modelDir.appendingPathComponent("checkpoint.safetensors").path)
        log(
            resumable
                ? "model: resuming the interrupted training in \(modelDir.path)"
                : "model: training the demo network (small ResNet, \(config.epochs) epochs)")
        let run = try TrainingRun(resumeDirectory: resumable ? modelDir : nil, fresh: settings)
        try run.execute(workers: workers, checkpointEvery: 0, shouldStop: { false })
        let data = try Data(contentsOf: historyURL)
        return try JSONDecoder().decode([EpochRecord].self, from: data)
    }

    /// The summary table printed at the end: one row per method × layer plus the baselines.
    public static func table(_ metrics: [LocalizationMetrics]) -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%6.1f", $0) } ?? "     -" }
        var lines = [
            "method    layer     mean IoU  GT-known loc  top-1 loc  MaxBoxAccV2",
            "--------  --------  --------  ------------  ---------  -----------"
        ]
        for m in metrics {
            let method = (m.method ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0)
            let layer = (m.layer ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append(
                "\(method)  \(layer)  \(String(format: "%8.3f", m.meanIoU))  \(pct(m.gtKnownLoc))%       \(pct(m.top1Loc))%    \(pct(m.maxBoxAccV2))%"
            )
        }
        if let baselines = metrics.first?.baselines {
            for b in baselines {
                let name = b.name.padding(toLength: 18, withPad: " ", startingAt: 0)
                lines.append(
                    "\(name)  \(String(format: "%8.3f", b.meanIoU))  \(pct(b.accuracy.count > 1 ? b.accuracy[1] : nil))%       \(pct(nil))     \(pct(b.accuracyMean))%"
                )
            }
        }
        return lines.joined(separator: "\n")
    }
}
