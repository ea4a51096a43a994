import Foundation
import CAMCore
import CAMLocalize

/// `camkit merge OUT SHARD_DIR...`: the shards of one sharded evaluation (`--shard I/N`) joined
/// into one evaluation folder, as one unsharded run would have written it: every sample's rows
/// copied into `OUT/results.sqlite` (MaxBoxAcc and MaxBoxAccV2 need each image's per-threshold
/// outcome, so the data is merged, not the averages), then `metrics.json` and `metrics.csv`
/// summarised from it.
public enum EvaluationMerge {
    /// One shard folder, read and checked.
    struct Part {
        let directory: URL
        let database: URL
        let shard: Shard
        /// The batch size the samples were split by.
        let batch: Int
        /// The run's settings without the shard keys: equal for the shards of one run.
        let settings: [String: String]
        let context: SummaryContext
        let total: Int
    }

    /// Checks that `shards` are the complete, finished shards of one run, then writes `output`.
    /// Refused, naming the folders: a folder that is not a shard, shards of different counts,
    /// settings or models, a shard given twice, a missing shard, an unfinished one, and an
    /// `output` that already holds an evaluation unless `overwrite`.
    public static func run(shards: [URL], output: URL, overwrite: Bool = false) throws -> EvaluationReport {
        guard !shards.isEmpty else { throw CAMError("merge", "give the folders of the shards to merge") }
        let parts = try shards.map(read)
        let first = parts[0]
        for p in parts.dropFirst() {
            guard p.shard.count == first.shard.count, p.batch == first.batch else {
                throw CAMError(
                    "merge",
                    "the shards come from runs with different shard counts or batch sizes (which split the samples): \(first.directory.path) is \(first.shard) in batches of \(first.batch), \(p.directory.path) is \(p.shard) in batches of \(p.batch)"
                )
            }
            guard p.settings == first.settings, p.context == first.context else {
                throw CAMError(
                    "merge",
                    "\(p.directory.path) was made with other settings than \(first.directory.path) (\(LocalizationEvaluation.difference(json(first.settings), json(p.settings)))); merge the shards of one run"
                )
            }
        }
        var byIndex: [Int: Part] = [:]
        for p in parts {
            if let other = byIndex[p.shard.index] {
                throw CAMError("merge", "shard \(p.shard) is given twice: \(other.directory.path) and \(p.directory.path)")
            }
            byIndex[p.shard.index] = p
        }
        let missing = (0..<first.shard.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw CAMError(
                "merge",
                "shard\(missing.count > 1 ? "s" : "") \(missing.map { "\($0)/\(first.shard.count)" }.joined(separator: ", ")) missing: every shard 0...\(first.shard.count - 1) of the run is needed"
            )
        }
        for p in parts {
            let expected = p.shard.range(of: p.total, batch: p.batch)
            let done = try ResultStore(url: p.database, readOnly: true).doneSampleIndices()
            guard done == Set(expected) else {
                throw CAMError(
                    "merge",
                    "shard \(p.shard) is unfinished: \(done.intersection(expected).count) of its \(expected.count) samples are stored; run its camkit evaluate command again to finish it",
                    path: p.directory.path)
            }
        }

        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let lock = try FolderLock(output, for: "merge")
        defer { withExtendedLifetime(lock) {} }
        let dbURL = output.appendingPathComponent("results.sqlite")
        if FileManager.default.fileExists(atPath: dbURL.path) {
            guard overwrite else {
                throw CAMError(
                    "merge", "it already holds an evaluation (results.sqlite); use another folder, or --overwrite to replace it", path: output.path)
            }
        }
        // Built beside the final name and renamed into place: an interrupted merge leaves nothing half made.
        let staging = output.appendingPathComponent(".results.sqlite.\(UUID().uuidString).merging")
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging.path + suffix) }
        }
        do {
            let store = try ResultStore(url: staging)
            for index in 0..<first.shard.count { try store.copySamples(from: byIndex[index]!.database) }
            try store.setSetting("config", json(first.settings))
            try store.setSetting(SummaryContext.key, first.context.json())
        }
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbURL.path + suffix) }
        try FileManager.default.moveItem(at: staging, to: dbURL)
        let store = try ResultStore(url: dbURL)
        let (metrics, faithfulness, jsonURL, csvURL) = try LocalizationEvaluation.summarize(
            store: store, context: first.context, samples: first.total, output: output)
        return EvaluationReport(
            metrics: metrics, faithfulness: faithfulness, evaluated: first.total, resumed: 0, results: dbURL, metricsJSON: jsonURL,
            metricsCSV: csvURL)
    }

    static func read(_ dir: URL) throws -> Part {
        let database = dir.appendingPathComponent("results.sqlite")
        guard FileManager.default.fileExists(atPath: database.path) else {
            throw CAMError("merge", "no results.sqlite: not the --out folder of a camkit evaluate --shard run", path: dir.path, kind: .notFound)
        }
        let store = try ResultStore(url: database, readOnly: true)
        guard let config = try store.setting("config"),
            var settings = try? JSONDecoder().decode([String: String].self, from: Data(config.utf8)),
            let summary = try store.setting(SummaryContext.key),
            let context = try? JSONDecoder().decode(SummaryContext.self, from: Data(summary.utf8)),
            let total = settings["samples"].flatMap({ Int($0) })
        else {
            throw CAMError(
                "merge", "its results.sqlite holds no finished run's settings (made by an older camkit, or never run to the end)", path: dir.path)
        }
        guard let shardText = settings.removeValue(forKey: LocalizationEvaluation.shardKey) else {
            throw CAMError("merge", "not a shard: this evaluation was run without --shard", path: dir.path)
        }
        guard let batch = settings.removeValue(forKey: LocalizationEvaluation.shardBatchKey).flatMap({ Int($0) }), batch > 0 else {
            throw CAMError("merge", "its results.sqlite names shard \(shardText) but not the batch size that split the samples", path: dir.path)
        }
        return Part(
            directory: dir, database: database, shard: try Shard(parsing: shardText, environment: [:]), batch: batch, settings: settings,
            context: context, total: total)
    }

    /// Settings as `LocalizationEvaluation.settingsJSON` encodes them (sorted keys).
    static func json(_ settings: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(settings)) ?? Data(), as: UTF8.self)
    }
}
