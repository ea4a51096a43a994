import CAMCore
import Foundation
import Mustache
import CAMImaging
import CAMModels
import CAMData
import CAMExplain
import CAMLocalize
import CAMTrain

/// Settings of an HTML report (`camkit report`).
public struct ReportOptions: Sendable {
    /// Page title; nil: "CAMKit localisation report".
    public var title: String?
    /// A `camkit train --out` folder whose `history.json` (and `run.json`) give the training
    /// curves; nil: the model's own folder when it has a `history.json`.
    public var trainingDirectory: URL?
    /// Where the report goes; nil: `DIR/report`. The folder is replaced whole.
    public var outputDirectory: URL?
    /// The method and layer whose IoUs rank the gallery; nil: the first evaluated.
    public var galleryMethod: String?
    public var galleryLayer: String?
    /// Images in each gallery group (best, median, worst); 0: no gallery.
    public var galleryCount = 3
    /// Colours of the gallery's panels.
    public var style = OverlayStyle()
    public var rows: [PanelRow] = [.overlay, .boxes]
    public var tileHeight = 160

    public init() {}
}

/// What `Report.write` wrote.
public struct ReportOutput: Sendable {
    /// `report/index.html`.
    public var index: URL
    public var directory: URL
    /// The panels under `report/img/`.
    public var images: [URL]
    /// What the report could not show and why (also printed at the top of the page).
    public var warnings: [String]
}

/// The HTML report of an evaluation: a summary table per method and layer with the baselines,
/// IoU histograms and BoxAcc-versus-threshold curves (inline SVG), training curves, a gallery of
/// the best, median and worst images with their panels, and the run's settings.
///
/// The result is one folder, `index.html` plus `img/*.png`, that opens offline: no scripts, no
/// external files, responsive CSS. It is built in a temporary folder and renamed into place.
public enum Report {
    /// Writes the report of the evaluation in `evaluation` (a `camkit evaluate --out` folder).
    ///
    /// Panels need the model and the dataset: pass them when they are open (as `evaluate` and
    /// `demo` do); otherwise they are opened from `metrics.json`'s `model` and `dataset`. Without
    /// a model the gallery shows the evaluation's stored boxes over the photos; without the dataset
    /// it lists the images only. Both cases are explained in `ReportOutput.warnings`.
    @discardableResult
    public static func write(
        evaluation: URL, options: ReportOptions = ReportOptions(), model: LoadedModel? = nil,
        dataset: (any Dataset)? = nil
    ) throws -> ReportOutput {
        let run = try EvaluationRun.read(evaluation)
        let output = options.outputDirectory ?? evaluation.appendingPathComponent("report")
        var warnings: [String] = []
        if let problem = run.resultsProblem { warnings.append(problem) }

        let training = try trainingHistory(options: options, run: run, warnings: &warnings)
        let parent = output.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(output.lastPathComponent).\(UUID().uuidString).tmp")
        try FileManager.default.createDirectory(at: staging.appendingPathComponent("img"), withIntermediateDirectories: true)
        do {
            let gallery = try galleryView(
                run: run, options: options, model: model, dataset: dataset, into: staging,
                warnings: &warnings)
            let page = PageView(
                title: options.title ?? "CAMKit localisation report",
                subtitle: subtitle(run.metrics),
                generator: "camkit \(CAMKitVersion.string)",
                created: ISO8601DateFormatter().string(from: Date()),
                hasWarnings: !warnings.isEmpty, warnings: warnings,
                summary: summaryView(run.metrics),
                charts: chartsView(run),
                faithfulness: faithfulnessView(run.metrics),
                training: training.map(trainingView),
                gallery: gallery.view,
                settings: settingsView(run: run, training: training, options: options, galleryCombo: gallery.view?.method))
            let html = try render(page)
            try Data(html.utf8).write(to: staging.appendingPathComponent("index.html"))
            try replace(output, with: staging)
            return ReportOutput(
                index: output.appendingPathComponent("index.html"), directory: output,
                images: gallery.files.map { output.appendingPathComponent("img").appendingPathComponent($0) },
                warnings: warnings)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// The hook `camkit evaluate` calls after `LocalizationEvaluation.run`: writes `DIR/report`
    /// with the evaluation's own model and dataset, and never fails the finished evaluation: a
    /// report that cannot be made comes back as a message.
    public static func writeAfterEvaluation(
        output: URL, model: LoadedModel?, dataset: any Dataset,
        options: ReportOptions = ReportOptions()
    ) -> Result<ReportOutput, Error> {
        Result { try write(evaluation: output, options: options, model: model, dataset: dataset) }
    }

    // MARK: rendering

    static func render(_ page: PageView) throws -> String {
        var library = MustacheLibrary()
        for (name, text) in ReportTemplates.all { try library.register(text, named: name) }
        guard let html = library.render(page, withTemplate: "page") else {
            throw CAMError("report", "the page template is missing", kind: .internal)
        }
        return html
    }

    /// Puts `staging` at `output`, replacing what was there (rename, so a reader never sees half a report).
    static func replace(_ output: URL, with staging: URL) throws {
        let fm = FileManager.default
        var old: URL?
        if fm.fileExists(atPath: output.path) {
            let o = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).old.\(UUID().uuidString)")
            try fm.moveItem(at: output, to: o)
            old = o
        }
        do {
            try fm.moveItem(at: staging, to: output)
        } catch {
            if let old { try? fm.moveItem(at: old, to: output) }
            throw CAMError("report", "cannot move the report into place: \(error)", path: output.path, kind: .internal)
        }
        if let old { try? fm.removeItem(at: old) }
    }

    static func subtitle(_ m: MetricsFile) -> String {
        var parts = ["\(m.datasetName) (\(m.samples) images)"]
        if let model = m.model { parts.append("model \(URL(fileURLWithPath: model).lastPathComponent)") }
        if let maps = m.maps { parts.append("maps from \(maps)") }
        parts.append("\(m.evaluationProtocol.rawValue) protocol")
        return parts.joined(separator: " · ")
    }

    static func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "–" }
    static func iou(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }

    static func comboTitle(_ m: LocalizationMetrics) -> String {
        let method = m.method ?? ResultStore.mapsMethod, layer = m.layer ?? ResultStore.mapsLayer
        if method == ResultStore.mapsMethod { return "maps from files" }
        return "\(CAMMethod.displayName(method)) · \(layer)"
    }

    // MARK: summary table

    static func summaryView(_ m: MetricsFile) -> SummaryView {
        let columns: [(String, Bool)] = [
            ("Method", false), ("Layer", false), ("Mean IoU", true),
            ("GT-known loc", true), ("Top-1 loc", true), ("MaxBoxAcc", true), ("MaxBoxAccV2", true),
            ("Top-1 cls", true)
        ]
        let results = m.results
        // Best value per metric column among the methods (not the baselines).
        func best(_ values: [Double?]) -> Double? { values.compactMap { $0 }.max() }
        let bestIoU = best(results.map(\.meanIoU)), bestGT = best(results.map(\.gtKnownLoc)), bestTop1 = best(results.map(\.top1Loc))
        let bestBox = best(results.map(\.maxBoxAcc.accuracy)), bestV2 = best(results.map(\.maxBoxAccV2))
        func cell(_ text: String, _ value: Double?, _ top: Double?) -> Cell {
            Cell(text: text, numeric: true, best: results.count > 1 && value != nil && value == top)
        }
        var rows: [RowView] = results.map { r in
            let method = r.method ?? ResultStore.mapsMethod
            return RowView(
                kind: "method",
                cells: [
                    Cell(text: method == ResultStore.mapsMethod ? "maps" : CAMMethod.displayName(method), numeric: false, best: false),
                    Cell(text: r.layer ?? "–", numeric: false, best: false),
                    cell(iou(r.meanIoU), r.meanIoU, bestIoU), cell(pct(r.gtKnownLoc), r.gtKnownLoc, bestGT),
                    cell(pct(r.top1Loc), r.top1Loc, bestTop1),
                    cell(String(format: "%.1f @ %.2f", r.maxBoxAcc.accuracy, r.maxBoxAcc.threshold), r.maxBoxAcc.accuracy, bestBox),
                    cell(pct(r.maxBoxAccV2), r.maxBoxAccV2, bestV2), Cell(text: pct(r.top1Cls), numeric: true, best: false)
                ])
        }
        if let first = results.first {
            let ious = first.maxBoxAccV2PerIoU.map(\.iou)
            for b in first.baselines {
                let at = zip(ious, b.accuracy).first { $0.0 == first.maxBoxAcc.iou }?.1
                let name = b.name == "full-image" ? "Full-image box" : b.name == "center-mean-size" ? "Centred box" : b.name
                rows.append(
                    RowView(
                        kind: "baseline",
                        cells: [
                            Cell(text: name, numeric: false, best: false), Cell(text: "baseline", numeric: false, best: false),
                            Cell(text: iou(b.meanIoU), numeric: true, best: false),
                            Cell(text: pct(at), numeric: true, best: false), Cell(text: "–", numeric: true, best: false),
                            Cell(text: pct(at), numeric: true, best: false), Cell(text: pct(b.accuracyMean), numeric: true, best: false),
                            Cell(text: "–", numeric: true, best: false)
                        ]))
            }
        }
        let ious = results.first?.maxBoxAccV2PerIoU.map { String(format: "%g", $0.iou) } ?? []
        return SummaryView(
            hasResults: !results.isEmpty, samples: m.samples,
            boxAccIoU: String(format: "%g", results.first?.maxBoxAcc.iou ?? 0.5),
            iouList: ious.joined(separator: ", "),
            columns: columns.map { Column(name: $0.0, numeric: $0.1) }, rows: rows)
    }

    // MARK: charts

    static func chartsView(_ run: EvaluationRun) -> ChartsView? {
        let results = run.metrics.results
        guard !results.isEmpty else { return nil }
        var comparison: FigureView?
        if results.count > 1 {
            let series = results.map { ChartSeries(name: comboTitle($0), x: $0.thresholds, y: $0.oneBoxCurve) }
            let iou = String(format: "%g", results[0].maxBoxAcc.iou)
            comparison = FigureView(
                id: "chart-boxacc-all", caption: "BoxAcc at IoU \(iou) versus map threshold, all methods",
                svg: SVGChart.lines(
                    series, xRange: 0...1, yRange: 0...100, xLabel: "map threshold (fraction of max)",
                    yLabel: "BoxAcc (%)", markBest: true, label: "BoxAcc at IoU \(iou) versus threshold"),
                note: "The dot on each curve is its MaxBoxAcc.")
        }
        let combos = results.enumerated().map { i, r -> ComboChartsView in
            let title = comboTitle(r)
            let values = run.ious(method: r.method ?? ResultStore.mapsMethod, layer: r.layer ?? ResultStore.mapsLayer)
            var histogram: FigureView?
            if !values.isEmpty {
                let mean = values.reduce(0, +) / Double(values.count)
                histogram = FigureView(
                    id: "chart-iou-\(i)", caption: "IoU of the rule's box per image",
                    svg: SVGChart.histogram(
                        counts: SVGChart.binCounts(values, bins: 10), xLabel: "IoU with the ground truth",
                        marker: r.maxBoxAcc.iou, label: "IoU histogram, \(title)"),
                    note: String(format: "%d images, mean %.3f; the dashed line is IoU %g.", values.count, mean, r.maxBoxAcc.iou))
            }
            // The all-box curves of MaxBoxAccV2, then MaxBoxAcc's one-box curve dashed on top.
            var series: [ChartSeries] = []
            for (k, curve) in r.allBoxCurves.enumerated() where k < r.maxBoxAccV2PerIoU.count {
                series.append(
                    ChartSeries(
                        name: String(format: "all boxes, IoU %g", r.maxBoxAccV2PerIoU[k].iou), x: r.thresholds, y: curve,
                        color: SVGChart.palette[k % 6]))
            }
            series.append(
                ChartSeries(
                    name: String(format: "one box, IoU %g", r.maxBoxAcc.iou), x: r.thresholds, y: r.oneBoxCurve,
                    color: SVGChart.palette[6], dashed: true))
            let curves = FigureView(
                id: "chart-boxacc-\(i)", caption: "BoxAcc versus map threshold",
                svg: SVGChart.lines(
                    series, xRange: 0...1, yRange: 0...100, xLabel: "map threshold (fraction of max)",
                    yLabel: "BoxAcc (%)", markBest: true, label: "BoxAcc versus threshold, \(title)"),
                note: String(
                    format: "MaxBoxAcc %.1f at threshold %.3f; MaxBoxAccV2 %.1f. Dots: each curve's best threshold.",
                    r.maxBoxAcc.accuracy, r.maxBoxAcc.threshold, r.maxBoxAccV2))
            return ComboChartsView(title: title, histogram: histogram, curves: curves)
        }
        return ChartsView(comparison: comparison, combos: combos)
    }

    // MARK: training

    /// A training run's history and settings.
    struct Training {
        var directory: URL
        var history: [EpochRecord]
        var settings: [(String, String)]
    }

    static func trainingHistory(options: ReportOptions, run: EvaluationRun, warnings: inout [String]) throws -> Training? {
        var dir = options.trainingDirectory
        if dir == nil, let model = run.metrics.model {
            let candidate = URL(fileURLWithPath: model).deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("history.json").path) { dir = candidate }
        }
        guard let dir else { return nil }
        let file = dir.appendingPathComponent("history.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            warnings.append("No training curves: \(file.path) does not exist.")
            return nil
        }
        let history: [EpochRecord]
        do {
            history = try JSONDecoder().decode([EpochRecord].self, from: Data(contentsOf: file))
        } catch {
            throw CAMError("report", "cannot read the training history: \(error)", path: file.path, kind: .unprocessable)
        }
        var settings: [(String, String)] = [("folder", dir.path)]
        if let data = try? Data(contentsOf: dir.appendingPathComponent("run.json")),
            let object = try? JSONSerialization.jsonObject(with: data)
        {
            settings += flatten(object, prefix: "")
        }
        if history.isEmpty { warnings.append("No training curves: \(file.path) lists no epoch.") }
        return history.isEmpty ? nil : Training(directory: dir, history: history, settings: settings)
    }

    static func trainingView(_ t: Training) -> TrainingView {
        let epochs = t.history.map { Double($0.epoch) }  // 1-based in history.json
        let loss = SVGChart.lines(
            [
                ChartSeries(name: "train", x: epochs, y: t.history.map(\.trainLoss)),
                ChartSeries(name: "validation", x: epochs, y: t.history.map(\.validationLoss))
            ], xLabel: "epoch", yLabel: "cross-entropy loss", integerX: true, label: "Loss per epoch")
        let accuracy = SVGChart.lines(
            [
                ChartSeries(name: "train top-1", x: epochs, y: t.history.map { $0.trainAccuracy * 100 }),
                ChartSeries(name: "validation top-1", x: epochs, y: t.history.map { $0.validationTop1 * 100 }),
                ChartSeries(name: "validation top-5", x: epochs, y: t.history.map { $0.validationTop5 * 100 }, dashed: true)
            ], yRange: 0...100, xLabel: "epoch", yLabel: "accuracy (%)", integerX: true, label: "Accuracy per epoch")
        let best = t.history.max { $0.validationTop1 < $1.validationTop1 }!
        return TrainingView(
            epochs: t.history.count, source: t.directory.appendingPathComponent("history.json").path,
            bestTop1: String(format: "%.1f %%", best.validationTop1 * 100), bestEpoch: best.epoch,
            loss: FigureView(id: "chart-loss", caption: "Loss", svg: loss, note: ""),
            accuracy: FigureView(id: "chart-accuracy", caption: "Accuracy", svg: accuracy, note: ""))
    }

    /// `key: value` pairs of a JSON object, nested keys joined with dots.
    static func flatten(_ object: Any, prefix: String) -> [(String, String)] {
        if let dict = object as? [String: Any] {
            return dict.keys.sorted().flatMap { flatten(dict[$0]!, prefix: prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        }
        if let array = object as? [Any], !array.contains(where: { $0 is [String: Any] || $0 is [Any] }) {
            return [(prefix, array.map { "\($0)" }.joined(separator: ", "))]
        }
        if object is NSNull { return [(prefix, "null")] }
        if let string = object as? String { return [(prefix, string)] }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        {
            return [(prefix, text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))]
        }
        return [(prefix, "\(object)")]
    }

    // MARK: settings

    static func settingsView(run: EvaluationRun, training: Training?, options: ReportOptions, galleryCombo: String?) -> SettingsView {
        let m = run.metrics
        var evaluation: [(String, String)] = [
            ("folder", run.directory.path), ("dataset", m.dataset), ("dataset name", m.datasetName), ("images", "\(m.samples)"),
            ("protocol", m.evaluationProtocol.rawValue), ("box rule", m.boxRule), ("IoU", m.iou.rawValue),
            ("map thresholds", "\(m.thresholdCount)")
        ]
        if let model = m.model { evaluation.append(("model", model)) }
        if let maps = m.maps { evaluation.append(("maps", maps)) }
        let shown: Set<String> = ["dataset", "samples", "protocol", "rule", "iou", "model"]
        for key in run.settings.keys.sorted() where !shown.contains(key) { evaluation.append((key, run.settings[key]!)) }
        var report: [(String, String)] = [("colour map", options.style.colorMap.name), ("heatmap weight", String(format: "%g", options.style.alpha))]
        if let galleryCombo { report.append(("gallery ranked by", galleryCombo)) }
        var groups = [SettingsGroup(name: "Evaluation", items: evaluation.map { SettingItem(key: $0.0, value: $0.1) })]
        if let training { groups.append(SettingsGroup(name: "Training", items: training.settings.map { SettingItem(key: $0.0, value: $0.1) })) }
        groups.append(SettingsGroup(name: "Report", items: report.map { SettingItem(key: $0.0, value: $0.1) }))
        return SettingsView(groups: groups)
    }

    // MARK: gallery

    /// Picks `count` best, median and worst entries of `values` (indices, each once, best first
    /// within a group): best = highest.
    public static func galleryPicks(_ values: [Double], count: Int) -> (best: [Int], median: [Int], worst: [Int]) {
        guard count > 0, !values.isEmpty else { return ([], [], []) }
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        let n = order.count
        let best = Array(order.prefix(count))
        var used = Set(best)
        let worstRange = Array(order.suffix(Swift.min(count, n)))
        let midStart = Swift.max(0, Swift.min(n - count, n / 2 - count / 2))
        let median = order[midStart..<Swift.min(n, midStart + count)].filter { !used.contains($0) }
        used.formUnion(median)
        let worst = worstRange.filter { !used.contains($0) }
        return (best, median, worst)
    }

    static func galleryView(
        run: EvaluationRun, options: ReportOptions, model: LoadedModel?, dataset: (any Dataset)?,
        into staging: URL, warnings: inout [String]
    ) throws -> (view: GalleryView?, files: [String]) {
        let results = run.metrics.results
        guard options.galleryCount > 0, !results.isEmpty, !run.samples.isEmpty else { return (nil, []) }
        let combos = results.map { ($0.method ?? ResultStore.mapsMethod, $0.layer ?? ResultStore.mapsLayer) }
        let chosen: (String, String)
        if options.galleryMethod != nil || options.galleryLayer != nil {
            guard
                let c = combos.first(where: {
                    (options.galleryMethod == nil || $0.0 == options.galleryMethod)
                        && (options.galleryLayer == nil || $0.1 == options.galleryLayer)
                })
            else {
                throw CAMError(
                    "report",
                    "the gallery's method/layer \(options.galleryMethod ?? "*")/\(options.galleryLayer ?? "*") was not evaluated; evaluated: \(combos.map { "\($0.0)/\($0.1)" }.joined(separator: ", "))"
                )
            }
            chosen = c
        } else {
            chosen = combos[0]
        }
        let key = EvaluationRun.key(method: chosen.0, layer: chosen.1)
        let ranked = run.samples.filter { $0.map(key) != nil }
        let picks = galleryPicks(ranked.map { $0.map(key)!.scored.ruleIoU }, count: options.galleryCount)

        // Sources of pixels and maps.
        var data = dataset
        if data == nil {
            do { data = try DatasetSpec.parse(run.metrics.dataset).open() } catch {
                warnings.append("Gallery without pictures: cannot open the dataset '\(run.metrics.dataset)': \(error)")
            }
        }
        var loaded = model
        if loaded == nil, data != nil, let path = run.metrics.model {
            do { loaded = try ModelLoader.load(URL(fileURLWithPath: path)) } catch {
                warnings.append("Gallery panels show the stored boxes only: cannot open the model '\(path)': \(error)")
            }
        }

        let comboTitleText = chosen.0 == ResultStore.mapsMethod ? "maps from files" : "\(CAMMethod.displayName(chosen.0)) \(chosen.1)"
        var files: [String] = []
        var groups: [GalleryGroup] = []
        for (name, slug, indices) in [("Best", "best", picks.best), ("Median", "median", picks.median), ("Worst", "worst", picks.worst)]
        where !indices.isEmpty {
            let samples = indices.map { ranked[$0] }
            let titles = samples.map { String(format: "%@  |  %@  |  %@ IoU %.3f", $0.id, $0.className, comboTitleText, $0.map(key)!.scored.ruleIoU) }
            let panels = try galleryPanels(
                samples, titles: titles, run: run, combos: combos, model: loaded, dataset: data,
                options: options, warnings: &warnings)
            var items: [GalleryItem] = []
            for (rank, s) in samples.enumerated() {
                let m = s.map(key)!
                var item = GalleryItem(
                    hasImage: false, image: "", alt: "", width: 0, height: 0, iou: String(format: "%.3f", m.scored.ruleIoU),
                    id: s.id, className: s.className, hasPrediction: false, predicted: "")
                if let p = s.predictions?.first {
                    item.hasPrediction = true
                    let name = p == s.label ? s.className : (loaded?.info.classNames[safe: p] ?? data?.classNames[safe: p] ?? "class \(p)")
                    let prob = s.probabilities?.first.map { String(format: " (%.0f %%)", $0 * 100) } ?? ""
                    item.predicted = name + prob
                }
                if let panel = panels[rank] {
                    let file = "\(slug)-\(rank + 1)-\(safeName(s.id)).png"
                    try panel.write(to: staging.appendingPathComponent("img").appendingPathComponent(file))
                    files.append(file)
                    item.hasImage = true
                    item.image = "img/\(file)"
                    item.alt = "\(s.id): photo and maps, IoU \(item.iou)"
                    item.width = panel.image.width
                    item.height = panel.image.height
                }
                items.append(item)
            }
            groups.append(GalleryGroup(name: name, items: items))
        }
        let rowsText = options.rows.map { $0 == .heatmap ? "heatmaps" : $0 == .overlay ? "heatmaps over the photo" : "boxes" }
        return (
            GalleryView(
                method: comboTitleText, hasPanels: !files.isEmpty, rowsText: "rows: " + rowsText.joined(separator: ", then "),
                groups: groups), files
        )
    }

    /// Panels of `samples` (nil where there is no picture): the model's maps with the stored boxes
    /// and IoUs, or the stored boxes alone without a model.
    static func galleryPanels(
        _ samples: [SampleRecord], titles: [String], run: EvaluationRun, combos: [(String, String)], model: LoadedModel?,
        dataset: (any Dataset)?, options: ReportOptions, warnings: inout [String]
    ) throws -> [Panel?] {
        guard let dataset else { return samples.map { _ in nil } }
        var images: [Image?] = []
        for s in samples {
            do {
                let sample = try dataset.sample(at: s.index)
                guard sample.id == s.id else {
                    warnings.append("Sample \(s.index) of the dataset is '\(sample.id)', the evaluation stored '\(s.id)': is it the same dataset?")
                    images.append(nil)
                    continue
                }
                images.append(try sample.loadImage())
            } catch {
                warnings.append("Cannot load image '\(s.id)': \(error)")
                images.append(nil)
            }
        }
        var panelOptions = PanelOptions(methods: [], layers: [])
        panelOptions.rows = options.rows
        panelOptions.style = options.style
        panelOptions.tileHeight = options.tileHeight
        panelOptions.boxResolution = .modelInput
        if let n = run.settings["normalize"], let mode = MapNormalization(rawValue: n) { panelOptions.normalization = mode }
        if let s = run.settings["score"], let score = ScoreKind(rawValue: s) { panelOptions.score = score }
        let methodCombos = combos.compactMap { c in CAMMethod(rawValue: c.0).map { ($0, c.1) } }
        for (method, layer) in methodCombos {
            if !panelOptions.methods.contains(method) { panelOptions.methods.append(method) }
            if !panelOptions.layers.contains(layer) { panelOptions.layers.append(layer) }
        }
        // Maps from the model where there is one, the stored boxes and IoUs in any case.
        var explained: [[PanelMap]?] = samples.map { _ in nil }
        if let model, !methodCombos.isEmpty {
            let present = samples.indices.filter { images[$0] != nil }
            do {
                let e = try PanelBuilder.explain(
                    model: model, images: present.map { images[$0]! },
                    targets: present.map { samples[$0].label }, options: panelOptions)
                for (k, i) in present.enumerated() { explained[i] = e[k].maps }
            } catch {
                warnings.append("Gallery panels show the stored boxes only: the model could not explain the images: \(error)")
            }
        }
        return try samples.indices.map { i -> Panel? in
            guard let image = images[i] else { return nil }
            let s = samples[i]
            var maps: [PanelMap] = []
            for (method, layer) in combos {
                guard let stored = s.map(EvaluationRun.key(method: method, layer: layer)) else { continue }
                let boxes = stored.scored.boxes.map { OverlayBox($0.normalized, iou: s.truth.isEmpty ? nil : $0.bestIoU) }
                let fromModel = explained[i]?.first { $0.method == method && $0.layer == layer }
                maps.append(
                    PanelMap(
                        method: method, layer: layer, classIndex: stored.classIndex, map: fromModel?.map,
                        boxes: boxes, noBox: stored.scored.noBox,
                        bestIoU: s.truth.isEmpty ? nil : stored.scored.ruleIoU))
            }
            var o = panelOptions
            if explained[i] == nil { o.rows = [.boxes] }
            return try PanelBuilder.compose(original: image, truth: s.truth, maps: maps, options: o, title: titles[i])
        }
    }

    /// A file-name-safe version of a sample id.
    static func safeName(_ id: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let mapped = String(id.map { allowed.contains($0) ? $0 : "_" })
        return String(mapped.suffix(60))
    }
}

fileprivate extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}

// MARK: view models (what the templates see)

struct PageView {
    var title: String
    var subtitle: String
    var generator: String
    var created: String
    var hasWarnings: Bool
    var warnings: [String]
    var summary: SummaryView
    var charts: ChartsView?
    var faithfulness: FaithfulnessView?
    var training: TrainingView?
    var gallery: GalleryView?
    var settings: SettingsView
}

struct Column { var name: String; var numeric: Bool }
struct Cell { var text: String; var numeric: Bool; var best: Bool }
struct RowView { var kind: String; var cells: [Cell] }

struct SummaryView {
    var tableID = "summary-table"
    var hasResults: Bool
    var samples: Int
    var boxAccIoU: String
    var iouList: String
    var columns: [Column]
    var rows: [RowView]
}

struct FigureView {
    var id: String
    var caption: String
    var svg: String
    var note: String
    /// Stored, not computed: the templates see stored properties only (Mirror).
    var hasNote: Bool

    init(id: String, caption: String, svg: String, note: String) {
        self.id = id; self.caption = caption; self.svg = svg; self.note = note; self.hasNote = !note.isEmpty
    }
}

struct ComboChartsView { var title: String; var histogram: FigureView?; var curves: FigureView }
struct ChartsView { var comparison: FigureView?; var combos: [ComboChartsView] }

struct TrainingView {
    var epochs: Int
    var source: String
    var bestTop1: String
    var bestEpoch: Int
    var loss: FigureView
    var accuracy: FigureView
}

struct GalleryItem {
    var hasImage: Bool
    var image: String
    var alt: String
    var width: Int
    var height: Int
    var iou: String
    var id: String
    var className: String
    var hasPrediction: Bool
    var predicted: String
}

struct GalleryGroup { var name: String; var items: [GalleryItem] }
struct GalleryView { var method: String; var hasPanels: Bool; var rowsText: String; var groups: [GalleryGroup] }
struct SettingItem { var key: String; var value: String }
struct SettingsGroup { var name: String; var items: [SettingItem] }
struct SettingsView { var groups: [SettingsGroup] }
