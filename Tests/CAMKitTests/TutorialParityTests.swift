import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// The reference tutorial's own `generate_cam` / `generate_grad_cam` / `get_bbox` / `rect_to_minmax` /
/// `get_iou`, run by TensorFlow on tiny_resnet_keras2.h5 (tools/make_tutorial_fixtures.py), against
/// CAMKit's pipeline on the same file and image: ModelLoader (preprocessing `.seed`), Explainer with
/// a softmax score, `.tutorial` normalisation, bilinear upsampling, the tutorial box rule and IoU.
///
/// Tolerances, from what differs between the two sides (measured values on the 2-core x86 dev
/// machine, TF 2.21 / OpenCV 4.14 fixtures vs libtorch 1.13 / OpenCV 4.6, in brackets):
/// - input: `tf.image.resize` and libtorch's bilinear interpolation (half-pixel centres, no
///   antialiasing) are one formula in float32. Bound 1e-6 absolute [0: bit-identical].
/// - probabilities: float32 networks with different kernels (TF/oneDNN vs libtorch). Bound 1e-5
///   absolute [1.5e-7].
/// - maps: the same, plus the tutorial sums channels one by one in float32 where CAMKit does a
///   matmul. Compared relative to the tutorial map's largest |value|, because dividing by the
///   maximum magnifies absolute errors where the positive maximum is small (Grad-CAM at conv4 ends
///   at -64.5). Bound 1e-4 relative, well above float32 noise through a network yet far below any
///   real mistake (wrong layer, class, score, normalisation or resize: errors of 1e-2 and more)
///   [CAM 3.6e-7, Grad-CAM conv5 1.3e-6, conv4 7.7e-7, conv3 7.1e-7; the CLI's .npy <= 2.8e-6].
///   For the O(1) CAM also 1e-5 absolute [3.6e-7].
/// - cv2.resize INTER_LINEAR vs `MapPostprocessing.upsample` on the same float32 map: bound 1e-5
///   absolute [2x2: 1.2e-7, 8x8: 3.6e-7].
/// - boxes: exact (corners and `rect_to_minmax`). The tutorial rule's only decision point is the
///   0.05 threshold; expected.json records how far the nearest value is from it (>= 1.4e-4 here,
///   two orders above the map error).
/// - IoU: 1e-6. The tutorial's ground truth is a float32 array, so NumPy computes its area in
///   float32; CAMKit computes in Double [CAM 3.9e-8, Grad-CAM <= 1.9e-9].
@Suite struct TutorialParityTests {
    struct MapEntry: Decodable {
        let method: String
        let layer: String
        let file: String
        let feature_shape: [Int]
        let rect: [[Int]]
        let pred_bbox: [Double]
        let iou: Double
        let box_decision_margin: Double
    }

    struct ResizeCheck: Decodable {
        let `in`: String
        let out: String
    }

    struct Expected: Decodable {
        let label: Int
        let resize_checks: [ResizeCheck]
        let height: Int
        let width: Int
        let input_size: Int
        let layers: [String]
        let probabilities: [Double]
        let gt_bbox: [Double]
        let maps: [String: MapEntry]
    }

    static let directory = "tutorial"
    static let modelURL = Fixtures.url("keras/tiny_resnet_keras2.h5")
    static let imageURL = Fixtures.url("tutorial/image.png")
    static let mapKeys = ["cam", "gradcam.conv5_block1_out", "gradcam.conv4_block1_out", "gradcam.conv3_block1_out"]

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.url("tutorial/expected.json")))
    }

    static func npy(_ name: String) throws -> (values: [Float], shape: [Int]) {
        let array = try NPY.read(contentsOf: Fixtures.url("tutorial/\(name)"))
        return (array.floatValues(), array.shape)
    }

    /// Largest |a - b| relative to the largest |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        maxAbsDifference(a, b) / max(b.map(abs).max() ?? 1, 1e-12)
    }

    /// The model as the tutorial loads it, and the image as a one-image NCHW batch.
    static func setup() throws -> (model: LoadedModel, image: Image, batch: Tensor) {
        let model = try ModelLoader.load(modelURL, preprocessing: .seed)
        let image = try ImageCodec.decode(contentsOf: imageURL)
        let batch = try model.info.preprocessing.apply(pixels: image.tensor(), size: model.info.inputSize).unsqueeze(0)
        return (model, image, batch)
    }

    /// CAMKit's version of one tutorial map: explain, `.tutorial` normalisation, bilinear upsample
    /// to the image size (`ExplainJob.imageMap`, what `camkit explain --raw` saves).
    static func camkitMap(_ key: String, setup s: (model: LoadedModel, image: Image, batch: Tensor), label: Int) throws -> Tensor {
        let entry = try #require(try expected().maps[key])
        let method = try CAMMethod(name: entry.method)
        let e = try Explainer(model: s.model.model).explain(
            s.batch, methods: [method], layers: [entry.layer], targets: .classes([label]), score: .softmax)
        let raw = try #require(e.map(image: 0, method: method, layer: entry.layer, classIndex: label)).raw
        #expect(raw.shape == entry.feature_shape, "\(key)")
        var options = ExplainOptions(methods: [method], layers: [entry.layer])
        options.normalization = .tutorial
        return try ExplainJob.imageMap(raw, size: (s.image.height, s.image.width), options: options)
    }

    @Test func fixtureModelAndLayersAreTheTutorials() throws {
        let e = try Self.expected()
        let s = try Self.setup()
        #expect(s.model.info.inputSize == e.input_size && s.model.info.preprocessing == .seed)
        #expect(s.image.width == e.width && s.image.height == e.height && s.image.channels == 3)
        // The tutorial's model.layers[-3]: the layer feeding GAP.
        #expect(s.model.model.lastFeatureLayer == e.layers[0])
        #expect(e.maps.count == Self.mapKeys.count)
        for key in Self.mapKeys { #expect(e.maps[key] != nil, "\(key)") }
    }

    /// `Preprocessing.seed` is the tutorial's `tf.image.resize(image, [64, 64]) / 255`.
    @Test func seedPreprocessingMatchesTFImageResize() throws {
        let s = try Self.setup()
        let want = try Self.npy("input.npy")
        #expect(want.shape == [64, 64, 3])
        let got = try s.batch[0].permute([1, 2, 0]).contiguous().floats()
        let err = maxAbsDifference(got, want.values)
        #expect(err < 1e-6, "input max |error| \(err)")
    }

    @Test func probabilitiesMatchKeras() throws {
        let e = try Self.expected()
        let s = try Self.setup()
        let p = try Functional.softmax(s.model.model(s.batch), dim: 1).floats()
        let err = maxAbsDifference(p, e.probabilities.map(Float.init))
        #expect(err < 1e-5, "probabilities max |error| \(err)")
    }

    /// The label was chosen for mixed-sign maps: the comparison covers the tutorial's negative values.
    @Test(arguments: mapKeys)
    func mapMatchesTheTutorial(_ key: String) throws {
        let e = try Self.expected()
        let entry = try #require(e.maps[key])
        let want = try Self.npy(entry.file)
        #expect(want.shape == [e.height, e.width])
        let got = try Self.camkitMap(key, setup: try Self.setup(), label: e.label)
        #expect(got.shape == [e.height, e.width])
        let err = Self.relativeError(try got.floats(), want.values)
        #expect(err < 1e-4, "\(key): max relative error \(err)")
        #expect(want.values.contains { $0 < 0 }, "\(key): the fixture map should have negative values")
    }

    /// The tutorial's last step alone: `cv2.resize(map, (90, 70))` (INTER_LINEAR) and
    /// `MapPostprocessing.upsample` on the same float32 maps (2x2 and 8x8, mixed signs).
    @Test func upsampleMatchesCV2Resize() throws {
        let e = try Self.expected()
        #expect(e.resize_checks.count == 2)
        for check in e.resize_checks {
            let small = try Self.npy(check.in), big = try Self.npy(check.out)
            let up = try MapPostprocessing.upsample(Tensor(small.values, shape: small.shape), to: (e.height, e.width))
            #expect(up.shape == big.shape)
            let err = maxAbsDifference(try up.floats(), big.values)
            #expect(err < 1e-5, "\(check.in): max |error| \(err)")
        }
    }

    /// Where the map is O(1) everywhere (the CAM: its range is [-0.47, 1]) the whole pipeline agrees
    /// in absolute terms too.
    @Test func camAgreesAbsolutely() throws {
        let e = try Self.expected()
        let want = try Self.npy("cam.npy")
        let got = try Self.camkitMap("cam", setup: try Self.setup(), label: e.label).floats()
        let err = maxAbsDifference(got, want.values)
        #expect(err < 1e-5, "cam max |error| \(err)")
    }

    /// `get_bbox` + `rect_to_minmax` + `get_iou` by CAMKit's tutorial rule, on CAMKit's map and on the
    /// tutorial's own map: the same corners, the same normalised box, the same IoU.
    @Test(arguments: mapKeys)
    func boxesAndIoUMatchTheTutorial(_ key: String) throws {
        let e = try Self.expected()
        let entry = try #require(e.maps[key])
        #expect(entry.box_decision_margin > 1e-5, "\(key): fixture too close to the 0.05 threshold")
        let truth = try #require(BoundingBox(e.gt_bbox))
        let wantCorners = entry.rect.map { [$0[0], $0[1]] }.sorted { $0.lexicographicallyPrecedes($1) }
        let tutorialMap = try FloatMap(width: e.width, height: e.height, values: try Self.npy(entry.file).values)
        let ours = try FloatMap(tensor: Self.camkitMap(key, setup: try Self.setup(), label: e.label))
        for (which, map) in [("tutorial map", tutorialMap), ("camkit map", ours)] {
            let prediction = try BoxExtractor.boxes(in: map, rule: .tutorial)
            let box = try #require(prediction.primary, "\(key) \(which): no box")
            let corners = box.polygon.map { [Int($0.x), Int($0.y)] }.sorted { $0.lexicographicallyPrecedes($1) }
            #expect(corners == wantCorners, "\(key) \(which): corners")
            let n = box.normalized
            #expect([n.ymin, n.xmin, n.ymax, n.xmax] == entry.pred_bbox, "\(key) \(which): rect_to_minmax")
            let iou = box.iou(with: truth)
            #expect(abs(iou - entry.iou) < 1e-6, "\(key) \(which): IoU \(iou) vs \(entry.iou)")
            #expect(abs(IoU.normalized(n, truth) - entry.iou) < 1e-6)
        }
    }
}

/// `camkit explain`'s output contract, on the tutorial fixture: per image/method/layer/class an
/// overlay PNG, with `--raw` a float32 H×W `.npy` named `<stem>.<method>.<layer>.<class>.npy`, and
/// `explain.json` with per image the top-5 classes (logits, probabilities) and the files written.
/// Runs the built `camkit` as a subprocess.
@Suite struct TutorialExplainCommandTests {
    static var camkit: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("camkit")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = camkit
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct Report: Decodable {
        struct Score: Decodable {
            let `class`: Int
            let name: String
            let logit: Double
            let probability: Double
        }
        struct Entry: Decodable {
            let image: String
            let width: Int
            let height: Int
            let top5: [Score]
            let files: [String]
        }
        struct Skipped: Decodable { let method: String; let layer: String; let reason: String }
        let methods: [String]
        let layers: [String]
        let score: String
        let normalize: String
        let images: [Entry]
        let skipped: [Skipped]
    }

    @Test func explainWritesTheContractsFiles() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.camkit.path) else {
            Issue.record("camkit not built at \(Self.camkit.path)")
            return
        }
        let e = try TutorialParityTests.expected()
        let out = try Fixtures.temporaryDirectory("camkit-tutorial-explain")
        // A second image (a copy under another stem) checks the per-image entries.
        let second = out.appendingPathComponent("copy.png")
        try FileManager.default.copyItem(at: TutorialParityTests.imageURL, to: second)
        let layers = e.layers
        let predicted = try #require(e.probabilities.indices.max { e.probabilities[$0] < e.probabilities[$1] })
        let classes = [predicted, e.label]
        let result = try Self.run(
            [
                "explain", TutorialParityTests.imageURL.path, second.path, "--model", TutorialParityTests.modelURL.path,
                "--preprocess", "seed", "--method", "cam", "gradcam", "--layer"
            ] + layers
                + ["--class"] + classes.map(String.init)
                + ["--score", "softmax", "--normalize", "tutorial", "--raw", "--maps", "--threads", "1", "--out", out.path])
        #expect(result.status == 0, "\(result.output)")

        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("explain.json")))
        #expect(report.methods == ["cam", "gradcam"] && report.layers == layers)
        #expect(report.score == "softmax" && report.normalize == "tutorial")
        // CAM runs only at the last layer; its other pairs are reported, not silently dropped.
        #expect(report.skipped.map(\.layer) == Array(layers.dropFirst()) && report.skipped.allSatisfy { $0.method == "cam" })
        #expect(report.images.count == 2)

        for (entry, stem) in zip(report.images, ["image", "copy"]) {
            #expect(entry.width == e.width && entry.height == e.height)
            // Top 5 of a 5-class model: every class, by probability, with the logits that give them.
            #expect(entry.top5.count == 5 && entry.top5[0].class == predicted)
            #expect(zip(entry.top5, entry.top5.dropFirst()).allSatisfy { $0.probability >= $1.probability })
            for s in entry.top5 { #expect(abs(s.probability - e.probabilities[s.class]) < 1e-5) }
            let logits = entry.top5.map(\.logit), z = logits.map { exp($0 - logits.max()!) }.reduce(0, +)
            for s in entry.top5 { #expect(abs(exp(s.logit - logits.max()!) / z - s.probability) < 1e-5) }

            var expectedFiles: [String] = []
            for c in classes {
                for layer in layers {
                    for method in ["cam", "gradcam"] where method == "gradcam" || layer == layers[0] {
                        expectedFiles += [
                            "\(stem).\(method).\(layer).\(c).png", "\(stem).\(method).\(layer).\(c).npy",
                            "\(stem).\(method).\(layer).\(c).map.npy"
                        ]
                    }
                }
            }
            #expect(Set(entry.files) == Set(expectedFiles) && entry.files.count == expectedFiles.count, "\(entry.files)")
            for file in entry.files {
                let url = out.appendingPathComponent(file)
                if file.hasSuffix(".png") {
                    let png = try ImageCodec.decode(contentsOf: url)
                    #expect(png.width == e.width && png.height == e.height && png.channels == 3, "\(file)")
                } else if file.hasSuffix(".map.npy") {
                    let array = try NPY.read(contentsOf: url)
                    #expect(array.dtype == .float32 && array.shape == [e.height, e.width], "\(file)")
                } else {
                    // The raw map: feature resolution, at most the image's size.
                    let array = try NPY.read(contentsOf: url)
                    #expect(array.dtype == .float32 && array.shape.count == 2 && array.shape[0] < e.height, "\(file)")
                }
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(Set(names) == Set(report.images.flatMap(\.files) + ["explain.json", "copy.png"]))

        // With --normalize tutorial the .map.npy is the tutorial's cam_image.
        for key in TutorialParityTests.mapKeys {
            let entry = try #require(e.maps[key])
            let got = try NPY.read(contentsOf: out.appendingPathComponent("image.\(entry.method).\(entry.layer).\(e.label).map.npy"))
            let want = try TutorialParityTests.npy(entry.file)
            let err = TutorialParityTests.relativeError(got.floatValues(), want.values)
            #expect(err < 1e-4, "\(key): \(err)")
        }
    }

    @Test func camAloneAtAnotherLayerFailsWithAHint() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.camkit.path) else {
            Issue.record("camkit not built at \(Self.camkit.path)")
            return
        }
        let out = try Fixtures.temporaryDirectory("camkit-tutorial-explain-bad")
        let result = try Self.run(
            [
                "explain", TutorialParityTests.imageURL.path, "--model", TutorialParityTests.modelURL.path,
                "--method", "cam", "--layer", "conv4_block1_out", "--threads", "1", "--out", out.path
            ])
        #expect(result.status != 0)
        #expect(result.output.contains("conv5_block1_out") && result.output.contains("gradcam"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("explain.json").path))
    }
}
