import CAMCore
import Foundation
import CAMLocalize

/// What an evaluation folder (`camkit evaluate --out DIR`) holds: `metrics.json`, the run's
/// settings and per-sample results from `results.sqlite` (read only, through
/// `ResultStore.storedRun()`).
public struct EvaluationRun: Sendable {
    public var directory: URL
    public var metrics: MetricsFile
    /// The run's settings as stored (`run.config`), empty when there is no `results.sqlite`.
    public var settings: [String: String]
    /// Every stored sample, in dataset order.
    public var samples: [SampleRecord]
    /// Set when `results.sqlite` is missing or unreadable (the report then has no histograms and no gallery).
    public var resultsProblem: String?

    /// The key of a method and layer in `SampleRecord.map(_:)`.
    public static func key(method: String, layer: String) -> String { SampleRecord.key(method: method, layer: layer) }

    /// Reads `dir/metrics.json` (required) and `dir/results.sqlite` (optional).
    public static func read(_ dir: URL) throws -> EvaluationRun {
        let metricsURL = dir.appendingPathComponent("metrics.json")
        guard FileManager.default.fileExists(atPath: metricsURL.path) else {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) || !isDir.boolValue {
                throw CAMError("report", "no such folder; give the --out folder of a `camkit evaluate` run", path: dir.path, kind: .notFound)
            }
            let partial = FileManager.default.fileExists(atPath: dir.appendingPathComponent("results.sqlite").path)
            throw CAMError(
                "report",
                partial
                    ? "no metrics.json: the evaluation did not finish; run the same `camkit evaluate` command again to resume it"
                    : "no metrics.json: not an evaluation folder; run `camkit evaluate --out DIR` first", path: dir.path, kind: .notFound)
        }
        let metrics: MetricsFile
        do {
            metrics = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: metricsURL))
        } catch {
            throw CAMError("report", "cannot read metrics.json: \(error)", path: metricsURL.path, kind: .unprocessable)
        }
        var run = EvaluationRun(directory: dir, metrics: metrics, settings: [:], samples: [], resultsProblem: nil)
        let dbURL = dir.appendingPathComponent("results.sqlite")
        guard FileManager.default.fileExists(atPath: dbURL.path) else {
            run.resultsProblem = "no results.sqlite in \(dir.path): per-image results are unavailable"
            return run
        }
        do {
            (run.settings, run.samples) = try ResultStore(url: dbURL, readOnly: true).storedRun()
        } catch {
            run.resultsProblem = "\(error)"
        }
        return run
    }

    /// Rule IoUs of every stored sample for one method and layer, in dataset order.
    public func ious(method: String, layer: String) -> [Double] {
        let k = Self.key(method: method, layer: layer)
        return samples.compactMap { $0.map(k)?.scored.ruleIoU }
    }
}
