import Foundation
import CAMExplain
import CAMFaithfulness
import CAMLocalize

/// The report's faithfulness section (evaluations run with `--faithfulness`): a table that ranks
/// the methods × layers by each metric beside MaxBoxAccV2, then the mean deletion/insertion curves
/// and ROAD's score change per percentile.
struct FaithfulnessView {
    var tableID = "faithfulness-table"
    var hint: String
    var columns: [Column]
    var rows: [RowView]
    var figures: [FigureView]
}

extension Report {
    /// Whether a larger value of `metric` means a more faithful map (a smaller one for drop,
    /// deletion and ROAD MoRF, which measure how much the score falls).
    static func higherIsBetter(_ metric: FaithfulnessMetric) -> Bool {
        switch metric {
        case .drop, .deletion, .roadMoRF: false
        case .increase, .roadLeRF, .roadCombined, .insertion, .pointingGame, .energyPointingGame: true
        }
    }

    static func faithfulnessView(_ m: MetricsFile) -> FaithfulnessView? {
        guard let rows = m.faithfulness, !rows.isEmpty, let settings = m.faithfulnessSettings else { return nil }
        var combos: [(method: String, layer: String)] = []
        for r in rows where !combos.contains(where: { $0 == (r.method, r.layer) }) { combos.append((r.method, r.layer)) }
        func row(_ combo: (method: String, layer: String), _ metric: FaithfulnessMetric) -> FaithfulnessSummaryRow? {
            rows.first { $0.method == combo.method && $0.layer == combo.layer && $0.metric == metric.rawValue }
        }
        let v2 = combos.map { c in m.results.first { $0.method == c.method && $0.layer == c.layer }?.maxBoxAccV2 }

        /// 1 for the best of `values` in the metric's direction, 2 for the next, ...; ties share a rank.
        func ranks(_ values: [Double?], higher: Bool) -> [Int?] {
            let present = Set(values.compactMap { $0 }).sorted(by: higher ? (>) : (<))
            return values.map { v in v.flatMap { present.firstIndex(of: $0) }.map { $0 + 1 } }
        }
        var columnValues: [(name: String, values: [Double?], ranks: [Int?], format: (Double) -> String)] = [
            ("MaxBoxAccV2 ↑", v2, ranks(v2, higher: true), { String(format: "%.1f", $0) })
        ]
        for metric in settings.metrics {
            let values = combos.map { row($0, metric)?.mean }
            let higher = higherIsBetter(metric)
            columnValues.append((metric.rawValue + (higher ? " ↑" : " ↓"), values, ranks(values, higher: higher), { String(format: "%.4f", $0) }))
        }
        let tableRows = combos.indices.map { i in
            RowView(
                kind: "method",
                cells: [
                    Cell(text: CAMMethod.displayName(combos[i].method), numeric: false, best: false),
                    Cell(text: combos[i].layer, numeric: false, best: false)
                ]
                    + columnValues.map { c in
                        Cell(
                            text: c.values[i].map { "\(c.format($0)) (\(c.ranks[i]!))" } ?? "–", numeric: true,
                            best: combos.count > 1 && c.ranks[i] == 1)
                    })
        }
        let title = { (c: (method: String, layer: String)) in "\(CAMMethod.displayName(c.method)) · \(c.layer)" }
        var figures: [FigureView] = []
        for metric in [FaithfulnessMetric.deletion, .insertion] {
            let series = combos.compactMap { c -> ChartSeries? in
                guard let r = row(c, metric), let x = r.fractions, let y = r.curve else { return nil }
                return ChartSeries(name: title(c), x: x, y: y)
            }
            guard !series.isEmpty else { continue }
            figures.append(
                FigureView(
                    id: "chart-\(metric.rawValue)", caption: "\(metric == .deletion ? "Deletion" : "Insertion") curves, mean over images",
                    svg: SVGChart.lines(
                        series, xRange: 0...1, xLabel: "fraction of pixels \(metric == .deletion ? "removed" : "restored"), most relevant first",
                        yLabel: "softmax score", label: "\(metric.rawValue) curves"),
                    note: metric == .deletion
                        ? "Lower is better: a faithful map names the pixels whose removal makes the score fall first; the area under each curve is its deletion value."
                        : "Higher is better: restoring a faithful map's pixels first brings the score back soonest; the area under each curve is its insertion value."
                ))
        }
        for metric in [FaithfulnessMetric.roadMoRF, .roadLeRF] {
            let series = combos.compactMap { c -> ChartSeries? in
                guard let r = row(c, metric), let values = r.percentiles else { return nil }
                let keys = settings.percentiles.filter { values[FaithfulnessSettings.key($0)] != nil }
                return ChartSeries(name: title(c), x: keys, y: keys.map { values[FaithfulnessSettings.key($0)]! })
            }
            guard !series.isEmpty else { continue }
            let ys = series.flatMap(\.y)
            let ticks = SVGChart.niceTicks(min(0, ys.min() ?? 0)...max(1e-3, ys.max() ?? 0))
            figures.append(
                FigureView(
                    id: "chart-\(metric.rawValue)",
                    caption: "ROAD, \(metric == .roadMoRF ? "most" : "least") relevant first: score change versus percentile",
                    svg: SVGChart.lines(
                        series, xRange: 0...100, yRange: ticks.first!...ticks.last!, xLabel: "percentile of the map",
                        yLabel: "score change", label: "\(metric.rawValue) curves"),
                    note: metric == .roadMoRF
                        ? "Pixels at or above each percentile are imputed; a faithful map makes the score fall (lower is better)."
                        : "Pixels below each percentile are imputed; a faithful map keeps the score (higher is better)."))
        }
        let hint = """
            \(rows.first?.maps ?? 0) maps per method and layer, each of the image's ground-truth class, scored by the softmax \
            probability of that class (docs/PROTOCOLS.md, Faithfulness). Each cell: the mean over images, then the rank among \
            the methods (1 is the most faithful; ↑ higher is better, ↓ lower is better); rank 1 in bold.
            """
        return FaithfulnessView(
            hint: hint,
            columns: [Column(name: "Method", numeric: false), Column(name: "Layer", numeric: false)]
                + columnValues.map { Column(name: $0.name, numeric: true) },
            rows: tableRows, figures: figures)
    }
}
