import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
#if canImport(Glibc)
    import Glibc
#endif

/// The evaluation pipeline: maps from files under both protocols against the Python references,
/// model runs, the SQLite store, resuming, and `kill -9` of the real `camkit` process.
@Suite(.serialized) struct LocalizeEvaluateTests {
    /// A wsolevaluation metadata folder for the fixture samples (with images of the stated sizes)
    /// and a folder of their maps named `<image id>.npy`, as wsolevaluation saves them.
    /// `upsample`: write maps of that size instead of the fixture's 26 x 26.
    static func makeWSOLFolder(count: Int = 200, upsample: Int? = nil) throws -> (data: URL, maps: URL) {
        let root = try Fixtures.temporaryDirectory("camkit-wsol")
        let data = root.appendingPathComponent("meta"), maps = root.appendingPathComponent("scoremaps")
        let raw = try NPY.read(contentsOf: LocalizeFixture.url("random_maps.npy"))
        let side = raw.shape[1]
        var ids = "", labels = "", sizes = "", loc = ""
        for (i, s) in LocalizeFixture.samples.prefix(count).enumerated() {
            let id = "c\(s.label)/\(s.id).png"
            ids += id + "\n"
            labels += "\(id),\(s.label)\n"
            sizes += "\(id),\(s.width),\(s.height)\n"
            for b in s.boxes { loc += "\(id),\(b.x0),\(b.y0),\(b.x1),\(b.y1)\n" }
            let imageURL = data.appendingPathComponent("images").appendingPathComponent(id)
            try FileManager.default.createDirectory(at: imageURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Image(width: s.width, height: s.height, channels: 3, repeating: 90).write(to: imageURL, format: .png)
            let mapURL = maps.appendingPathComponent(id + ".npy")
            try FileManager.default.createDirectory(at: mapURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            let bytes = raw.data.subdata(in: (i * side * side * 2)..<((i + 1) * side * side * 2))
            if let n = upsample {
                let m = try FloatMap(npy: NPYArray(dtype: .float16, shape: [side, side], data: bytes)).resized(width: n, height: n)
                try NPY.write(try NPYArray(m.values.map { Double(min(1, max(0, $0))) }, shape: [n, n]), to: mapURL)
            } else {
                try NPY.write(try NPYArray(dtype: .float16, shape: [side, side], data: bytes), to: mapURL)
            }
        }
        try ids.write(to: data.appendingPathComponent("image_ids.txt"), atomically: true, encoding: .utf8)
        try labels.write(to: data.appendingPathComponent("class_labels.txt"), atomically: true, encoding: .utf8)
        try sizes.write(to: data.appendingPathComponent("image_sizes.txt"), atomically: true, encoding: .utf8)
        try loc.write(to: data.appendingPathComponent("localization.txt"), atomically: true, encoding: .utf8)
        return (data, maps)
    }

    /// `camkit evaluate --maps DIR --dataset wsol:DIR --protocol wsolevaluation` gives
    /// wsolevaluation's numbers (the Python BoxEvaluator reimplementation) on the same maps; the
    /// camkit protocol gives the connected-components reference's.
    @Test(arguments: [EvaluationProtocol.wsolevaluation, .camkit])
    func mapsFromFilesMatchThePythonReferences(_ p: EvaluationProtocol) throws {
        let (data, maps) = try Self.makeWSOLFolder()
        let spec = try DatasetSpec.parse("wsol:\(data.path)")
        var options = EvaluationOptions(methods: [], layers: [], sweep: try .standard(p))
        options.progress = false
        let out = try Fixtures.temporaryDirectory("camkit-eval")
        let report = try LocalizationEvaluation.run(
            dataset: spec.open(), datasetSpec: spec.description, source: .maps(maps),
            options: options, output: out)
        let m = try #require(report.metrics.first)
        let e = LocalizeFixture.expected[p.rawValue] as! [String: Any]
        #expect(m.samples == 200)
        #expect(m.maxBoxAcc.accuracy == double(e["max_box_acc"]!))
        #expect(m.maxBoxAccV2 == double(e["max_box_acc_v2"]!))
        let multi = e["multi"] as! [String: [String: Any]]
        for (k, d) in [0.3, 0.5, 0.7].enumerated() {
            #expect(m.maxBoxAccV2PerIoU[k].accuracy == double(multi["\(d)"]!["accuracy"]!))
            #expect(m.allBoxCurves[k] == (multi["\(d)"]!["counts"] as! [Any]).map { Double(int($0)) * 100.0 / 200 })
        }
        #expect(m.meanIoU == double(e["mean_iou"]!))
        #expect(m.gtKnownLoc == double(e["gt_known_loc"]!))
        #expect(m.top1Loc == nil && m.top1Cls == nil)
        // The store has every sample once, and metrics.json says the same.
        let counts = try ResultStore(url: report.results).counts()
        #expect(counts.samples == 200 && counts.results == 200)
        let file = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: report.metricsJSON))
        #expect(file.results.first?.maxBoxAcc == m.maxBoxAcc && file.evaluationProtocol == p)
        let csv = try String(contentsOf: report.metricsCSV, encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 1 + m.perClass.count + m.baselines.count)
        #expect(csv[1].hasPrefix("maps,-,all,all,200,"))
    }

    @Test func missingAndInvalidMapsAreClearErrors() throws {
        let (data, maps) = try Self.makeWSOLFolder(count: 3)
        let spec = try DatasetSpec.parse("wsol:\(data.path)")
        var options = EvaluationOptions(methods: [], layers: [], sweep: try .standard(.wsolevaluation))
        options.progress = false
        options.batchSize = 1
        // A map outside [0, 1] under wsolevaluation: the error names the file.
        let bad = maps.appendingPathComponent("c\(LocalizeFixture.samples[1].label)/img001.png.npy")
        try NPY.write(try NPYArray([Double](repeating: 2, count: 4), shape: [2, 2]), to: bad)
        let out = try Fixtures.temporaryDirectory("camkit-eval")
        do {
            _ = try LocalizationEvaluation.run(
                dataset: spec.open(), datasetSpec: spec.description, source: .maps(maps), options: options, output: out)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.path == bad.path && e.message.contains("[0, 1]"), "\(e)")
        }
        // The sample before it was stored; metrics.json was not written.
        #expect(try ResultStore(url: out.appendingPathComponent("results.sqlite")).counts().samples == 1)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
        // A missing map: the error lists the names looked for.
        try FileManager.default.removeItem(at: bad)
        do {
            _ = try LocalizationEvaluation.run(
                dataset: spec.open(), datasetSpec: spec.description, source: .maps(maps), options: options, output: out)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("img001.png.npy") && e.message.contains("img001.npy"), "\(e)")
        }
        // Other settings on the same store: refused, naming what differs.
        var other = options
        other.sweep = try .standard(.camkit)
        do {
            _ = try LocalizationEvaluation.run(dataset: spec.open(), datasetSpec: spec.description, source: .maps(maps), options: other, output: out)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("protocol") && e.message.contains("--overwrite"), "\(e)")
        }
    }

    /// A small random ResNet checkpoint, seeded so that a test's boxes are the same every run.
    static func smallModel(classes: Int, inputSize: Int, seed: UInt64 = 11) throws -> URL {
        try Runtime.manualSeed(seed)
        let model = try ResNet(ResNetSpec.named("small", classes: classes))
        let info = ModelInfo(spec: model.spec, preprocessing: .imagenet, inputSize: inputSize)
        let url = try Fixtures.temporaryDirectory("camkit-model").appendingPathComponent("small.safetensors")
        try Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: model.stateDict())).write(to: url)
        return url
    }

    /// Model mode: every method x layer per sample from one explain call per batch; resuming a
    /// finished run evaluates nothing and gives the same metrics.
    @Test func modelRunStoresEveryMapAndResumes() throws {
        let spec = try DatasetSpec.parse("synthetic:seed=3,classes=3,train=4,test=10,size=48:test")
        let loaded = try ModelLoader.load(Self.smallModel(classes: 3, inputSize: 48))
        var options = EvaluationOptions(methods: [.gradCAM, .layerCAM], layers: ["layer3", "layer4"], sweep: try .standard(.camkit, interval: 0.01))
        options.batchSize = 4
        options.progress = false
        let out = try Fixtures.temporaryDirectory("camkit-eval")
        let first = try LocalizationEvaluation.run(
            dataset: spec.open(), datasetSpec: spec.description,
            source: .model(LoadedModelBox(loaded)), options: options, output: out)
        #expect(first.evaluated == 10 && first.resumed == 0)
        #expect(first.metrics.count == 4)
        for m in first.metrics {
            #expect(m.samples == 10 && m.thresholds.count == 100)
            #expect(m.top1Cls != nil && m.top5Cls == 100)  // 3 classes: the label is always in the top 5
        }
        let counts = try ResultStore(url: first.results).counts()
        #expect(counts.samples == 10 && counts.results == 40)
        let again = try LocalizationEvaluation.run(
            dataset: spec.open(), datasetSpec: spec.description,
            source: .model(LoadedModelBox(loaded)), options: options, output: out)
        #expect(again.evaluated == 0 && again.resumed == 10)
        #expect(again.metrics.map(\.maxBoxAcc) == first.metrics.map(\.maxBoxAcc))
        #expect(again.metrics.map(\.meanIoU) == first.metrics.map(\.meanIoU))
        // CAM among several layers is made at the last one only.
        var cam = options
        cam.methods = [.cam, .gradCAM]
        cam.overwrite = true
        let withCAM = try LocalizationEvaluation.run(
            dataset: spec.open(), datasetSpec: spec.description,
            source: .model(LoadedModelBox(loaded)), options: cam, output: out)
        #expect(withCAM.metrics.map { "\($0.method!)/\($0.layer!)" } == ["cam/layer4", "gradcam/layer3", "gradcam/layer4"])
        // CAM at other layers only: a clear error, nothing crashes.
        cam.methods = [.cam]
        cam.layers = ["layer3"]
        #expect(throws: (any Error).self) {
            try LocalizationEvaluation.run(
                dataset: spec.open(), datasetSpec: spec.description, source: .model(LoadedModelBox(loaded)),
                options: cam, output: out)
        }
    }

    @Test func localizeJobDrawsAndScores() throws {
        let data = try DatasetSpec.parse("synthetic:seed=5,classes=2,train=2,test=2,size=64:test").open()
        let sample = try data.sample(at: 0)
        let dir = try Fixtures.temporaryDirectory("camkit-localize")
        let imageURL = dir.appendingPathComponent("car.png")
        try sample.loadImage().write(to: imageURL, format: .png)
        let loaded = try ModelLoader.load(Self.smallModel(classes: 2, inputSize: 64))
        var options = LocalizeOptions(methods: [.cam, .gradCAM], layers: [loaded.model.lastFeatureLayer])
        options.rule = .tutorial
        let truth = [BoundingBox(ymin: 0.1, xmin: 0.2, ymax: 0.7, xmax: 0.8)]
        let report = try LocalizeJob.run(
            images: [imageURL], truths: [truth], model: loaded, options: options,
            outputDirectory: dir.appendingPathComponent("out"))
        #expect(report.images.count == 1 && report.images[0].maps.count == 2)
        for m in report.images[0].maps {
            #expect(m.bestIoU != nil)
            #expect(m.noBox != nil || !m.boxes.isEmpty)
            let drawn = try Image(contentsOf: dir.appendingPathComponent("out").appendingPathComponent(m.file))
            // The ground truth's top-left corner is green.
            let r = truth[0].pixelRect(width: 64, height: 64)
            #expect(drawn.pixel(x: r.x, y: r.y) == [0, 255, 0])
        }
        let json = try JSONDecoder().decode(LocalizeReport.self, from: Data(contentsOf: dir.appendingPathComponent("out/localize.json")))
        #expect(json.images[0].truth == truth)
        #expect(try LocalizeJob.parseTruth("0.1,0.2,0.7,0.8;0,0,1,1").count == 2)
        #expect(throws: CAMError.self) { try LocalizeJob.parseTruth("0.1,0.2,0.7") }
        #expect(throws: CAMError.self) { try LocalizeJob.parseTruth("0.8,0.2,0.7,0.9") }
    }

    /// The built `camkit` next to the test bundle.
    static var camkitBinary: URL? {
        let candidates = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0])].compactMap { $0 }
        for c in candidates {
            var dir = c.deletingLastPathComponent()
            for _ in 0..<3 {
                let bin = dir.appendingPathComponent("camkit")
                if FileManager.default.isExecutableFile(atPath: bin.path) { return bin }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// `kill -9` of a real `camkit evaluate` mid-run, then the same command again: the store ends
    /// with every sample exactly once and the metrics equal an uninterrupted run's.
    @Test func killNineThenResume() throws {
        guard let bin = Self.camkitBinary else {
            Issue.record("the camkit executable was not found next to the tests; build with --build-tests")
            return
        }
        let (data, maps) = try Self.makeWSOLFolder(count: 40, upsample: 96)
        let out = try Fixtures.temporaryDirectory("camkit-kill"), reference = try Fixtures.temporaryDirectory("camkit-ref")
        func arguments(_ dir: URL) -> [String] {
            [
                "evaluate", "--maps", maps.path, "--dataset", "wsol:\(data.path)", "--protocol", "wsolevaluation",
                "--batch-size", "1", "--out", dir.path
            ]
        }
        func launch(_ dir: URL) throws -> Process {
            let p = Process()
            p.executableURL = bin
            p.arguments = arguments(dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let dbURL = out.appendingPathComponent("results.sqlite")
        let victim = try launch(out)
        var seen = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && victim.isRunning {
            if FileManager.default.fileExists(atPath: dbURL.path), let c = try? ResultStore(url: dbURL, readOnly: true).counts().samples, c >= 2 {
                seen = c
                kill(victim.processIdentifier, SIGKILL)
                break
            }
            usleep(2000)
        }
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let partial = try ResultStore(url: dbURL).counts()
        #expect(partial.samples >= seen && partial.samples < 40)
        #expect(partial.results == partial.samples && partial.boxes == partial.samples)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))

        let resumed = try launch(out)
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)
        let full = try ResultStore(url: dbURL).counts()
        #expect(full.samples == 40 && full.results == 40 && full.boxes == 40)

        let clean = try launch(reference)
        clean.waitUntilExit()
        #expect(clean.terminationStatus == 0)
        let a = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: out.appendingPathComponent("metrics.json")))
        let b = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: reference.appendingPathComponent("metrics.json")))
        #expect(a.results.map(\.maxBoxAcc) == b.results.map(\.maxBoxAcc))
        #expect(a.results.map(\.maxBoxAccV2) == b.results.map(\.maxBoxAccV2))
        #expect(a.results.map(\.allBoxCurves) == b.results.map(\.allBoxCurves))
        #expect(a.results.map(\.oneBoxCurve) == b.results.map(\.oneBoxCurve))
        #expect(a.results.map(\.meanIoU) == b.results.map(\.meanIoU))
        print("kill -9 after \(partial.samples) of 40 samples stored; resumed to 40, metrics equal to an uninterrupted run")
    }
}
