import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// Interrupting `camkit train` (kill -9, Ctrl-C) and resuming gives exactly the weights of an
/// uninterrupted run; bad inputs fail cleanly.
@Suite(.serialized) struct TrainerResumeTests {
    static let dataset = "synthetic:seed=3,classes=3,train=96,test=32,size=40"

    /// The `camkit` executable built next to the test bundle.
    static var camkit: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("camkit")
    }

    static func trainArguments(out: URL, dataset: String = dataset) -> [String] {
        [
            "train", "--dataset", dataset, "--arch", "small", "--epochs", "3", "--batch-size", "16", "--lr", "0.01",
            "--momentum", "0.9", "--image-size", "40", "--augment", "--seed", "7", "--threads", "1", "--workers", "2",
            "--checkpoint-every", "2", "--out", out.path
        ]
    }

    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = [:],
        whenOutputContains trigger: String? = nil, signal: Int32 = SIGINT, directory: URL? = nil
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = camkit
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        var output = Data()
        let handle = pipe.fileHandleForReading
        var signalled = false
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            output.append(chunk)
            if let trigger, !signalled, String(decoding: output, as: UTF8.self).contains(trigger) {
                kill(process.processIdentifier, signal)
                signalled = true
            }
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func finalWeights(_ dir: URL) throws -> [String: [Float]] {
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("checkpoint.safetensors"))
        var out: [String: [Float]] = [:]
        for (k, t) in checkpoint.modelState where t.dtype == .float32 { out[k] = try t.scalars(as: Float.self) }
        #expect(checkpoint.progress["epoch"] == "3")
        return out
    }

    @Test func killNineMidEpochThenResumeGivesIdenticalWeights() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.camkit.path) else {
            Issue.record("camkit not built at \(Self.camkit.path)")
            return
        }
        let straight = try Fixtures.temporaryDirectory(), killed = try Fixtures.temporaryDirectory()
        let reference = try Self.run(Self.trainArguments(out: straight))
        #expect(reference.status == 0, "\(reference.output)")

        // Step 9 is the third step of epoch 2 (6 steps per epoch): killed mid-epoch, after a mid-epoch checkpoint.
        let crashed = try Self.run(Self.trainArguments(out: killed) + ["--fault-kill-after-steps", "9"])
        #expect(crashed.status == SIGKILL, "expected death by SIGKILL, got \(crashed.status): \(crashed.output)")
        let resumed = try Self.run(["train", "--resume", killed.path, "--threads", "1", "--workers", "2"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try Self.finalWeights(killed) == Self.finalWeights(straight))

        let history = try String(contentsOf: killed.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == 4, "header + 3 epochs, no duplicates: \(history)")
    }

    /// A run started with a relative --out and --dataset resumes from any directory, in its own
    /// folder and on its own data; a new run into a folder holding one is refused unless --overwrite.
    @Test func relativePathsResumeFromAnotherDirectoryAndRunsAreNotOverwritten() throws {
        let root = try Fixtures.temporaryDirectory("camkit-relative")
        let start = root.appendingPathComponent("start"), elsewhere = root.appendingPathComponent("elsewhere")
        for dir in [start, elsewhere] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let data = "synthetic:seed=3,classes=3,train=32,test=16,size=40,cache=cache"
        func arguments(epochs: Int = 2) -> [String] {
            [
                "train", "--dataset", data, "--arch", "small", "--epochs", "\(epochs)", "--batch-size", "16", "--image-size", "40",
                "--threads", "1", "--workers", "1", "--checkpoint-every", "1", "--out", "run"
            ]
        }
        let crashed = try Self.run(arguments() + ["--fault-kill-after-steps", "3"], directory: start)
        #expect(crashed.status == SIGKILL, "\(crashed.output)")
        let stored = try JSONDecoder().decode(
            TrainingRun.Settings.self, from: Data(contentsOf: start.appendingPathComponent("run/run.json")))
        #expect(stored.outputDirectory == start.appendingPathComponent("run").path)
        #expect(stored.dataset.contains("cache=\(start.appendingPathComponent("cache").path)"), "\(stored.dataset)")
        let resumed = try Self.run(["train", "--resume", "../start/run", "--threads", "1", "--workers", "1"], directory: elsewhere)
        #expect(resumed.status == 0, "\(resumed.output)")
        let history = try String(contentsOf: start.appendingPathComponent("run/history.csv"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == 3, "header + 2 epochs: \(history)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)

        let again = try Self.run(arguments(), directory: start)
        #expect(again.status != 0 && again.output.contains("already holds a training run"), "\(again.output)")
        let overwritten = try Self.run(arguments(epochs: 1) + ["--overwrite"], directory: start)
        #expect(overwritten.status == 0, "\(overwritten.output)")
        let fresh = try String(contentsOf: start.appendingPathComponent("run/history.csv"), encoding: .utf8)
        #expect(fresh.split(separator: "\n").count == 2, "header + 1 epoch: \(fresh)")
    }

    @Test func ctrlCSavesACheckpointAndResumeFinishesIdentically() throws {
        // Enough steps per epoch (30) that the signal lands while training is still running.
        let data = "synthetic:seed=3,classes=3,train=480,test=32,size=40"
        let straight = try Fixtures.temporaryDirectory(), interrupted = try Fixtures.temporaryDirectory()
        try Self.run(Self.trainArguments(out: straight, dataset: data))
        let stopped = try Self.run(Self.trainArguments(out: interrupted, dataset: data), whenOutputContains: "epoch 1/3")
        #expect(stopped.status == 130, "\(stopped.output)")
        #expect(stopped.output.contains("--resume"))
        let resumed = try Self.run(["train", "--resume", interrupted.path, "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try Self.finalWeights(interrupted) == Self.finalWeights(straight))
    }

    @Test func resumingWithADifferentClassCountIsRefused() throws {
        let dir = try Fixtures.temporaryDirectory()
        let spec = try ResNetSpec.named("small", classes: 3)
        let info = ModelInfo(spec: spec, preprocessing: .seed, inputSize: 40)
        try Checkpoint(
            info: info, modelState: Dictionary(ResNet(spec).stateDict(), uniquingKeysWith: { a, _ in a }),
            progress: ["epoch": "1"]
        ).write(to: dir.appendingPathComponent("checkpoint.safetensors"))
        let other = try ResNet(ResNetSpec.named("small", classes: 5))
        let trainer = try Trainer(
            model: other, info: ModelInfo(spec: other.spec, preprocessing: .seed, inputSize: 40),
            config: TrainingConfig(), outputDirectory: dir)
        #expect { try trainer.resume() } throws: { error in
            let text = String(describing: error)
            return text.contains("checkpoint.safetensors") && text.contains("3 classes") && text.contains("5 classes")
        }
    }

    @Test func unreadablePretrainedFileIsReported() throws {
        let dir = try Fixtures.temporaryDirectory()
        let garbage = dir.appendingPathComponent("imagenet.safetensors")
        try Data("definitely not weights".utf8).write(to: garbage)
        let model = try ResNet(ResNetSpec.named("small", classes: 3))
        #expect { try Pretrained.load(garbage, into: model) } throws: { String(describing: $0).contains(garbage.path) }
        #expect { try Pretrained.load(dir.appendingPathComponent("missing.h5"), into: model) } throws: {
            String(describing: $0).contains("missing.h5")
        }
    }

    @Test func fullDiskKeepsThePreviousCheckpoint() throws {
        let mountPoint = try Fixtures.temporaryDirectory("camkit-smallfs")
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path]
        try? mount.run()
        mount.waitUntilExit()
        guard mount.terminationReason == .exit, mount.terminationStatus == 0 else {
            print("skipping the full-disk test: cannot mount a tmpfs here (needs root)")
            return
        }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let spec = try ResNetSpec.named("small", classes: 3)
        let model = try ResNet(spec)
        let target = mountPoint.appendingPathComponent("checkpoint.safetensors")
        let state = Dictionary(model.stateDict(), uniquingKeysWith: { a, _ in a })
        let checkpoint = Checkpoint(info: ModelInfo(spec: spec, preprocessing: .seed, inputSize: 40), modelState: state)
        try checkpoint.write(to: target)
        let before = try Data(contentsOf: target)
        // Fill the file system, leaving less than one checkpoint free.
        let free = try FileManager.default.attributesOfFileSystem(forPath: mountPoint.path)[.systemFreeSize] as! Int
        try Data(count: max(0, free - before.count / 2)).write(to: mountPoint.appendingPathComponent("filler"))
        #expect(throws: (any Error).self) { try checkpoint.write(to: target) }
        #expect(try Data(contentsOf: target) == before)
        #expect(try Checkpoint.read(from: target).modelState.count == state.count)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: mountPoint.path).filter { $0.hasSuffix(".tmp") || $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
