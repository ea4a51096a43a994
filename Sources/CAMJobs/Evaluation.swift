import Foundation
import Torch
import CAMCore
import CAMImaging
import CAMFormats
import CAMModels
import CAMData
import CAMExplain
import CAMLocalize
import CAMFaithfulness

/// Settings of a dataset evaluation (`camkit evaluate`).
public struct EvaluationOptions: Sendable {
    public var methods: [CAMMethod]
    public var layers: [String]
    /// The fixed rule behind mean IoU, GT-known, top-1 and top-5 loc.
    public var rule: BoxRule = .camkit
    public var iouMode: IoUMode = .hull
    public var sweep: SweepConfiguration
    /// How raw maps are scaled before the `camkit` protocol boxes them (`wsolevaluation` always
    /// upsamples bicubically and min-max normalises, like its `CAMComputer`).
    public var normalization: MapNormalization = .tutorial
    public var score: ScoreKind = .logit
    public var batchSize = 16
    public var workers = 2
    /// Evaluate only the first `limit` samples of the dataset.
    public var limit: Int?
    /// Delete an existing `results.sqlite` instead of resuming it.
    public var overwrite = false
    /// Show a progress line (count, rate, ETA) when standard error is a terminal.
    public var progress = true
    /// Also score every map for faithfulness (maps from a model only): rendered as `camkit
    /// faithfulness` renders them (ReLU, min-max, bilinear to the input size), each the map of the
    /// sample's ground-truth class.
    public var faithfulness: FaithfulnessSettings?
    /// How the dataset's JPEGs are decoded; nil: as the dataset decodes them (`Dataset.jpegDecoder`:
    /// `tf` for tfds, `accurate` otherwise).
    public var jpegDecoder: JPEGDecoder?
    /// Evaluate only this shard's block of the samples (`camkit merge` joins the shards' folders).
    public var shard: Shard?

    public init(methods: [CAMMethod], layers: [String], sweep: SweepConfiguration) {
        self.methods = methods
        self.layers = layers
        self.sweep = sweep
    }
}

/// Where maps come from.
public enum EvaluationSource: Sendable {
    /// Computed by a model: one forward and one backward per batch serve every method and layer.
    case model(LoadedModelBox)
    /// `.npy` score maps made elsewhere, named by sample id (`<id>.npy`, as wsolevaluation saves
    /// them) or file stem.
    case maps(URL)
}

/// A `LoadedModel` handed to the evaluation (the model is used from one thread at a time).
public final class LoadedModelBox: @unchecked Sendable {
    public let loaded: LoadedModel
    public init(_ loaded: LoadedModel) { self.loaded = loaded }
}

/// The outcome of `LocalizationEvaluation.run`.
public struct EvaluationReport: Sendable {
    public var metrics: [LocalizationMetrics]
    /// With `faithfulness`: the means per method × layer × metric over every stored sample.
    public var faithfulness: [FaithfulnessSummaryRow]
    /// Samples evaluated by this run, and those found done in the store.
    public var evaluated: Int
    public var resumed: Int
    public var results: URL
    public var metricsJSON: URL
    public var metricsCSV: URL
}

/// The dataset evaluation behind `camkit evaluate`: scores every sample's maps, stores each
/// sample as it is done (`ResultStore`, resumable after any interruption), then writes the
/// summary (`metrics.json`, `metrics.csv`, atomically).
public enum LocalizationEvaluation {
    /// The label of maps read from files (`method`, `layer` columns).
    public static let mapsMethod = ResultStore.mapsMethod, mapsLayer = ResultStore.mapsLayer

    public static func run(
        dataset given: any Dataset, datasetSpec: String, source: EvaluationSource,
        options: EvaluationOptions, output: URL
    ) throws -> EvaluationReport {
        let dataset = given.decodingJPEG(with: options.jpegDecoder)
        let scorer = try MapScorer(rule: options.rule, iouMode: options.iouMode, sweep: options.sweep)
        guard options.batchSize > 0 else { throw CAMError("evaluate", "the batch size must be > 0") }
        let combos: [(String, String)]
        switch source {
        case .model(let box):
            guard !options.methods.isEmpty, !options.layers.isEmpty else {
                throw CAMError("evaluate", "give at least one method and one layer")
            }
            let plan = try MapPlan(methods: options.methods, layers: options.layers, for: box.loaded.model)
            combos = plan.pairs.map { ($0.method.rawValue, $0.layer) }
        case .maps(let dir):
            if options.faithfulness != nil {
                throw CAMError("evaluate", "faithfulness metrics need a model (they read its scores), not maps from files", kind: .badInput)
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
                throw CAMError("score maps", "no such folder", path: dir.path, kind: .notFound)
            }
            combos = [(mapsMethod, mapsLayer)]
        }
        if case .model(let box) = source, dataset.classNames.count > box.loaded.model.classes {
            throw CAMError(
                "evaluate",
                "the dataset '\(dataset.name)' has \(dataset.classNames.count) classes but the model \(box.loaded.source.lastPathComponent) has \(box.loaded.model.classes)"
            )
        }
        let total = Swift.min(dataset.count, options.limit ?? dataset.count)
        guard total > 0 else { throw CAMError("evaluate", "the dataset '\(dataset.name)' has no sample to evaluate") }

        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let lock = try FolderLock(output, for: "evaluate")
        defer { withExtendedLifetime(lock) {} }
        let dbURL = output.appendingPathComponent("results.sqlite")
        if options.overwrite {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: dbURL.path + suffix)
            }
        }
        let store = try ResultStore(url: dbURL)
        let config = try settingsJSON(
            datasetSpec: datasetSpec, dataset: dataset, total: total, source: source, options: options,
            combos: combos)
        let done = try store.doneSampleIndices()
        if let stored = try store.setting("config"), !done.isEmpty {
            guard sameRun(stored: stored, now: config) else {
                throw CAMError(
                    "evaluate",
                    "it holds a run with other settings (\(difference(stored, config))); use another --out, or --overwrite to start again",
                    path: dbURL.path)
            }
        } else {
            try store.setSetting("config", config)
        }
        let context = SummaryContext(
            dataset: datasetSpec, datasetName: dataset.name, classNames: dataset.classNames, sweep: options.sweep,
            boxRule: ruleLabel(options), iou: options.iouMode,
            model: {
                if case .model(let b) = source { return b.loaded.source.path }; return nil
            }(),
            maps: {
                if case .maps(let d) = source { return d.path }; return nil
            }(),
            combos: combos.map { [$0.0, $0.1] }, faithfulness: options.faithfulness, jpegDecoder: dataset.jpegDecoder)
        try store.setSetting(SummaryContext.key, context.json())
        let selected = options.shard?.range(of: total, batch: options.batchSize) ?? 0..<total
        if let shard = options.shard, selected.isEmpty {
            throw CAMError(
                "evaluate",
                "shard \(shard) is empty: \(total) samples make \((total + options.batchSize - 1) / options.batchSize) batches of \(options.batchSize); use at most that many shards"
            )
        }
        let remaining = selected.filter { !done.contains($0) }
        let line = ProgressLine(total: remaining.count, label: "evaluate")
        let showProgress = options.progress && line.isTerminal
        if showProgress && !done.isEmpty {
            line.log("resuming \(dbURL.path): \(done.count) of \(selected.count) samples already done")
        }
        var evaluated = 0
        func stored(_ records: [SampleRecord]) throws {
            try store.write(records)
            evaluated += records.count
            if showProgress { line.update(evaluated, units: "images") }
        }
        if !remaining.isEmpty {
            switch source {
            case .model(let box):
                try runModel(box.loaded, dataset: dataset, indices: remaining, scorer: scorer, options: options, store: stored)
            case .maps(let dir):
                try runMaps(dir, dataset: dataset, indices: remaining, scorer: scorer, batchSize: options.batchSize, store: stored)
            }
        }
        if showProgress { line.finish() }

        let (metrics, faithfulness, jsonURL, csvURL) = try summarize(store: store, context: context, samples: selected.count, output: output)
        return EvaluationReport(
            metrics: metrics, faithfulness: faithfulness, evaluated: evaluated, resumed: done.count, results: dbURL,
            metricsJSON: jsonURL, metricsCSV: csvURL)
    }

    /// The summary of a store: metrics per method × layer and faithfulness means, from every stored
    /// sample (so a resumed or merged run sums each sample exactly once), written as `metrics.json`
    /// and `metrics.csv` (atomically).
    static func summarize(store: ResultStore, context: SummaryContext, samples: Int, output: URL) throws -> (
        [LocalizationMetrics], [FaithfulnessSummaryRow], URL, URL
    ) {
        var metrics: [LocalizationMetrics] = []
        for combo in context.combos {
            let (method, layer) = (combo[0], combo[1])
            var acc = MetricsAccumulator(configuration: context.sweep, classNames: context.classNames)
            for e in try store.evaluations(method: method, layer: layer, configuration: context.sweep) { try acc.add(e) }
            metrics.append(try acc.metrics(method: method, layer: layer, boxRule: context.boxRule))
        }
        var faithfulness: [FaithfulnessSummaryRow] = []
        if let settings = context.faithfulness {
            let entries = try context.combos.flatMap { combo in
                try store.faithfulness(method: combo[0], layer: combo[1]).map { (combo[0], combo[1], $0.classIndex, $0.metrics) }
            }
            faithfulness = FaithfulnessSummary.rows(entries, settings: settings)
        }
        let jsonURL = output.appendingPathComponent("metrics.json"), csvURL = output.appendingPathComponent("metrics.csv")
        var summary = MetricsFile(
            dataset: context.dataset, datasetName: context.datasetName, samples: samples,
            evaluationProtocol: context.sweep.evaluationProtocol, boxRule: context.boxRule, iou: context.iou,
            thresholdCount: context.sweep.thresholds.count, model: context.model, maps: context.maps, results: metrics)
        summary.faithfulnessSettings = context.faithfulness
        summary.jpegDecoder = context.jpegDecoder.rawValue
        summary.faithfulness = context.faithfulness == nil ? nil : faithfulness
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(summary), to: jsonURL)
        try AtomicFile.write(csv(metrics), to: csvURL)
        return (metrics, faithfulness, jsonURL, csvURL)
    }

    static func ruleLabel(_ options: EvaluationOptions) -> String {
        options.sweep.evaluationProtocol == .wsolevaluation
            ? "wsolevaluation:\({ if case .fractionOfMax(let t) = options.rule.threshold { return "threshold=\(t)" }; return "" }())"
            : options.rule.description
    }

    // MARK: model

    static func runModel(
        _ loaded: LoadedModel, dataset: any Dataset, indices: [Int], scorer: MapScorer,
        options: EvaluationOptions, store: ([SampleRecord]) throws -> Void
    ) throws {
        let info = loaded.info
        let size = info.inputSize
        let preprocessing = info.preprocessing
        let subset = IndexedSubset(base: dataset, indices: indices)
        let loader = try DataLoader(
            dataset: subset,
            options: .init(
                batchSize: options.batchSize, imageSize: size, shuffle: false,
                workers: options.workers, prefetch: 2, resize: false),
            preprocess: { pixels, s in try preprocessing.apply(pixels: pixels, size: s) })
        let explainer = Explainer(model: loaded.model)
        let faithfulness = try options.faithfulness.map { try FaithfulnessScorer(model: loaded.model, settings: $0) }
        let iterator = loader.batches(epoch: 0)
        defer { iterator.cancel() }
        let protocolKind = scorer.configuration.evaluationProtocol
        while let batch = try iterator.nextBatch() {
            let labels = try batch.labels.scalars(as: Int64.self).map(Int.init)
            let explanation = try explainer.explain(
                batch.images, methods: options.methods, layers: options.layers,
                targets: .perImage(labels), score: options.score)
            let k = Swift.min(5, explanation.probabilities.shape[1])
            let top = try explanation.probabilities.topk(k, dim: 1)
            let topIndices = try top.indices.scalars(as: Int64.self).map(Int.init)
            let topValues = try top.values.scalars(as: Float.self).map(Double.init)
            let samples = try batch.indices.map { try dataset.sample(at: indices[$0]) }
            // Maps to score, prepared on this thread (tensors), scored in parallel.
            var jobs: [(local: Int, method: String, layer: String, classIndex: Int, map: ScoreMap)] = []
            for m in explanation.maps {
                let map: ScoreMap
                switch protocolKind {
                case .camkit:
                    map = ScoreMap(
                        try FloatMap(tensor: MapRendering(normalization: options.normalization).imageMap(m.raw, height: size, width: size)))
                case .wsolevaluation:
                    // wsolevaluation's CAMComputer: cv2.resize(cam, INTER_CUBIC), then normalize_scoremap.
                    let up = try FloatMap(tensor: m.raw).resized(width: size, height: size, interpolation: .cubic)
                    map = try ScoreMap(width: size, height: size, values: WSOLProtocol.normalizeScoremap(up.values.map(Double.init)))
                }
                jobs.append((m.image, m.method.rawValue, m.layer, m.classIndex, map))
            }
            let scored = try scoreAll(jobs.map { ($0.map, samples[$0.local], nil) }, scorer: scorer)
            var faithful: [MapFaithfulness]?
            if let faithfulness {
                let maps = try explanation.maps.map { m in
                    let s = samples[m.image]
                    return try FaithfulnessMap(m, size: size, source: "sample '\(s.id)' \(m.method.rawValue)/\(m.layer)", boxes: s.boxes)
                }
                faithful = try faithfulness.score(batch.images, maps: maps)
            }
            var records: [SampleRecord] = []
            for (local, s) in samples.enumerated() {
                let maps = jobs.indices.filter { jobs[$0].local == local }.map {
                    MapRecord(
                        method: jobs[$0].method, layer: jobs[$0].layer, classIndex: jobs[$0].classIndex, scored: scored[$0],
                        faithfulness: faithful?[$0])
                }
                records.append(
                    SampleRecord(
                        index: indices[batch.indices[local]], id: s.id, label: s.label, className: s.className, width: s.width,
                        height: s.height, truth: s.boxes, predictions: Array(topIndices[(local * k)..<((local + 1) * k)]),
                        probabilities: Array(topValues[(local * k)..<((local + 1) * k)]), mapFile: nil, maps: maps))
            }
            try store(records)
        }
    }

    // MARK: maps from files

    /// The files a sample's map may be in: `<id>.npy` (wsolevaluation's name), `<id without
    /// extension>.npy`, `<file stem>.npy`.
    public static func mapCandidates(for id: String, in dir: URL) -> [URL] {
        let idURL = URL(fileURLWithPath: id)
        var names = [id + ".npy"]
        let noExt = (id as NSString).deletingPathExtension + ".npy"
        if !names.contains(noExt) { names.append(noExt) }
        let stem = idURL.deletingPathExtension().lastPathComponent + ".npy"
        if !names.contains(stem) { names.append(stem) }
        return names.map { dir.appendingPathComponent($0) }
    }

    static func runMaps(
        _ dir: URL, dataset: any Dataset, indices: [Int], scorer: MapScorer, batchSize: Int,
        store: ([SampleRecord]) throws -> Void
    ) throws {
        for start in stride(from: 0, to: indices.count, by: batchSize) {
            let chunk = Array(indices[start..<Swift.min(indices.count, start + batchSize)])
            var inputs: [(ScoreMap, Sample, String?)] = []
            for i in chunk {
                let s = try dataset.sample(at: i)
                let candidates = mapCandidates(for: s.id, in: dir)
                guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                    throw CAMError(
                        "score maps", "no map for sample '\(s.id)': looked for \(candidates.map(\.lastPathComponent).joined(separator: ", "))",
                        path: dir.path)
                }
                let array: NPYArray
                do { array = try NPY.read(contentsOf: file) } catch {
                    throw CAMError("score map", "cannot read: \(error)", path: file.path, kind: .unprocessable)
                }
                inputs.append((try ScoreMap(npy: array, source: file.path), s, file.path))
            }
            let scored = try scoreAll(inputs, scorer: scorer)
            let records = zip(chunk, zip(inputs, scored)).map { i, pair in
                let ((_, s, file), result) = pair
                return SampleRecord(
                    index: i, id: s.id, label: s.label, className: s.className, width: s.width, height: s.height,
                    truth: s.boxes, predictions: nil, probabilities: nil, mapFile: file,
                    maps: [MapRecord(method: mapsMethod, layer: mapsLayer, classIndex: s.label, scored: result)])
            }
            try store(records)
        }
    }

    /// Scores maps on all cores; the first error (in input order) is thrown.
    static func scoreAll(_ inputs: [(ScoreMap, Sample, String?)], scorer: MapScorer) throws -> [ScoredMap] {
        final class Slots: @unchecked Sendable {
            var results: [Result<ScoredMap, Error>?]
            let lock = NSLock()
            init(_ n: Int) { results = Array(repeating: nil, count: n) }
        }
        let slots = Slots(inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            let (map, s, file) = inputs[i]
            let truth = GroundTruth(boxes: s.boxes, imageWidth: s.width, imageHeight: s.height)
            let r = Result { try scorer.score(map, truth: truth, source: file ?? "sample '\(s.id)'") }
            slots.lock.lock()
            slots.results[i] = r
            slots.lock.unlock()
        }
        return try slots.results.map { try $0!.get() }
    }

    // MARK: settings and summary files

    static func settingsJSON(
        datasetSpec: String, dataset: any Dataset, total: Int, source: EvaluationSource,
        options: EvaluationOptions, combos: [(String, String)]
    ) throws -> String {
        var s: [String: String] = [
            "dataset": datasetSpec, "dataset_count": "\(dataset.count)", "samples": "\(total)",
            "protocol": options.sweep.evaluationProtocol.rawValue,
            "thresholds": "\(options.sweep.thresholds.count):\(options.sweep.thresholds.first!):\(options.sweep.thresholds.last!)",
            "iou_thresholds": options.sweep.iouThresholds.map { "\($0)" }.joined(separator: ","),
            "box_acc_iou": "\(options.sweep.boxAccIoU)", "rule": ruleLabel(options), "iou": options.iouMode.rawValue,
            "maps": combos.map { "\($0.0)/\($0.1)" }.joined(separator: ","), jpegKey: dataset.jpegDecoder.rawValue
        ]
        switch source {
        case .model(let b):
            s["model"] = b.loaded.source.path
            s["model_sha256"] = try FileDigest.sha256(of: b.loaded.source)
            s["normalize"] = options.normalization.rawValue
            s["score"] = options.score.rawValue
            if let f = options.faithfulness {
                s["faithfulness"] =
                    "\(f.metrics.map(\.rawValue).joined(separator: ",")) percentiles=\(f.percentiles.map(FaithfulnessSettings.key).joined(separator: ",")) "
                    + "noise=\(f.imputationNoise) seed=\(f.seed) steps=\(f.steps) tolerance=\(f.pointingTolerance)"
            }
        case .maps(let d):
            s["map_folder"] = d.standardizedFileURL.path
        }
        if let shard = options.shard {
            s[shardKey] = shard.description
            s[shardBatchKey] = "\(options.batchSize)"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(s), as: UTF8.self)
    }

    /// The settings key of a shard's `I/N`: the only one in which the shards of a run differ.
    static let shardKey = "shard"
    /// The batch size the shards split the samples by (`Shard.range`).
    static let shardBatchKey = "shard_batch"

    /// Settings keys added after runs were first stored: a stored run without one still resumes.
    static let laterKeys: Set<String> = ["model_sha256"]

    /// Whether a stored run's settings JSON and this run's describe the same run.
    static func sameRun(stored: String, now: String) -> Bool {
        guard let s = try? JSONDecoder().decode([String: String].self, from: Data(stored.utf8)),
            let n = try? JSONDecoder().decode([String: String].self, from: Data(now.utf8))
        else { return stored == now }
        return Set(s.keys).union(n.keys).allSatisfy { agrees($0, stored: s[$0], now: n[$0]) }
    }

    /// Whether a setting's stored and current values describe the same run: equal, or absent from
    /// a run stored before the key existed (for the JPEG decoder: only when it is `accurate`, what
    /// such a run used).
    static func agrees(_ key: String, stored: String?, now: String?) -> Bool {
        stored == now || (stored == nil && (laterKeys.contains(key) || (key == jpegKey && now == "accurate")))
    }

    /// The settings key of the JPEG decoder: a run stored before it existed decoded `accurate`,
    /// so it resumes under `accurate` only.
    static let jpegKey = "jpeg_decoder"

    /// The settings that differ between two settings JSONs, for the error message.
    static func difference(_ a: String, _ b: String) -> String {
        let da = (try? JSONDecoder().decode([String: String].self, from: Data(a.utf8))) ?? [:]
        let db = (try? JSONDecoder().decode([String: String].self, from: Data(b.utf8))) ?? [:]
        let keys = Set(da.keys).union(db.keys).sorted().filter { !agrees($0, stored: da[$0], now: db[$0]) }
        return keys.map { key in
            let change = "stored \(da[key] ?? "-"), now \(db[key] ?? "-")"
            return key == "model_sha256" ? "the model file's content changed since the run began (SHA-256 \(change))" : "\(key): \(change)"
        }.joined(separator: "; ")
    }

    /// `metrics.csv`: one row for each method and layer over the whole dataset (`scope=all`),
    /// then one per class, then the baselines.
    public static func csv(_ metrics: [LocalizationMetrics]) -> String {
        let ious = metrics.first?.maxBoxAccV2PerIoU.map(\.iou) ?? []
        var header = [
            "method", "layer", "scope", "name", "samples", "mean_iou", "gt_known_loc", "top1_loc", "top5_loc",
            "top1_cls", "top5_cls", "top1_loc_at_best_threshold", "max_box_acc", "best_threshold", "max_box_acc_v2"
        ]
        header += ious.map { "box_acc_v2_iou\(Int(($0 * 100).rounded()))" }
        func f(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        func q(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var rows = [header.joined(separator: ",")]
        for m in metrics {
            let ml = [q(m.method ?? ""), q(m.layer ?? "")]
            rows.append(
                (ml + [
                    "all", "all", "\(m.samples)", f(m.meanIoU), f(m.gtKnownLoc), f(m.top1Loc), f(m.top5Loc), f(m.top1Cls),
                    f(m.top5Cls), f(m.top1LocAtBestThreshold), f(m.maxBoxAcc.accuracy), f(m.maxBoxAcc.threshold),
                    f(m.maxBoxAccV2)
                ] + m.maxBoxAccV2PerIoU.map { f($0.accuracy) }).joined(separator: ","))
            for c in m.perClass {
                rows.append(
                    (ml + [
                        "class", q(c.name), "\(c.samples)", f(c.meanIoU), f(c.gtKnownLoc), f(c.top1Loc), f(c.top5Loc), "", "",
                        "", f(c.boxAccAtBestThreshold), f(m.maxBoxAcc.threshold), f(c.boxAccV2AtBestThresholds)
                    ]
                        + ious.map { _ in "" }).joined(separator: ","))
            }
            for b in m.baselines {
                let at50 = zip(ious, b.accuracy).first { $0.0 == m.maxBoxAcc.iou }?.1
                rows.append(
                    (ml + [
                        "baseline", q(b.name), "\(m.samples)", f(b.meanIoU), f(at50), "", "", "", "", "", f(at50), "",
                        f(b.accuracyMean)
                    ] + b.accuracy.map { f($0) }).joined(separator: ","))
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }
}

/// What a stored run needs to be summarised again without its dataset or options (`camkit merge`):
/// the `summary` setting of `results.sqlite`, JSON.
struct SummaryContext: Codable, Sendable, Equatable {
    static let key = "summary"
    var dataset: String
    var datasetName: String
    var classNames: [String]
    var sweep: SweepConfiguration
    var boxRule: String
    var iou: IoUMode
    var model: String?
    var maps: String?
    /// [method, layer] of every map kind, in the run's order.
    var combos: [[String]]
    var faithfulness: FaithfulnessSettings?
    var jpegDecoder: JPEGDecoder

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// The samples of `base` at `indices`, in that order.
struct IndexedSubset: Dataset {
    let base: any Dataset
    let indices: [Int]
    var name: String { base.name }
    var count: Int { indices.count }
    var classNames: [String] { base.classNames }
    func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        return try base.sample(at: indices[index])
    }
}
