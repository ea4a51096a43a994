import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// `camkit faithfulness` end to end: the real executable on image files, faithfulness.json read
/// back; bad input fails with a clear message and writes nothing.
@Suite(.serialized) struct FaithfulnessCLITests {
    struct Workspace {
        let dir: URL
        let model: URL
        let images: [URL]
        var out: URL { dir.appendingPathComponent("out") }
    }

    /// A random 3-class ResNet at input size 32 and two 40x36 PNG images.
    static func workspace() throws -> Workspace {
        let dir = try Fixtures.temporaryDirectory("camkit-faith")
        let model = try LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 32)
        var rng = SplitMix64(seed: 9)
        let images = try (0..<2).map { i -> URL in
            let pixels = (0..<(40 * 36 * 3)).map { _ in UInt8(rng.below(256)) }
            let url = dir.appendingPathComponent("img\(i).png")
            try Image(width: 40, height: 36, pixels: pixels).write(to: url, format: .png)
            return url
        }
        return Workspace(dir: dir, model: model, images: images)
    }

    static func arguments(_ w: Workspace, _ extra: [String], out: URL? = nil) -> [String] {
        ["faithfulness"] + w.images.map(\.path) + ["--model", w.model.path, "--method", "gradcam", "--layer", "layer4", "--threads", "1"]
            + extra + ["--out", (out ?? w.out).path]
    }

    static func isNumber(_ value: Any?) -> Bool { value is NSNumber || value is Double || value is Int }

    @Test func writesFaithfulnessJSONAndCSV() throws {
        let w = try Self.workspace()
        let (status, output) = try TrainerResumeTests.run(
            Self.arguments(
                w,
                [
                    "--metric", "drop", "increase", "road-morf", "road-combined", "deletion", "--percentiles", "30", "70", "--steps", "5",
                    "--batch-size", "4"
                ]))
        #expect(status == 0, "\(output)")
        let data = try Data(contentsOf: w.out.appendingPathComponent("faithfulness.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let maps = try #require(json["maps"] as? [[String: Any]])
        #expect(maps.count == 2)
        #expect(maps.map { $0["image"] as? String } == ["img0", "img1"])
        for m in maps {
            #expect(m["method"] as? String == "gradcam" && m["layer"] as? String == "layer4" && Self.isNumber(m["class"]))
            let metrics = try #require(m["metrics"] as? [String: Any])
            #expect(Set(metrics.keys) == ["drop", "increase", "road-morf", "road-combined", "deletion"])
            let morf = try #require(metrics["road-morf"] as? [String: Any])
            #expect(Set(morf.keys) == ["30", "70"])
            #expect(Self.isNumber(metrics["drop"]) && Self.isNumber(metrics["deletion"]))
        }
        let summary = try #require(json["summary"] as? [[String: Any]])
        #expect(summary.map { $0["metric"] as? String } == ["drop", "increase", "road-morf", "road-combined", "deletion"])
        #expect(Self.isNumber(summary.first?["average_drop_percent"]))
        let settings = try #require(json["settings"] as? [String: Any])
        let typed = try JSONDecoder().decode(FaithfulnessReport.self, from: data).settings
        #expect(typed.steps == 5 && typed.imputationNoise == 0.01 && typed.inputSize == 32 && typed.percentiles == [30, 70])
        #expect(settings["batch_size"] != nil && settings["target"] as? String == "softmax")
        let csv = try String(contentsOf: w.out.appendingPathComponent("faithfulness.csv"), encoding: .utf8)
        // 2 maps x (drop, increase, 2 percentiles, combined, deletion) + header.
        #expect(csv.split(separator: "\n").count == 1 + 2 * 6)
        #expect(csv.hasPrefix("image,method,layer,class,score,metric,percentile,value\n"))

        // --maps: the same maps read back from files give the same numbers; class 1 for both images.
        let mapsDir = w.dir.appendingPathComponent("maps")
        try FileManager.default.createDirectory(at: mapsDir, withIntermediateDirectories: true)
        let loaded = try ModelLoader.load(w.model)
        let input = try loaded.info.batch(w.images.map { try ImageCodec.decode(contentsOf: $0) })
        let e = try Explainer(model: loaded.model).explain(input, methods: [.gradCAM], layers: ["layer4"], targets: .classes([1]))
        for m in e.maps {
            let map = try MapRendering().displayMap(m.raw, height: 32, width: 32)
            try map.writeNPY(to: mapsDir.appendingPathComponent("img\(m.image).gradcam.layer4.1.npy"))
        }
        let fromFiles = w.dir.appendingPathComponent("from-files")
        let args = ["--metric", "drop", "road-lerf", "--percentiles", "50", "--imputation-noise", "0", "--class", "1"]
        let (s1, o1) = try TrainerResumeTests.run(Self.arguments(w, args + ["--maps", mapsDir.path], out: fromFiles))
        #expect(s1 == 0, "\(o1)")
        let (s2, o2) = try TrainerResumeTests.run(Self.arguments(w, args))
        #expect(s2 == 0, "\(o2)")
        let a = try JSONDecoder().decode(FaithfulnessReport.self, from: Data(contentsOf: fromFiles.appendingPathComponent("faithfulness.json")))
        let b = try JSONDecoder().decode(FaithfulnessReport.self, from: Data(contentsOf: w.out.appendingPathComponent("faithfulness.json")))
        #expect(a.maps.count == 2 && a.maps.map(\.metrics) == b.maps.map(\.metrics))
    }

    @Test(arguments: [
        (["--metric", "drop", "roads"], "unknown faithfulness metric 'roads'"),
        (["--metric", "road-morf", "--percentiles", "10", "100"], "percentile 100 is outside (0, 100)"),
        (["--metric", "road-morf", "--percentiles", "0"], "percentile 0 is outside (0, 100)"),
        (["--steps", "0"], "steps 0 is out of range"),
        (["--batch-size", "5000"], "batch size 5000 is out of range")
    ])
    func badOptionsFailBeforeWriting(extra: [String], message: String) throws {
        let w = try Self.workspace()
        let (status, output) = try TrainerResumeTests.run(Self.arguments(w, extra))
        #expect(status != 0)
        #expect(output.contains(message), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: w.out.path))
    }

    @Test func badMapFilesFailBeforeWriting() throws {
        let w = try Self.workspace()
        let mapsDir = w.dir.appendingPathComponent("maps")
        try FileManager.default.createDirectory(at: mapsDir, withIntermediateDirectories: true)
        let good = try FloatMap(width: 32, height: 32, repeating: 0.5)
        try good.writeNPY(to: mapsDir.appendingPathComponent("img0.gradcam.layer4.0.npy"))
        let args = ["--metric", "drop", "--class", "0", "--maps", mapsDir.path]
        // img1's map is missing, then of the wrong size, then holds NaN.
        var (status, output) = try TrainerResumeTests.run(Self.arguments(w, args))
        #expect(status != 0 && output.contains("no map for 'img1.gradcam.layer4.0'"), "\(output)")
        try FloatMap(width: 20, height: 20, repeating: 0.5).writeNPY(to: mapsDir.appendingPathComponent("img1.gradcam.layer4.0.npy"))
        (status, output) = try TrainerResumeTests.run(Self.arguments(w, args))
        #expect(status != 0 && output.contains("is 20x20: give the model's input size 32x32 or the image's 36x40"), "\(output)")
        var nan = [Float](repeating: 0.5, count: 32 * 32)
        nan[3] = .nan
        try FloatMap(width: 32, height: 32, values: nan).writeNPY(to: mapsDir.appendingPathComponent("img1.gradcam.layer4.0.npy"))
        (status, output) = try TrainerResumeTests.run(Self.arguments(w, args))
        #expect(status != 0 && output.contains("holds NaN or infinite values"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: w.out.path))
        // A map at the image's own size (36x40, explain's .map.npy) is resized to the input.
        try FloatMap(width: 40, height: 36, repeating: 0.25).writeNPY(to: mapsDir.appendingPathComponent("img1.gradcam.layer4.0.map.npy"))
        try FileManager.default.removeItem(at: mapsDir.appendingPathComponent("img1.gradcam.layer4.0.npy"))
        (status, output) = try TrainerResumeTests.run(Self.arguments(w, args))
        #expect(status == 0, "\(output)")
    }
}
