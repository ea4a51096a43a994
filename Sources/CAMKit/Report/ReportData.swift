import Foundation
import GRDB

/// A report that cannot be made, with what to do about it.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let message: String
    public let path: String?

    public init(_ operation: String, _ message: String, path: String? = nil) {
        self.operation = operation
        self.message = message
        self.path = path
    }

    public var description: String { "\(operation): \(path.map { "\($0): " } ?? "")\(message)" }
}

/// One box of a stored map (the evaluation's fixed rule).
public struct StoredBox: Sendable, Hashable {
    /// Normalised `[ymin, xmin, ymax, xmax]`.
    public var normalized: BoundingBox
    /// IoU with each ground-truth box.
    public var ious: [Double]
}

/// One stored map's result: its rule IoU and boxes.
public struct StoredMap: Sendable, Hashable {
    public var method: String
    public var layer: String
    public var classIndex: Int
    /// Best IoU of the fixed rule's boxes (0 without a box).
    public var ruleIoU: Double
    /// Why there is no box (`NoBoxReason.rawValue`), or nil.
    public var noBox: String?
    public var boxes: [StoredBox]
}

/// One evaluated sample as `results.sqlite` holds it.
public struct StoredSample: Sendable {
    /// Position in the dataset.
    public var index: Int
    public var id: String
    public var label: Int
    public var className: String
    public var width: Int
    public var height: Int
    public var truth: [BoundingBox]
    /// Top predicted classes, most probable first, and their probabilities (nil for maps from files).
    public var predictions: [Int]?
    public var probabilities: [Double]?
    /// Keyed by `EvaluationRun.key(method:layer:)`.
    public var maps: [String: StoredMap]
}

/// What an evaluation folder (`camkit evaluate --out DIR`) holds: `metrics.json`, the run's
/// settings and per-sample results from `results.sqlite` (read only; see `ResultStore` for the
/// tables).
public struct EvaluationRun: Sendable {
    public var directory: URL
    public var metrics: MetricsFile
    /// The run's settings as stored (`run.config`), empty when there is no `results.sqlite`.
    public var settings: [String: String]
    /// Every stored sample, in dataset order.
    public var samples: [StoredSample]
    /// Set when `results.sqlite` is missing or unreadable (the report then has no histograms and no gallery).
    public var resultsProblem: String?

    /// The key of a method and layer in `StoredSample.maps`.
    public static func key(method: String, layer: String) -> String { "\(method)/\(layer)" }

    /// Reads `dir/metrics.json` (required) and `dir/results.sqlite` (optional).
    public static func read(_ dir: URL) throws -> EvaluationRun {
        let metricsURL = dir.appendingPathComponent("metrics.json")
        guard FileManager.default.fileExists(atPath: metricsURL.path) else {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) || !isDir.boolValue {
                throw ReportError("report", "no such folder; give the --out folder of a `camkit evaluate` run", path: dir.path)
            }
            let partial = FileManager.default.fileExists(atPath: dir.appendingPathComponent("results.sqlite").path)
            throw ReportError("report", partial
                ? "no metrics.json: the evaluation did not finish; run the same `camkit evaluate` command again to resume it"
                : "no metrics.json: not an evaluation folder; run `camkit evaluate --out DIR` first", path: dir.path)
        }
        let metrics: MetricsFile
        do {
            metrics = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: metricsURL))
        } catch {
            throw ReportError("report", "cannot read metrics.json: \(error)", path: metricsURL.path)
        }
        var run = EvaluationRun(directory: dir, metrics: metrics, settings: [:], samples: [], resultsProblem: nil)
        let dbURL = dir.appendingPathComponent("results.sqlite")
        guard FileManager.default.fileExists(atPath: dbURL.path) else {
            run.resultsProblem = "no results.sqlite in \(dir.path): per-image results are unavailable"
            return run
        }
        do {
            (run.settings, run.samples) = try readStore(dbURL)
        } catch {
            run.resultsProblem = "cannot read \(dbURL.path): \(error)"
        }
        return run
    }

    static func readStore(_ url: URL) throws -> ([String: String], [StoredSample]) {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: url.path, configuration: config)
        return try queue.read { db in
            var settings: [String: String] = [:]
            if let json = try String.fetchOne(db, sql: "SELECT value FROM run WHERE key = 'config'"),
               let decoded = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) {
                settings = decoded
            }
            var samples: [StoredSample] = []
            var position: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT idx, id, label, class_name, width, height, truth, predictions, probabilities FROM sample ORDER BY idx
                """) {
                let truthJSON: String = row["truth"]
                let predictions: String? = row["predictions"], probabilities: String? = row["probabilities"]
                let s = StoredSample(
                    index: row["idx"], id: row["id"], label: row["label"], className: row["class_name"], width: row["width"],
                    height: row["height"], truth: try JSONDecoder().decode([BoundingBox].self, from: Data(truthJSON.utf8)),
                    predictions: try predictions.map { try JSONDecoder().decode([Int].self, from: Data($0.utf8)) },
                    probabilities: try probabilities.map { try JSONDecoder().decode([Double].self, from: Data($0.utf8)) },
                    maps: [:])
                position[s.index] = samples.count
                samples.append(s)
            }
            for row in try Row.fetchAll(db, sql: "SELECT sample_idx, method, layer, class_index, rule_iou, no_box FROM result") {
                guard let p = position[row["sample_idx"]] else { continue }
                let m = StoredMap(method: row["method"], layer: row["layer"], classIndex: row["class_index"], ruleIoU: row["rule_iou"],
                                  noBox: row["no_box"], boxes: [])
                samples[p].maps[key(method: m.method, layer: m.layer)] = m
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT sample_idx, method, layer, ymin, xmin, ymax, xmax, ious FROM box ORDER BY sample_idx, method, layer, box_index
                """) {
                guard let p = position[row["sample_idx"]] else { continue }
                let k = key(method: row["method"], layer: row["layer"])
                let iousJSON: String = row["ious"]
                let box = StoredBox(normalized: BoundingBox(ymin: row["ymin"], xmin: row["xmin"], ymax: row["ymax"], xmax: row["xmax"]),
                                    ious: (try? JSONDecoder().decode([Double].self, from: Data(iousJSON.utf8))) ?? [])
                samples[p].maps[k]?.boxes.append(box)
            }
            return (settings, samples)
        }
    }

    /// Rule IoUs of every stored sample for one method and layer, in dataset order.
    public func ious(method: String, layer: String) -> [Double] {
        let k = Self.key(method: method, layer: layer)
        return samples.compactMap { $0.maps[k]?.ruleIoU }
    }
}
