import CAMCore
import Foundation
import GRDB
import CAMImaging
import CAMFaithfulness

/// One map's stored result.
public struct MapRecord: Sendable, Equatable {
    public var method: String
    public var layer: String
    /// The class the map explains (the ground-truth class in an evaluation).
    public var classIndex: Int
    public var scored: ScoredMap
    /// The map's faithfulness metrics, when the evaluation asked for them (`--faithfulness`).
    public var faithfulness: MapFaithfulness?

    public init(method: String, layer: String, classIndex: Int, scored: ScoredMap, faithfulness: MapFaithfulness? = nil) {
        self.method = method
        self.layer = layer
        self.classIndex = classIndex
        self.scored = scored
        self.faithfulness = faithfulness
    }
}

/// One sample's results: its ground truth, the model's prediction and every map's boxes, IoUs
/// and threshold sweep. What `ResultStore` writes and what `storedRun` reads back (without sweeps),
/// and, without maps, the web API's sample (JSON keys `index`, `id`, `label`, `className`,
/// `width`, `height`, `boxes` for `truth`, and the optional ones when present).
public struct SampleRecord: Sendable, Equatable, Codable {
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
    /// The map file, when maps come from files.
    public var mapFile: String?
    /// Not in the JSON form.
    public var maps: [MapRecord] = []

    enum CodingKeys: String, CodingKey {
        case index, id, label, className, width, height, truth = "boxes", predictions, probabilities, mapFile
    }

    public init(
        index: Int, id: String, label: Int, className: String, width: Int, height: Int, truth: [BoundingBox],
        predictions: [Int]? = nil, probabilities: [Double]? = nil, mapFile: String? = nil, maps: [MapRecord] = []
    ) {
        self.index = index; self.id = id; self.label = label; self.className = className
        self.width = width; self.height = height; self.truth = truth
        self.predictions = predictions; self.probabilities = probabilities; self.mapFile = mapFile; self.maps = maps
    }

    /// The key of a method and layer (`map(_:)`).
    public static func key(method: String, layer: String) -> String { "\(method)/\(layer)" }

    /// The map of the method and layer `key` names, if there is one.
    public func map(_ key: String) -> MapRecord? { maps.first { Self.key(method: $0.method, layer: $0.layer) == key } }
}

/// The per-image results of an evaluation in SQLite (`DIR/results.sqlite`, through GRDB): written
/// as `SampleRecord`s, read back for metrics (`evaluations`) and for the report (`storedRun`).
///
/// Tables:
/// - `run(key, value)`: the run's settings (`config`, JSON), checked when a run resumes.
/// - `sample(idx, id, label, class_name, width, height, truth, predictions, probabilities, map_file)`:
///   one row per evaluated sample; `truth`, `predictions`, `probabilities` are JSON arrays.
/// - `result(sample_idx, method, layer, class_index, rule_iou, no_box, box_count, single, multi)`:
///   one row per map; `single` / `multi` are the threshold sweep's bit sets (one bit per threshold,
///   for each IoU threshold, little-endian 64-bit words, concatenated).
/// - `box(sample_idx, method, layer, box_index, ymin, xmin, ymax, xmax, polygon, ious, best_iou)`:
///   every box of the fixed rule, its outline (JSON `[[x, y], ...]` in map pixels) and its IoU
///   with every ground-truth box (JSON).
/// - `faithfulness(sample_idx, method, layer, class_index, metrics)`: a map's faithfulness metrics
///   (`MapFaithfulness` as JSON: scores, per-percentile ROAD changes, deletion/insertion curves),
///   for evaluations run with `--faithfulness`.
///
/// A sample and all its maps are written in one transaction, and a batch of samples in one
/// transaction: after a crash or `kill -9` a sample is either wholly present or absent, so a
/// rerun skips exactly the samples present (`doneSampleIndices`) and adds each missing one once.
public final class ResultStore: Sendable {
    /// The method and layer recorded for maps read from files (`camkit evaluate --maps`).
    public static let mapsMethod = "maps", mapsLayer = "-"

    public let url: URL
    private let queue: DatabaseQueue

    /// Opens (creating if needed) the store at `url`; `readOnly` opens an existing store for
    /// inspection while another process may be writing it. Concurrent access waits for locks
    /// (up to 60 s) instead of failing.
    public init(url: URL, readOnly: Bool = false) throws {
        self.url = url
        do {
            var config = Configuration()
            config.busyMode = .timeout(60)
            config.readonly = readOnly
            queue = try DatabaseQueue(path: url.path, configuration: config)
            if readOnly { return }
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                        CREATE TABLE IF NOT EXISTS sample (
                            idx INTEGER PRIMARY KEY NOT NULL, id TEXT NOT NULL, label INTEGER NOT NULL, class_name TEXT NOT NULL,
                            width INTEGER NOT NULL, height INTEGER NOT NULL, truth TEXT NOT NULL,
                            predictions TEXT, probabilities TEXT, map_file TEXT);
                        CREATE TABLE IF NOT EXISTS result (
                            sample_idx INTEGER NOT NULL REFERENCES sample(idx), method TEXT NOT NULL, layer TEXT NOT NULL,
                            class_index INTEGER NOT NULL, rule_iou REAL NOT NULL, no_box TEXT, box_count INTEGER NOT NULL,
                            single BLOB NOT NULL, multi BLOB NOT NULL,
                            PRIMARY KEY (sample_idx, method, layer));
                        CREATE TABLE IF NOT EXISTS box (
                            sample_idx INTEGER NOT NULL, method TEXT NOT NULL, layer TEXT NOT NULL, box_index INTEGER NOT NULL,
                            ymin REAL NOT NULL, xmin REAL NOT NULL, ymax REAL NOT NULL, xmax REAL NOT NULL,
                            polygon TEXT NOT NULL, ious TEXT NOT NULL, best_iou REAL NOT NULL,
                            PRIMARY KEY (sample_idx, method, layer, box_index));
                        CREATE TABLE IF NOT EXISTS faithfulness (
                            sample_idx INTEGER NOT NULL, method TEXT NOT NULL, layer TEXT NOT NULL, class_index INTEGER NOT NULL,
                            metrics TEXT NOT NULL,
                            PRIMARY KEY (sample_idx, method, layer));
                        """)
            }
        } catch {
            throw Self.wrap(error, url, "cannot open the results database")
        }
    }

    static func wrap(_ error: Error, _ url: URL, _ what: String) -> CAMError {
        if let e = error as? CAMError { return e }
        if let e = error as? DatabaseError {
            return CAMError("results", "\(what): \(e.message ?? "\(e.resultCode)")", path: url.path, kind: .unprocessable)
        }
        return CAMError("results", "\(what): \(error)", path: url.path, kind: .unprocessable)
    }

    /// A stored setting.
    public func setting(_ key: String) throws -> String? {
        do { return try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM run WHERE key = ?", arguments: [key]) } } catch {
            throw Self.wrap(error, url, "cannot read the run settings")
        }
    }

    public func setSetting(_ key: String, _ value: String) throws {
        do { try queue.write { db in try db.execute(sql: "INSERT OR REPLACE INTO run (key, value) VALUES (?, ?)", arguments: [key, value]) } } catch {
            throw Self.wrap(error, url, "cannot write the run settings")
        }
    }

    /// Dataset indices of the samples already stored.
    public func doneSampleIndices() throws -> Set<Int> {
        do { return Set(try queue.read { db in try Int.fetchAll(db, sql: "SELECT idx FROM sample") }) } catch {
            throw Self.wrap(error, url, "cannot read the stored samples")
        }
    }

    /// Rows in `sample`, `result` and `box`.
    public func counts() throws -> (samples: Int, results: Int, boxes: Int) {
        do {
            return try queue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sample") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM result") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM box") ?? 0
                )
            }
        } catch { throw Self.wrap(error, url, "cannot count the stored results") }
    }

    /// Writes `samples` (each with all its maps) in one transaction.
    public func write(_ samples: [SampleRecord]) throws {
        guard !samples.isEmpty else { return }
        func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try JSONEncoder().encode(v), as: UTF8.self) }
        do {
            try queue.write { db in
                for s in samples {
                    try db.execute(
                        sql: """
                            INSERT INTO sample (idx, id, label, class_name, width, height, truth, predictions, probabilities, map_file)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            s.index, s.id, s.label, s.className, s.width, s.height, try json(s.truth),
                            try s.predictions.map(json), try s.probabilities.map(json), s.mapFile
                        ])
                    for m in s.maps {
                        guard let sweep = m.scored.sweep else {
                            throw CAMError("results", "sample '\(s.id)' \(m.method)/\(m.layer): no threshold sweep to store", kind: .internal)
                        }
                        let single = sweep.single.reduce(into: Data()) { $0.append($1.data) }
                        let multi = sweep.multi.reduce(into: Data()) { $0.append($1.data) }
                        try db.execute(
                            sql: """
                                INSERT INTO result (sample_idx, method, layer, class_index, rule_iou, no_box, box_count, single, multi)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                                """,
                            arguments: [
                                s.index, m.method, m.layer, m.classIndex, m.scored.ruleIoU, m.scored.noBox?.rawValue,
                                m.scored.boxes.count, single, multi
                            ])
                        if let f = m.faithfulness {
                            try db.execute(
                                sql: "INSERT INTO faithfulness (sample_idx, method, layer, class_index, metrics) VALUES (?, ?, ?, ?, ?)",
                                arguments: [s.index, m.method, m.layer, m.classIndex, try json(f)])
                        }
                        for (k, b) in m.scored.boxes.enumerated() {
                            try db.execute(
                                sql: """
                                    INSERT INTO box (sample_idx, method, layer, box_index, ymin, xmin, ymax, xmax, polygon, ious, best_iou)
                                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                                    """,
                                arguments: [
                                    s.index, m.method, m.layer, k, b.normalized.ymin, b.normalized.xmin, b.normalized.ymax,
                                    b.normalized.xmax, try json(b.polygon), try json(b.ious), b.ious.max() ?? 0
                                ])
                        }
                    }
                }
            }
        } catch {
            throw Self.wrap(error, url, "cannot store the results of samples \(samples.first!.index)...\(samples.last!.index)")
        }
    }

    /// The tables a store holds rows in, in the order `copySamples` fills them.
    static let tables = ["sample", "result", "box", "faithfulness"]

    /// Copies every row of the store at `other` (samples with their maps, boxes and faithfulness)
    /// into this one, in one transaction: all or nothing. A sample present in both is an error.
    public func copySamples(from other: URL) throws {
        do {
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS other", arguments: [other.path])
                defer { try? db.execute(sql: "DETACH DATABASE other") }
                try db.inTransaction {
                    for table in Self.tables {
                        let present = try Bool.fetchOne(
                            db, sql: "SELECT COUNT(*) > 0 FROM other.sqlite_master WHERE type = 'table' AND name = ?", arguments: [table])
                        if present == true { try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM other.\(table)") }
                    }
                    return .commit
                }
            }
        } catch {
            throw Self.wrap(error, other, "cannot copy the results into \(url.lastPathComponent)")
        }
    }

    /// The run's settings (`config`, decoded; empty when absent or not a JSON object of strings) and
    /// every stored sample with its maps' rule IoUs and boxes, in dataset order (what a report reads).
    public func storedRun() throws -> (settings: [String: String], samples: [SampleRecord]) {
        do {
            return try queue.read { db in
                var settings: [String: String] = [:]
                if let json = try String.fetchOne(db, sql: "SELECT value FROM run WHERE key = 'config'"),
                    let decoded = try? Self.decode([String: String].self, json)
                {
                    settings = decoded
                }
                var samples: [SampleRecord] = []
                var position: [Int: Int] = [:]
                /// Where each (sample, method/layer) sits in its sample's `maps`.
                var mapPosition: [String: Int] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT idx, id, label, class_name, width, height, truth, predictions, probabilities, map_file FROM sample ORDER BY idx
                        """)
                {
                    let predictions: String? = row["predictions"], probabilities: String? = row["probabilities"]
                    let s = SampleRecord(
                        index: row["idx"], id: row["id"], label: row["label"], className: row["class_name"], width: row["width"],
                        height: row["height"], truth: try Self.decode([BoundingBox].self, row["truth"]),
                        predictions: try predictions.map { try Self.decode([Int].self, $0) },
                        probabilities: try probabilities.map { try Self.decode([Double].self, $0) },
                        mapFile: row["map_file"], maps: [])
                    position[s.index] = samples.count
                    samples.append(s)
                }
                for row in try Row.fetchAll(db, sql: "SELECT sample_idx, method, layer, class_index, rule_iou, no_box FROM result") {
                    guard let p = position[row["sample_idx"]] else { continue }
                    let noBox: String? = row["no_box"]
                    let m = MapRecord(
                        method: row["method"], layer: row["layer"], classIndex: row["class_index"],
                        scored: ScoredMap(
                            boxes: [], noBox: noBox.flatMap(NoBoxReason.init(rawValue:)),
                            ruleIoU: row["rule_iou"], sweep: nil))
                    mapPosition["\(p) \(SampleRecord.key(method: m.method, layer: m.layer))"] = samples[p].maps.count
                    samples[p].maps.append(m)
                }
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT sample_idx, method, layer, ymin, xmin, ymax, xmax, polygon, ious FROM box
                        ORDER BY sample_idx, method, layer, box_index
                        """)
                {
                    guard let p = position[row["sample_idx"]],
                        let q = mapPosition["\(p) \(SampleRecord.key(method: row["method"], layer: row["layer"]))"]
                    else { continue }
                    let box = ScoredBox(
                        normalized: BoundingBox(ymin: row["ymin"], xmin: row["xmin"], ymax: row["ymax"], xmax: row["xmax"]),
                        polygon: (try? Self.decode([SIMD2<Double>].self, row["polygon"])) ?? [],
                        ious: (try? Self.decode([Double].self, row["ious"])) ?? [])
                    samples[p].maps[q].scored.boxes.append(box)
                }
                return (settings, samples)
            }
        } catch {
            throw Self.wrap(error, url, "cannot read the stored results")
        }
    }

    /// A JSON column's value.
    private static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    /// The stored faithfulness of every map of `method` / `layer`, in dataset order.
    public func faithfulness(method: String, layer: String) throws -> [(sampleIndex: Int, classIndex: Int, metrics: MapFaithfulness)] {
        do {
            return try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT sample_idx, class_index, metrics FROM faithfulness WHERE method = ? AND layer = ? ORDER BY sample_idx",
                    arguments: [method, layer]
                ).map { row in
                    (row["sample_idx"], row["class_index"], try Self.decode(MapFaithfulness.self, row["metrics"]))
                }
            }
        } catch {
            throw Self.wrap(error, url, "cannot read the stored faithfulness metrics")
        }
    }

    /// Every stored map of `method` / `layer` as a `SampleEvaluation`, in dataset order.
    public func evaluations(method: String, layer: String, configuration: SweepConfiguration) throws -> [SampleEvaluation] {
        let n = configuration.thresholds.count
        let singleCount = configuration.singleIoUs.count, multiCount = configuration.iouThresholds.count
        let bytesPer = (n + 63) / 64 * 8
        do {
            return try queue.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.idx, s.id, s.label, s.truth, s.predictions, r.rule_iou, r.single, r.multi
                        FROM result r JOIN sample s ON s.idx = r.sample_idx
                        WHERE r.method = ? AND r.layer = ? ORDER BY s.idx
                        """, arguments: [method, layer])
                return try rows.map { row in
                    let id: String = row["id"]
                    func bits(_ data: Data, _ count: Int) throws -> [BitSet] {
                        guard data.count == count * bytesPer else {
                            throw CAMError(
                                "results", "sample '\(id)': stored sweep has \(data.count) bytes, expected \(count * bytesPer) (\(n) thresholds)")
                        }
                        return try (0..<count).map { k in
                            guard let b = BitSet(count: n, data: data.subdata(in: (k * bytesPer)..<((k + 1) * bytesPer))) else {
                                throw CAMError("results", "sample '\(id)': corrupt sweep bits")
                            }
                            return b
                        }
                    }
                    let predictionsJSON: String? = row["predictions"]
                    let truth = try Self.decode([BoundingBox].self, row["truth"])
                    let predictions = try predictionsJSON.map { try Self.decode([Int].self, $0) }
                    return SampleEvaluation(
                        sampleID: id, label: row["label"], predictions: predictions, ruleIoU: row["rule_iou"],
                        sweep: SweepOutcome(single: try bits(row["single"], singleCount), multi: try bits(row["multi"], multiCount)),
                        truth: truth)
                }
            }
        } catch {
            throw Self.wrap(error, url, "cannot read the stored results")
        }
    }
}
