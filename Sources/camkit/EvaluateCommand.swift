import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit evaluate`: localisation metrics over a dataset, resumable.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score class activation maps against a dataset's boxes: MaxBoxAcc, MaxBoxAccV2, GT-known / top-1 / top-5 loc.",
        discussion: """
            Maps come from a model (--model; one forward and one backward per batch serve every method and layer) or \
            from .npy files made elsewhere (--maps DIR, named <sample id>.npy as wsolevaluation saves them, or by file stem). \
            Per-image results go to DIR/results.sqlite as they are produced: an interrupted run resumes where it stopped \
            when run again with the same settings. The summary goes to DIR/metrics.json and DIR/metrics.csv. \
            --protocol wsolevaluation reproduces wsolevaluation's numbers on the same maps (docs/PROTOCOLS.md).
            """
    )

    @Option(help: "Dataset spec, e.g. wsol:DIR, tfds:PATH:test, synthetic:...:test.")
    var dataset: String

    enum ModelHelp: OptionalModelHelp {
        static var model: ArgumentHelp { "Model file (CAMKit checkpoint, torchvision safetensors, Keras .h5)." }
    }

    @OptionGroup var modelOptions: OptionalModelOptions<ModelHelp>

    @Option(help: "Folder of .npy score maps to evaluate instead of a model.")
    var maps: String?

    @Option(name: .customLong("method"), parsing: .upToNextOption, help: "One or more methods.")
    var methods: [String] = ["cam"]

    @Option(
        name: .customLong("layer"), parsing: .upToNextOption,
        help: "One or more layers, or auto (the default): the one feeding global average pooling, else the last spatial layer.")
    var layers: [String] = []

    @Option(help: "Fixed box rule for mean IoU and GT-known / top-1 / top-5 loc (camkit, tutorial, cam-paper, gradcam-paper[:key=value,...]).")
    var boxRule: String = "camkit"

    @Option(name: .customLong("protocol"), help: "camkit or wsolevaluation.")
    var evaluationProtocol: EvaluationProtocol = .camkit

    @Option(help: "IoU of rotated boxes: hull or polygon.")
    var iou: IoUMode = .hull

    @Option(help: "Spacing of the map thresholds of the sweep (np.arange(0, 1, interval)).")
    var thresholdInterval: Double = 0.001

    @Option(help: "Map normalisation before boxing (camkit protocol): tutorial, standard, minMax.")
    var normalize: MapNormalization = .tutorial

    @OptionGroup var scoring: ScoreOptions

    @OptionGroup var jpeg: JPEGDecoderOptions

    @Option(help: "Images per batch (and, with --faithfulness, perturbed images per forward pass).")
    var batchSize: Int = 16

    @Option(
        name: .customLong("faithfulness"), parsing: .upToNextOption,
        help: """
            Also score every map for faithfulness with these metrics (\(FaithfulnessMetric.allCases.map(\.rawValue).joined(separator: " "))), \
            stored per image and averaged in metrics.json; needs --model.
            """)
    var faithfulnessMetrics: [String] = []

    @OptionGroup(title: "Faithfulness settings (with --faithfulness)") var faithfulness: FaithfulnessSettingsOptions

    @Option(help: "Image decoding threads.")
    var workers: Int = 2

    @Option(help: "Evaluate only the first N samples.")
    var limit: Int?

    @Flag(help: "Discard DIR/results.sqlite from an earlier run instead of resuming it.")
    var overwrite = false

    @Option(
        help: """
            Evaluate only shard I of N (0 <= I < N: of the S samples' ceil(S/B) batches of --batch-size B, the batches \
            I*ceil(S/B)/N ..< (I+1)*ceil(S/B)/N), into its own --out; `camkit merge` joins the shards. auto: Slurm's SLURM_ARRAY_TASK_ID/COUNT; auto/N: Kubernetes' JOB_COMPLETION_INDEX of N.
            """)
    var shard: String?

    @OptionGroup var output: OutputOptions

    @Flag(
        name: .customLong("report"), inversion: .prefixedNo,
        help: "Also write the HTML report DIR/report/index.html (see `camkit report` for its options).")
    var htmlReport = true

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try ThreadLimits.checkWorkers(workers)
        try ThreadLimits.check(batchSize, option: "--batch-size", in: 1...ThreadLimits.maxBatchSize)
        try ThreadLimits.check(limit, option: "--limit", in: 1...Int(Int32.max))
    }

    func run() throws {
        try runtime.run {
            guard (modelOptions.model == nil) != (maps == nil) else {
                throw ValidationError("give either --model FILE or --maps DIR")
            }
            if let limit, limit <= 0 { throw ValidationError("--limit must be > 0") }
            let spec = try DatasetSpec.parse(dataset)
            let data = try spec.open()
            let sweep = try SweepConfiguration.standard(evaluationProtocol, interval: thresholdInterval)
            let source: EvaluationSource
            var layerNames = layers
            if let loaded = try modelOptions.load() {
                layerNames = loaded.model.resolvingLayers(layerNames)
                source = .model(LoadedModelBox(loaded))
            } else {
                source = .maps(URL(fileURLWithPath: maps!))
            }
            var options = EvaluationOptions(methods: try methods.map(CAMMethod.init(name:)), layers: layerNames, sweep: sweep)
            options.rule = try BoxRule(parsing: boxRule)
            options.iouMode = iou
            options.normalization = normalize
            options.score = scoring.score
            options.batchSize = batchSize
            options.workers = workers
            options.limit = limit
            options.overwrite = overwrite
            options.jpegDecoder = jpeg.jpegDecoder
            options.shard = try shard.map { try Shard(parsing: $0, environment: ProcessInfo.processInfo.environment) }
            if !faithfulnessMetrics.isEmpty {
                guard modelOptions.model != nil else { throw ValidationError("--faithfulness needs --model: its metrics read the model's scores") }
                options.faithfulness = try faithfulness.settings(
                    metrics: faithfulnessMetrics, batchSize: min(batchSize, FaithfulnessSettings.batchSizeRange.upperBound))
            }
            let report = try LocalizationEvaluation.run(
                dataset: data, datasetSpec: spec.description, source: source, options: options,
                output: output.directory)
            Self.printSummary(report)
            if htmlReport {
                var loaded: LoadedModel?
                if case .model(let box) = source { loaded = box.loaded }
                try Self.writeReport(output: output.directory, model: loaded, dataset: data)
            }
        }
    }

    /// The metrics of each method × layer, the faithfulness means and the files written, on stdout.
    static func printSummary(_ report: EvaluationReport) {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
        for m in report.metrics {
            let name = m.method == LocalizationEvaluation.mapsMethod ? "maps" : "\(m.method ?? "") \(m.layer ?? "")"
            print(
                "\(name): MaxBoxAcc \(pct(m.maxBoxAcc.accuracy)) (threshold \(m.maxBoxAcc.threshold)), "
                    + "MaxBoxAccV2 \(pct(m.maxBoxAccV2)) ("
                    + m.maxBoxAccV2PerIoU.map { "IoU \($0.iou): \(pct($0.accuracy))" }.joined(separator: ", ")
                    + "), GT-known loc \(pct(m.gtKnownLoc)), top-1 loc \(pct(m.top1Loc)), top-5 loc \(pct(m.top5Loc)), "
                    + "top-1 cls \(pct(m.top1Cls)), mean IoU \(String(format: "%.4f", m.meanIoU)) [\(m.samples) samples]")
        }
        for row in report.faithfulness {
            print("\(row.method) \(row.layer) \(row.metric): \(String(format: "%.4f", row.mean)) (\(row.maps) maps)")
        }
        print(
            "evaluated \(report.evaluated) samples (\(report.resumed) already done); wrote \(report.metricsJSON.path), \(report.metricsCSV.path); per image: \(report.results.path)"
        )
    }

    /// The HTML report after a finished evaluation (or merge): its path, or an error saying the
    /// metrics are written and how to make the report again.
    static func writeReport(output: URL, model: LoadedModel?, dataset: any Dataset) throws {
        switch Report.writeAfterEvaluation(output: output, model: model, dataset: dataset) {
        case .success(let written):
            for w in written.warnings { FileHandle.standardError.write(Data("camkit: note: \(w)\n".utf8)) }
            print("report: \(written.index.path)")
        case .failure(let error):
            // The evaluation itself is complete and stored; the exit status still says the
            // report asked for is missing, so scripts do not publish a stale one.
            throw CAMError(
                "report",
                "the evaluation finished (metrics.json and results.sqlite are written) but its HTML report failed: \(error); `camkit report \(output.path)` makes it again",
                kind: .internal)
        }
    }
}
