/// The dataset view of faithfulness: per method × layer × metric, means over maps
/// (docs/PROTOCOLS.md, Faithfulness; `faithfulness.json`'s `summary`).
public struct FaithfulnessSummaryRow: Codable, Sendable, Equatable {
    public var method: String
    public var layer: String
    public var metric: String
    /// Maps averaged.
    public var maps: Int
    /// The mean of the per-map values (ROAD MoRF/LeRF: of each map's mean over the percentiles).
    public var mean: Double
    /// ROAD MoRF/LeRF: the mean over maps at each percentile (keys as in the per-map values).
    public var percentiles: [String: Double]?
    /// `drop`: the Grad-CAM++ paper's average drop %, 100 · mean(max(0, y - o) / (y + 1e-7)).
    public var averageDropPercent: Double?
    /// `increase`: the Grad-CAM++ paper's % increase in confidence, 100 · mean(increase).
    public var increaseInConfidencePercent: Double?
    /// `deletion`, `insertion`: the mean curve over maps (the score at each of `fractions`).
    public var curve: [Double]?
    public var fractions: [Double]?
    /// `pointing-game`: TorchRay's accuracy, the mean over classes of each class's hit rate.
    public var meanPerClass: Double?

    enum CodingKeys: String, CodingKey {
        case method, layer, metric, maps, mean, percentiles, curve, fractions
        case averageDropPercent = "average_drop_percent"
        case increaseInConfidencePercent = "increase_in_confidence_percent"
        case meanPerClass = "mean_per_class"
    }
}

public enum FaithfulnessSummary {
    /// One scored map with the method and layer it belongs to and the class it explains.
    public typealias Entry = (method: String, layer: String, classIndex: Int, result: MapFaithfulness)

    /// Rows for every method × layer (in order of first appearance) × metric of `settings`.
    public static func rows(_ entries: [Entry], settings: FaithfulnessSettings) -> [FaithfulnessSummaryRow] {
        var groups: [String] = []
        var members: [String: [(classIndex: Int, result: MapFaithfulness)]] = [:]
        var names: [String: (String, String)] = [:]
        for e in entries {
            let key = "\(e.method)\u{0}\(e.layer)"
            if members[key] == nil {
                groups.append(key)
                names[key] = (e.method, e.layer)
            }
            members[key, default: []].append((e.classIndex, e.result))
        }
        return groups.flatMap { key -> [FaithfulnessSummaryRow] in
            let results = members[key]!.map(\.result)
            let (method, layer) = names[key]!
            return settings.metrics.compactMap { metric in
                let values = results.compactMap { $0.value(metric) }.map(Double.init)
                guard !values.isEmpty else { return nil }
                var row = FaithfulnessSummaryRow(
                    method: method, layer: layer, metric: metric.rawValue, maps: values.count, mean: mean(values))
                switch metric {
                case .drop:
                    row.averageDropPercent =
                        100 * mean(results.compactMap { r in r.maskedScore.map { max(0, Double(r.score) - Double($0)) / (Double(r.score) + 1e-7) } })
                case .increase:
                    row.increaseInConfidencePercent = 100 * row.mean
                case .roadMoRF, .roadLeRF:
                    let perMap = results.compactMap { metric == .roadMoRF ? $0.roadMoRF : $0.roadLeRF }
                    row.percentiles = Dictionary(
                        uniqueKeysWithValues: settings.percentiles.enumerated().map { j, p in
                            (FaithfulnessSettings.key(p), mean(perMap.map { Double($0[j]) }))
                        })
                case .deletion, .insertion:
                    let curves = results.compactMap { metric == .deletion ? $0.deletionCurve : $0.insertionCurve }
                    if let first = results.first(where: { $0.fractions != nil })?.fractions, curves.allSatisfy({ $0.count == first.count }) {
                        row.fractions = first.map(Double.init)
                        row.curve = first.indices.map { j in mean(curves.map { Double($0[j]) }) }
                    }
                case .pointingGame:
                    var perClass: [Int: [Double]] = [:]
                    for m in members[key]! { if let hit = m.result.pointingGame { perClass[m.classIndex, default: []].append(Double(hit)) } }
                    row.meanPerClass = mean(perClass.values.map { mean($0) })
                default: break
                }
                return row
            }
        }
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
