import Foundation
import GRDB
import Testing
import TestSupport
import Torch
import CAMKit
@testable import CAMJobs
#if canImport(Glibc)
    import Glibc
#endif

/// `camkit evaluate --faithfulness`: per-map values in results.sqlite equal to scoring the same maps
/// directly, dataset means in metrics.json, resuming (after a lost tail of samples and after
/// `kill -9` of the real process) to the numbers of an uninterrupted run, and the report's
/// faithfulness section.
@Suite(.serialized) struct EvaluateFaithfulnessTests {
    static let spec = "synthetic:seed=3,classes=3,train=4,test=10,size=48:test"
    static let metrics: [FaithfulnessMetric] = [
        .drop, .increase, .roadMoRF, .roadLeRF, .roadCombined, .deletion, .insertion, .pointingGame, .energyPointingGame
    ]

    static func options() -> EvaluationOptions {
        var options = EvaluationOptions(methods: [.gradCAM, .layerCAM], layers: ["layer4"], sweep: try! .standard(.camkit, interval: 0.01))
        options.batchSize = 4
        options.progress = false
        var settings = FaithfulnessSettings(metrics: metrics)
        settings.percentiles = [20, 50, 80]
        settings.steps = 6
        settings.pointingTolerance = 3
        options.faithfulness = settings
        return options
    }

    @Test func storesPerMapValuesEqualToDirectScoringAndResumes() throws {
        let spec = try DatasetSpec.parse(Self.spec)
        let data = try spec.open()
        let loaded = try ModelLoader.load(LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 48))
        let options = Self.options()
        let out = try Fixtures.temporaryDirectory("camkit-eval-faith")
        let first = try LocalizationEvaluation.run(
            dataset: data, datasetSpec: spec.description, source: .model(LoadedModelBox(loaded)), options: options, output: out)
        let store = try ResultStore(url: first.results)
        let stored = try store.faithfulness(method: "gradcam", layer: "layer4")
        #expect(stored.map(\.sampleIndex) == Array(0..<10))

        // The same maps scored directly: the samples' images, their ground-truth classes and boxes.
        let samples = try (0..<4).map { try data.sample(at: $0) }
        let input = try loaded.info.batch(samples.map { try $0.loadImage() })
        let explanation = try Explainer(model: loaded.model).explain(
            input, methods: [.gradCAM], layers: ["layer4"], targets: .perImage(samples.map(\.label)), score: options.score)
        let maps = try explanation.maps.map { m in
            FaithfulnessMap(
                image: m.image, classIndex: m.classIndex, height: 48, width: 48,
                values: try MapRendering().displayMap(m.raw, height: 48, width: 48).values,
                source: "sample '\(samples[m.image].id)' gradcam/layer4", boxes: samples[m.image].boxes)
        }
        let direct = try FaithfulnessScorer(model: loaded.model, settings: options.faithfulness!).score(input, maps: maps)
        for (i, d) in direct.enumerated() {
            let s = stored[i].metrics
            #expect(stored[i].classIndex == samples[i].label)
            for metric in Self.metrics {
                let (a, b) = (s.value(metric)!, d.value(metric)!)
                #expect(abs(a - b) <= 1e-5, "sample \(i) \(metric.rawValue): stored \(a), direct \(b)")
            }
            #expect(s.deletionCurve!.count == 7 && s.roadMoRF!.count == 3)
        }

        // metrics.json: one row per method × metric, each the mean of the stored values.
        let file = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: first.metricsJSON))
        #expect(file.faithfulnessSettings == options.faithfulness)
        #expect(file.jpegDecoder == "accurate")
        let rows = try #require(file.faithfulness)
        #expect(rows.count == 2 * Self.metrics.count)
        for row in rows where row.method == "gradcam" {
            let metric = try FaithfulnessMetric(name: row.metric)
            let mean = stored.map { Double($0.metrics.value(metric)!) }.reduce(0, +) / 10
            #expect(abs(row.mean - mean) <= 1e-9 && row.maps == 10, "\(row.metric)")
        }
        let pointing = try #require(rows.first { $0.method == "gradcam" && $0.metric == "pointing-game" })
        #expect(pointing.meanPerClass != nil)
        #expect(rows.first { $0.metric == "deletion" }?.curve?.count == 7)

        // Samples lost from the end of the store (a run cut off) are evaluated again, to the same numbers.
        let queue = try DatabaseQueue(path: first.results.path)
        try queue.write { db in
            for table in ["faithfulness", "box", "result"] { try db.execute(sql: "DELETE FROM \(table) WHERE sample_idx >= 6") }
            try db.execute(sql: "DELETE FROM sample WHERE idx >= 6")
        }
        let resumed = try LocalizationEvaluation.run(
            dataset: data, datasetSpec: spec.description, source: .model(LoadedModelBox(loaded)), options: options, output: out)
        #expect(resumed.evaluated == 4 && resumed.resumed == 6)
        #expect(resumed.faithfulness == first.faithfulness)

        // Other faithfulness settings are another run: refused, naming the setting.
        var other = options
        other.faithfulness!.steps = 8
        do {
            _ = try LocalizationEvaluation.run(
                dataset: data, datasetSpec: spec.description, source: .model(LoadedModelBox(loaded)), options: other, output: out)
            Issue.record("a run with other faithfulness settings resumed")
        } catch let e as CAMError {
            #expect(e.message.contains("faithfulness"), "\(e)")
        }
    }

    /// A run stored before the JPEG decoder was recorded decoded accurately: it resumes as `accurate`, not as `tf`.
    @Test func runsWithoutAJPEGDecoderResumeOnlyAsAccurate() {
        let old = #"{"dataset":"tfds:x","samples":"4"}"#
        #expect(LocalizationEvaluation.sameRun(stored: old, now: #"{"dataset":"tfds:x","jpeg_decoder":"accurate","samples":"4"}"#))
        let tf = #"{"dataset":"tfds:x","jpeg_decoder":"tf","samples":"4"}"#
        #expect(!LocalizationEvaluation.sameRun(stored: old, now: tf))
        #expect(LocalizationEvaluation.difference(old, tf).contains("jpeg_decoder"))
    }

    @Test func mapsFromFilesAndDatasetsWithoutBoxesAreRefused() throws {
        var options = Self.options()
        let (data, maps) = try LocalizeEvaluateTests.makeWSOLFolder(count: 4)
        let spec = try DatasetSpec.parse("wsol:\(data.path)")
        #expect(throws: CAMError.self) {
            try LocalizationEvaluation.run(
                dataset: spec.open(), datasetSpec: spec.description, source: .maps(maps), options: options,
                output: Fixtures.temporaryDirectory("camkit-eval-faith-maps"))
        }
        // A sample without a box cannot play the pointing game.
        options.faithfulness!.metrics = [.pointingGame]
        let loaded = try ModelLoader.load(LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 48))
        let input = try Tensor.zeros([1, 3, 48, 48])
        let map = FaithfulnessMap(image: 0, classIndex: 0, height: 48, width: 48, values: [Float](repeating: 0.5, count: 48 * 48), source: "x")
        #expect(throws: FaithfulnessError.noBoxes(source: "x", metric: "pointing-game")) {
            try FaithfulnessScorer(model: loaded.model, settings: options.faithfulness!).score(input, maps: [map])
        }
    }

    /// The real binary killed with SIGKILL mid-run resumes to the faithfulness numbers of an
    /// uninterrupted run (imputation noise on: the noise is keyed by sample, method and layer),
    /// and the report ranks the methods and draws the curves.
    @Test func killNineThenResumeAndReport() throws {
        guard let bin = LocalizeEvaluateTests.camkitBinary else {
            Issue.record("the camkit executable was not found next to the tests; build with --build-tests")
            return
        }
        let model = try LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 48)
        let out = try Fixtures.temporaryDirectory("camkit-faith-kill"), reference = try Fixtures.temporaryDirectory("camkit-faith-ref")
        func launch(_ dir: URL, report: Bool = false) throws -> Process {
            let p = Process()
            p.executableURL = bin
            p.arguments =
                [
                    "evaluate", "--dataset", "synthetic:seed=4,classes=3,train=4,test=30,size=48:test", "--model", model.path,
                    "--method", "gradcam", "layercam", "--layer", "layer4", "--batch-size", "1", "--faithfulness", "drop", "increase",
                    "road-morf", "road-lerf", "road-combined", "deletion", "insertion", "pointing-game", "energy-pointing-game", "--steps", "5",
                    "--percentiles", "30",
                    "70", "--threads", "1", "--out", dir.path
                ] + (report ? [] : ["--no-report"])
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let dbURL = out.appendingPathComponent("results.sqlite")
        let victim = try launch(out)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && victim.isRunning {
            if FileManager.default.fileExists(atPath: dbURL.path), let c = try? ResultStore(url: dbURL, readOnly: true).counts().samples, c >= 2 {
                kill(victim.processIdentifier, SIGKILL)
                break
            }
            usleep(2000)
        }
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let partial = try ResultStore(url: dbURL).faithfulness(method: "gradcam", layer: "layer4").count
        #expect(partial >= 2 && partial < 30)
        let resumed = try launch(out, report: true)
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)
        let clean = try launch(reference)
        clean.waitUntilExit()
        #expect(clean.terminationStatus == 0)
        let a = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: out.appendingPathComponent("metrics.json")))
        let b = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: reference.appendingPathComponent("metrics.json")))
        #expect(a.faithfulness != nil && a.faithfulness == b.faithfulness)
        #expect(a.faithfulnessSettings?.imputationNoise == FaithfulnessSettings.defaultImputationNoise)

        let html = try String(contentsOf: out.appendingPathComponent("report/index.html"), encoding: .utf8)
        #expect(html.contains("id=\"faithfulness-table\"") && html.contains("href=\"#faithfulness\""))
        for chart in ["chart-deletion", "chart-insertion", "chart-road-morf", "chart-road-lerf"] {
            #expect(html.contains("id=\"\(chart)\""), "\(chart) missing")
        }
        // Two series (gradcam, layercam) on each curve chart, the deletion curves with 6 points.
        let start = try #require(html.range(of: "id=\"chart-deletion\"")).upperBound
        let end = try #require(html.range(of: "</figure>", range: start..<html.endIndex)).lowerBound
        let section = html[start..<end]
        #expect(section.components(separatedBy: "class=\"series\"").count - 1 >= 2)
        #expect(section.contains("data-points=\"6\""))
        print("kill -9 after \(partial) of 30 samples with faithfulness; resumed to the numbers of an uninterrupted run")
    }
}
