import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
#if canImport(Glibc)
    import Glibc
#endif

/// Sharded evaluation (`camkit evaluate --shard I/N`) and `camkit merge`: the merged folder's
/// metrics.json and metrics.csv are byte for byte those of one unsharded run, under both protocols,
/// with faithfulness, and after `kill -9` inside a shard; shards that do not make one run are refused.
@Suite(.serialized) struct ShardMergeTests {
    @Test func shardsAreContiguousBlocksThatCoverEverySampleOnce() throws {
        for total in [1, 2, 7, 30, 101] {
            for batch in [1, 4, 16] {
                let batches = (total + batch - 1) / batch
                for count in 1...min(batches, 7) {
                    let ranges = try (0..<count).map { try Shard(index: $0, count: count).range(of: total, batch: batch) }
                    #expect(ranges.flatMap { Array($0) } == Array(0..<total), "\(total) samples in \(count) shards")
                    // Each starts at a batch boundary of the unsharded run, and none is empty.
                    #expect(ranges.allSatisfy { !$0.isEmpty && $0.lowerBound % batch == 0 })
                }
            }
        }
        #expect(try Shard(parsing: "2/3", environment: [:]) == Shard(index: 2, count: 3))
        let slurm = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"]
        #expect(try Shard(parsing: "auto", environment: slurm) == Shard(index: 1, count: 3))
        #expect(try Shard(parsing: "auto/4", environment: ["JOB_COMPLETION_INDEX": "2"]) == Shard(index: 2, count: 4))
        for (text, env, message) in [
            ("3/2", [:], "does not exist"), ("2", [:], "not a shard"), ("a/b", [:], "not a shard"), ("0/0", [:], "out of range"),
            ("auto", [:], "SLURM_ARRAY_TASK_ID"), ("auto/5", slurm, "disagrees"), ("auto", ["JOB_COMPLETION_INDEX": "1"], "auto/N"),
            ("-1/3", [:], "does not exist")
        ] as [(String, [String: String], String)] {
            #expect {
                try Shard(parsing: text, environment: env)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    static func evaluate(_ source: EvaluationSource, _ spec: DatasetSpec, _ options: EvaluationOptions, shard: Shard?, into dir: URL) throws {
        var options = options
        options.shard = shard
        _ = try LocalizationEvaluation.run(dataset: spec.open(), datasetSpec: spec.description, source: source, options: options, output: dir)
    }

    static func expectSameFiles(_ a: URL, _ b: URL) throws {
        for name in ["metrics.json", "metrics.csv"] {
            let x = try Data(contentsOf: a.appendingPathComponent(name)), y = try Data(contentsOf: b.appendingPathComponent(name))
            #expect(x == y, "\(name) of the merged run differs from the unsharded one")
        }
    }

    @Test(arguments: [EvaluationProtocol.camkit, .wsolevaluation])
    func threeShardsMergeToTheUnshardedRun(_ p: EvaluationProtocol) throws {
        let source: EvaluationSource
        let spec: DatasetSpec
        var options = EvaluationOptions(methods: [.gradCAM, .layerCAM], layers: ["layer4"], sweep: try .standard(p, interval: 0.01))
        options.batchSize = 4
        options.progress = false
        if p == .camkit {
            spec = try DatasetSpec.parse("synthetic:seed=6,classes=3,train=4,test=20,size=48:test")
            source = .model(LoadedModelBox(try ModelLoader.load(LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 48))))
            var faithfulness = FaithfulnessSettings(metrics: [.drop, .deletion, .roadCombined, .pointingGame, .energyPointingGame])
            faithfulness.steps = 4
            faithfulness.percentiles = [50]
            options.faithfulness = faithfulness
        } else {
            let (data, maps) = try LocalizeEvaluateTests.makeWSOLFolder(count: 20)
            spec = try DatasetSpec.parse("wsol:\(data.path)")
            source = .maps(maps)
        }
        let whole = try Fixtures.temporaryDirectory("camkit-whole")
        try Self.evaluate(source, spec, options, shard: nil, into: whole)
        let shards = try (0..<3).map { i -> URL in
            let dir = try Fixtures.temporaryDirectory("camkit-shard\(i)")
            try Self.evaluate(source, spec, options, shard: Shard(index: i, count: 3), into: dir)
            return dir
        }
        let merged = try Fixtures.temporaryDirectory("camkit-merged")
        // Any order of the folders.
        let report = try EvaluationMerge.run(shards: [shards[2], shards[0], shards[1]], output: merged)
        #expect(report.evaluated == 20)
        try Self.expectSameFiles(merged, whole)
        let counts = try ResultStore(url: report.results).counts(),
            wholeCounts = try ResultStore(url: whole.appendingPathComponent("results.sqlite")).counts()
        #expect(counts == wholeCounts)
        // The merged folder is a normal evaluation: the report reads it.
        _ = try Report.write(
            evaluation: merged,
            options: {
                var o = ReportOptions(); o.galleryCount = 0; return o
            }())
    }

    @Test func shardsOfDifferentRunsAreRefused() throws {
        let (data, maps) = try LocalizeEvaluateTests.makeWSOLFolder(count: 12)
        let spec = try DatasetSpec.parse("wsol:\(data.path)")
        var options = EvaluationOptions(methods: [], layers: [], sweep: try .standard(.wsolevaluation, interval: 0.01))
        options.progress = false
        options.batchSize = 2
        func shard(_ i: Int, of n: Int, _ configure: (inout EvaluationOptions) -> Void = { _ in }) throws -> URL {
            var o = options
            configure(&o)
            let dir = try Fixtures.temporaryDirectory("camkit-bad-shard")
            try Self.evaluate(.maps(maps), spec, o, shard: Shard(index: i, count: n), into: dir)
            return dir
        }
        let s0 = try shard(0, of: 3), s1 = try shard(1, of: 3), s2 = try shard(2, of: 3)
        let other = try shard(1, of: 2), coarse = try shard(2, of: 3) { $0.sweep = try! .standard(.wsolevaluation, interval: 0.05) }
        let whole = try Fixtures.temporaryDirectory("camkit-not-shard")
        try Self.evaluate(.maps(maps), spec, options, shard: nil, into: whole)
        let out = try Fixtures.temporaryDirectory("camkit-bad-merge")
        for (dirs, message) in [
            ([s0, s1], "2/3 missing"), ([s0, s1, s1], "given twice"), ([s0, s1, other], "different shard counts or batch sizes"),
            ([s0, s1, coarse], "other settings"), ([s0, s1, whole], "not a shard"), ([s0, s1, data], "no results.sqlite")
        ] as [([URL], String)] {
            #expect {
                try EvaluationMerge.run(shards: dirs, output: out)
            } throws: { error in
                "\(error)".contains(message)
            }
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
        }
        _ = try EvaluationMerge.run(shards: [s0, s1, s2], output: out)
        #expect(throws: CAMError.self) { try EvaluationMerge.run(shards: [s0, s1, s2], output: out) }
        _ = try EvaluationMerge.run(shards: [s0, s1, s2], output: out, overwrite: true)
    }

    /// The real binary: shard 1/3 killed with SIGKILL is refused by merge as unfinished, resumes,
    /// and the merge equals one unsharded run of `camkit evaluate`.
    @Test func killNineInsideAShardThenResumeAndMerge() throws {
        guard let bin = LocalizeEvaluateTests.camkitBinary else {
            Issue.record("the camkit executable was not found next to the tests; build with --build-tests")
            return
        }
        let (data, maps) = try LocalizeEvaluateTests.makeWSOLFolder(count: 60, upsample: 96)
        func launch(_ extra: [String]) throws -> Process {
            let p = Process()
            p.executableURL = bin
            p.arguments =
                ["evaluate", "--maps", maps.path, "--dataset", "wsol:\(data.path)", "--protocol", "wsolevaluation", "--batch-size", "1"]
                + extra
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let dirs = try (0..<3).map { try Fixtures.temporaryDirectory("camkit-kill-shard\($0)") }
        let db = dirs[1].appendingPathComponent("results.sqlite")
        let victim = try launch(["--shard", "1/3", "--no-report", "--out", dirs[1].path])
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && victim.isRunning {
            if FileManager.default.fileExists(atPath: db.path), let c = try? ResultStore(url: db, readOnly: true).counts().samples, c >= 2 {
                kill(victim.processIdentifier, SIGKILL)
                break
            }
            usleep(2000)
        }
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal, "the shard finished before it could be killed")
        for i in [0, 2] {
            let p = try launch(["--shard", "\(i)/3", "--no-report", "--out", dirs[i].path])
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        let merged = try Fixtures.temporaryDirectory("camkit-kill-merged")
        #expect {
            try EvaluationMerge.run(shards: dirs, output: merged)
        } throws: { error in
            "\(error)".contains("shard 1/3 is unfinished")
        }
        let resumed = try launch(["--shard", "1/3", "--no-report", "--out", dirs[1].path])
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)
        let merge = Process()
        merge.executableURL = bin
        merge.arguments = ["merge", merged.path] + dirs.map(\.path)
        merge.standardOutput = FileHandle.nullDevice
        try merge.run()
        merge.waitUntilExit()
        #expect(merge.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent("report/index.html").path))
        let whole = try Fixtures.temporaryDirectory("camkit-kill-whole")
        let clean = try launch(["--no-report", "--out", whole.path])
        clean.waitUntilExit()
        try Self.expectSameFiles(merged, whole)
    }
}
