/// ROAD's masks as pytorch-grad-cam makes them (`RemoveMostRelevantFirst`,
/// `RemoveLeastRelevantFirst`): the threshold is NumPy's linear percentile of the map in single
/// precision, and pixels strictly below it are kept.
public enum ROADOrder: Int, Sendable, CaseIterable {
    /// Most relevant first: the map itself is thresholded; pixels at or above the percentile are imputed.
    case mostRelevantFirst
    /// Least relevant first: `1 - map` is thresholded; the least relevant pixels are imputed.
    case leastRelevantFirst
}

public enum ROADMasks {
    /// `np.percentile(values, p)` (method `linear`) of float32 values, sorted ascending: the
    /// virtual index `(n - 1) p / 100` in double precision, then NumPy's `_lerp` in float32
    /// (`a + (b - a) t`, or `b - (b - a)(1 - t)` when `t >= 0.5`).
    public static func percentile(sorted values: [Float], _ p: Double) -> Float {
        let n = values.count
        precondition(n > 0)
        let virtual = Double(n - 1) * (p / 100)
        if virtual >= Double(n - 1) { return values[n - 1] }
        if virtual < 0 { return values[0] }
        let previous = virtual.rounded(.down)
        let i = Int(previous)
        let gamma = virtual - previous
        let a = values[i], b = values[i + 1]
        let diff = b - a
        return gamma >= 0.5 ? b - diff * Float(1 - gamma) : a + diff * Float(gamma)
    }

    /// The values thresholded for `order`: the map (MoRF) or `1 - map` in float32 (LeRF).
    public static func ranked(_ map: [Float], order: ROADOrder) -> [Float] {
        order == .mostRelevantFirst ? map : map.map { 1 - $0 }
    }

    /// The kept pixels (1) of `map` for each percentile: `ranked < percentile(ranked, p)`.
    public static func masks(_ map: [Float], order: ROADOrder, percentiles: [Double]) -> [[UInt8]] {
        let values = ranked(map, order: order)
        let sorted = values.sorted()
        return percentiles.map { p in
            let threshold = percentile(sorted: sorted, p)
            return values.map { $0 < threshold ? 1 : 0 }
        }
    }
}
