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

    enum CodingKeys: String, CodingKey {
        case method, layer, metric, maps, mean, percentiles
        case averageDropPercent = "average_drop_percent"
        case increaseInConfidencePercent = "increase_in_confidence_percent"
    }
}

public enum FaithfulnessSummary {
    /// One scored map with the method and layer it belongs to.
    public typealias Entry = (method: String, layer: String, result: MapFaithfulness)

    /// Rows for every method × layer (in order of first appearance) × metric of `settings`.
    public static func rows(_ entries: [Entry], settings: FaithfulnessSettings) -> [FaithfulnessSummaryRow] {
        var groups: [String] = []
        var members: [String: [MapFaithfulness]] = [:]
        var names: [String: (String, String)] = [:]
        for e in entries {
            let key = "\(e.method)\u{0}\(e.layer)"
            if members[key] == nil {
                groups.append(key)
                names[key] = (e.method, e.layer)
            }
            members[key, default: []].append(e.result)
        }
        return groups.flatMap { key -> [FaithfulnessSummaryRow] in
            let results = members[key]!
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
                default: break
                }
                return row
            }
        }
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
