import CAMKit
import Foundation
import Testing
import TestSupport
import Torch

/// Defects found by the crafted-input probe (#20): non-finite model outputs, runs keyed by the
/// model's content, locked output folders, and no maps left behind by a failed explain run.
@Suite struct HardeningTests {
    /// A small seeded ResNet checkpoint at `url` (`seed` gives other weights at the same path).
    static func writeModel(to url: URL, seed: UInt64, classes: Int = 3, nanHead: Bool = false) throws {
        try Runtime.manualSeed(seed)
        let spec = try ResNetSpec.named("small", classes: classes)
        let model = try ResNet(spec)
        if nanHead { try withNoGrad { try model.classifierLayer!.module.parameters()[0].fill(.nan) } }
        let info = ModelInfo(spec: spec, preprocessing: .seed, inputSize: 48)
        try Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: model.stateDict())).write(to: url)
    }

    static func images(count: Int, in dir: URL) throws -> [URL] {
        let data = try DatasetSpec.parse("synthetic:seed=4,classes=3,train=0,test=\(count),size=48:test").open()
        return try (0..<count).map { i in
            let url = dir.appendingPathComponent("img\(i).png")
            try data.sample(at: i).loadImage().write(to: url)
            return url
        }
    }

    /// NaN scores for one image of a batch: an error naming that image, before any map is made.
    @Test func nonFiniteScoresAreAnErrorNamingTheImage() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-nan")
        try Self.writeModel(to: dir.appendingPathComponent("m.safetensors"), seed: 1)
        let loaded = try ModelLoader.load(dir.appendingPathComponent("m.safetensors"))
        var pixels = [Float](repeating: 0.5, count: 2 * 3 * 48 * 48)
        pixels[3 * 48 * 48 + 7] = .nan
        let batch = try Tensor(pixels, shape: [2, 3, 48, 48])
        do {
            _ = try Explainer(model: loaded.model).explain(batch, methods: [.gradCAM], layers: ["layer3", "layer4"])
            Issue.record("expected an error")
        } catch let e as ExplainError {
            guard case .nonFiniteLogits(let images) = e else { Issue.record("\(e)"); return }
            #expect(images == [1])
            #expect(e.errorCode == "non_finite_output" && e.errorKind == .unprocessable)
            #expect(e.description.contains("image 2 of the batch"), "\(e)")
        }
    }

    /// `explain` with a model whose output is NaN writes nothing: no overlay, no explain.json.
    @Test func explainWithANaNModelWritesNothing() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-nan-explain")
        let modelURL = dir.appendingPathComponent("nan.safetensors")
        try Self.writeModel(to: modelURL, seed: 1, nanHead: true)
        let out = dir.appendingPathComponent("out")
        #expect(throws: ExplainError.self) {
            try ExplainJob.run(
                images: try Self.images(count: 2, in: dir), model: try ModelLoader.load(modelURL),
                options: ExplainOptions(methods: [.cam, .gradCAM], layers: ["layer4"]), outputDirectory: out)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    /// A write that fails in the second batch takes back the first batch's maps.
    @Test func aFailedExplainRunLeavesNoMapsBehind() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-explain-fail")
        let modelURL = dir.appendingPathComponent("m.safetensors")
        try Self.writeModel(to: modelURL, seed: 1)
        let out = dir.appendingPathComponent("out")
        // A folder where the second image's overlay goes: that write fails.
        let blocker = out.appendingPathComponent("img1.gradcam.layer4.0.png")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        var options = ExplainOptions(methods: [.gradCAM], layers: ["layer4"])
        options.classes = [0]
        options.batchSize = 1
        options.writeRaw = true
        #expect(throws: (any Error).self) {
            try ExplainJob.run(
                images: try Self.images(count: 2, in: dir), model: try ModelLoader.load(modelURL), options: options, outputDirectory: out)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["img1.gradcam.layer4.0.png"])
    }

    static func evaluate(_ modelURL: URL, out: URL, limit: Int) throws -> EvaluationReport {
        let spec = try DatasetSpec.parse("synthetic:seed=3,classes=3,train=0,test=6,size=48:test")
        var options = EvaluationOptions(methods: [.gradCAM], layers: ["layer4"], sweep: try .standard(.camkit, interval: 0.1))
        options.batchSize = 2
        options.progress = false
        options.limit = limit
        return try LocalizationEvaluation.run(
            dataset: spec.open(), datasetSpec: spec.description, source: .model(LoadedModelBox(try ModelLoader.load(modelURL))),
            options: options, output: out)
    }

    /// A run is keyed by the model file's content: other weights at the same path are refused on
    /// resume (they would mix two models' results); a run stored before the key existed resumes.
    @Test func evaluationResumesOnlyWithTheSameModelContent() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-eval-hash")
        let modelURL = dir.appendingPathComponent("model.safetensors")
        let out = dir.appendingPathComponent("eval")
        try Self.writeModel(to: modelURL, seed: 1)
        #expect(try Self.evaluate(modelURL, out: out, limit: 4).evaluated == 4)
        try Self.writeModel(to: modelURL, seed: 2)
        do {
            _ = try Self.evaluate(modelURL, out: out, limit: 4)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("model file's content changed") && e.message.contains("--overwrite"), "\(e)")
        }
        // The same content again resumes; a stored config without the key (an earlier version's) too.
        try Self.writeModel(to: modelURL, seed: 1)
        let store = try ResultStore(url: out.appendingPathComponent("results.sqlite"))
        let config = try #require(try store.setting("config"))
        var settings = try JSONDecoder().decode([String: String].self, from: Data(config.utf8))
        #expect(settings["model_sha256"]?.count == 64)
        settings["model_sha256"] = nil
        try store.setSetting("config", String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))
        let resumed = try Self.evaluate(modelURL, out: out, limit: 4)
        #expect(resumed.resumed == 4 && resumed.evaluated == 0)
    }

    /// A small file that declares 20000x20000 pixels is refused from its header, before decoding
    /// (it cost 8.6 GB in `camkit explain`); the error names the file and the limit.
    @Test func imagesDeclaringTooManyPixelsAreRefusedBeforeDecoding() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-pixels")
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        png += Data("IHDR".utf8)
        for side in [20000, 20000] { png += Data([UInt8(side >> 24), UInt8(side >> 16 & 255), UInt8(side >> 8 & 255), UInt8(side & 255)]) }
        png += Data([8, 2, 0, 0, 0, 0, 0, 0, 0])
        let bomb = dir.appendingPathComponent("bomb.png")
        try png.write(to: bomb)
        let modelURL = dir.appendingPathComponent("m.safetensors")
        try Self.writeModel(to: modelURL, seed: 1)
        let ok = try Self.images(count: 1, in: dir)
        do {
            _ = try ExplainJob.run(
                images: ok + [bomb], model: try ModelLoader.load(modelURL),
                options: ExplainOptions(methods: [.gradCAM], layers: ["layer4"]), outputDirectory: dir.appendingPathComponent("out"))
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.errorCode == "too_many_pixels" && e.errorKind == .tooLarge && e.path == bomb.path, "\(e)")
            #expect(e.message.contains("20000x20000") && e.message.contains("\(ImageHeader.maxPixels)"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        try ImageHeader.checkPixelCount(contentsOf: ok[0])
    }

    /// Two runs into one folder: the second fails at once, naming the folder; the lock ends with its holder.
    @Test func anOutputFolderTakesOneRunAtATime() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-eval-lock")
        let modelURL = dir.appendingPathComponent("model.safetensors")
        let out = dir.appendingPathComponent("eval")
        try Self.writeModel(to: modelURL, seed: 1)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var holder: FolderLock? = try FolderLock(out, for: "test")
        do {
            _ = try Self.evaluate(modelURL, out: out, limit: 2)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("another run is writing") && e.path == out.path, "\(e)")
        }
        #expect(holder != nil)
        holder = nil
        #expect(try Self.evaluate(modelURL, out: out, limit: 2).evaluated == 2)
    }
}
