import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
@testable import CAMCore
@testable import CAMImaging
@testable import CAMFormats
@testable import CAMModels
@testable import CAMData
@testable import CAMExplain
@testable import CAMLocalize
@testable import CAMTrain
@testable import CAMReport
@testable import CAMJobs

/// CAMKit's explain engine against the two PyTorch CAM libraries, pytorch-grad-cam and torchcam
/// (fixtures from tools/make_explain_fixtures.py: the narrow torchvision bottleneck ResNet of the
/// model fixtures, 2 images of 48x64, layers layer4 (2x2) and layer3 (3x4), classes 0 and 2).
///
/// Tolerances: raw maps (feature resolution, before ReLU and normalisation) within 1e-4 of the peer's,
/// relative to the largest magnitude of the peer's map; normalised maps within 1e-3 (absolute, they
/// lie in [0, 1]). Eigen-CAM is compared up to sign, per image: the sign of an SVD is arbitrary;
/// CAMKit orients each map to agree with the channel-mean activation, the peer keeps whatever
/// LAPACK returns (and its ReLU then keeps one side or the other).
@Suite struct ExplainParityTests {
    static let rawTolerance: Float = 1e-4
    static let finalTolerance: Float = 1e-3

    struct Setup {
        let model: ResNet
        let input: Tensor
        let layers: [String]
        let classes: [Int]
        let pytorchGradCAM: SafeTensorsFile
        let torchcam: SafeTensorsFile
        var imageSize: (Int, Int) { (input.shape[2], input.shape[3]) }
        var images: Int { input.shape[0] }
    }

    /// A fresh model per test (the explainer toggles `requiresGrad` on its parameters).
    static func setup() throws -> Setup {
        let inputs = try SafeTensors.read(contentsOf: Fixtures.url("explain/input.safetensors"))
        let modelFile = try #require(inputs.metadata["model"])
        let model = try fixtureModel(modelFile)
        let input = try inputs.tensor("input")
        let logits = try withInferenceMode { try model(input) }
        // The maps were computed with these weights; stale fixtures fail here rather than everywhere.
        #expect(
            try relativeError(logits, inputs.tensor("logits")) < 1e-4,
            "\(modelFile) changed: rerun tools/make_explain_fixtures.py")
        return Setup(
            model: model, input: input,
            layers: try #require(inputs.metadata["layers"]).split(separator: ",").map(String.init),
            classes: try #require(inputs.metadata["classes"]).split(separator: ",").map { Int($0)! },
            pytorchGradCAM: try SafeTensors.read(contentsOf: Fixtures.url("explain/pytorch_grad_cam.safetensors")),
            torchcam: try SafeTensors.read(contentsOf: Fixtures.url("explain/torchcam.safetensors")))
    }

    /// A model fixture (`models/tv_*.safetensors`: the state dict under `model.`) as a torchvision ResNet.
    static func fixtureModel(_ modelFile: String) throws -> ResNet {
        let weights = try SafeTensors.read(contentsOf: Fixtures.url(modelFile))
        var state: [String: Tensor] = [:]
        for (key, t) in weights.tensors where key.hasPrefix("model.") { state[String(key.dropFirst(6))] = t }
        return try TorchvisionImport.model(from: state, file: modelFile)
    }

    /// Largest |a - b| relative to the largest |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        let x = try a.floats(), y = try b.floats()
        return maxAbsDifference(x, y) / max(y.map(abs).max() ?? 1, 1e-30)
    }

    static func absoluteError(_ a: Tensor, _ b: Tensor) throws -> Float {
        maxAbsDifference(try a.floats(), try b.floats())
    }

    /// The raw maps of all images for one combination, stacked: [N, h, w].
    static func raw(_ e: Explanation, _ method: CAMMethod, _ layer: String, _ c: Int, images: Int) throws -> Tensor {
        let maps = try (0..<images).map { i in
            try #require(e.map(image: i, method: method, layer: layer, classIndex: c), "no \(method) map at \(layer) for class \(c)").raw
        }
        return try Tensor.stack(maps)
    }

    /// pytorch-grad-cam's output for one map: ReLU and min-max at feature resolution, `cv2.resize` to the
    /// input, then ReLU and min-max again (its multi-layer aggregation step, run for one layer too).
    static func pytorchGradCAMFinal(_ raw: Tensor, size: (Int, Int)) throws -> Tensor {
        let once = try MapPostprocessing.normalize(raw, mode: .standard)
        return try MapPostprocessing.normalize(MapPostprocessing.upsample(once, to: size), mode: .standard)
    }

    static func report(_ peer: String, _ rows: [(String, Float, Float?)]) {
        var lines = ["max errors against \(peer) (raw: relative to the map's largest magnitude; final: absolute):"]
        for (key, raw, final) in rows {
            let f = final.map { String(format: "%.2e", $0) } ?? "-"
            lines.append("  \(key.padding(toLength: 32, withPad: " ", startingAt: 0)) raw \(String(format: "%.2e", raw))  final \(f)")
        }
        print(lines.joined(separator: "\n"))
    }

    // MARK: parity with the peers

    @Test func matchesPytorchGradCAM() throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        let methods: [CAMMethod] = [.gradCAM, .gradCAMPlusPlus, .xGradCAM, .layerCAM, .hiResCAM, .scoreCAM, .eigenCAM]
        var rows: [(String, Float, Float?)] = []
        for score in [ScoreKind.logit, .softmax] {
            // Every method, both layers and both classes from one explain call (one forward, one backward per class).
            let e = try explainer.explain(s.input, methods: methods, layers: s.layers, targets: .classes(s.classes), score: score)
            for method in methods {
                for layer in s.layers {
                    for c in s.classes {
                        let key = "\(method.rawValue).\(layer).\(score.rawValue)\(c)"
                        guard let want = s.pytorchGradCAM[key + ".raw"] else { continue }
                        var got = try Self.raw(e, method, layer, c, images: s.images)
                        if method == .eigenCAM {
                            // Up to sign, per image: flip CAMKit's map where it points the other way.
                            let current = got
                            let flipped = try (0..<s.images).map { i -> Tensor in
                                let map = try current[i]
                                let agreement = try (map * want[i]).sum().item()
                                return agreement < 0 ? try map.neg() : map
                            }
                            got = try Tensor.stack(flipped)
                        }
                        let rawError = try Self.relativeError(got, want)
                        #expect(rawError < Self.rawTolerance, "pytorch-grad-cam \(key) raw: \(rawError)")
                        var finalError: Float?
                        if let wantFinal = s.pytorchGradCAM[key + ".final"] {
                            let final = try Self.pytorchGradCAMFinal(got[0], size: s.imageSize)
                            #expect(final.shape == wantFinal.shape)
                            finalError = try Self.absoluteError(final, wantFinal)
                            #expect(finalError! < Self.finalTolerance, "pytorch-grad-cam \(key) final: \(finalError!)")
                        }
                        rows.append((key, rawError, finalError))
                    }
                }
            }
        }
        #expect(rows.count == s.pytorchGradCAM.tensors.keys.filter { $0.hasSuffix(".raw") }.count, "a fixture map was not compared")
        Self.report("pytorch-grad-cam", rows)
    }

    /// torchcam's Score-CAM masks (`.scaleThenUpsample`) and CAM normalisation (`.minMax`); its
    /// Grad-CAM++ is checked separately (`torchcamGradCAMPlusPlusIsNotGradCAMPlusPlus`).
    @Test func matchesTorchcam() throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        explainer.scoreCAMMasking = .scaleThenUpsample
        let methods: [CAMMethod] = [.gradCAM, .xGradCAM, .layerCAM, .scoreCAM]
        var rows: [(String, Float, Float?)] = []
        func compare(_ e: Explanation, _ method: CAMMethod, _ layer: String, _ c: Int, _ score: ScoreKind) throws {
            let key = "\(method.rawValue).\(layer).\(score.rawValue)\(c)"
            let want = try s.torchcam.tensor(key + ".raw"), wantFinal = try s.torchcam.tensor(key + ".final")
            let got = try Self.raw(e, method, layer, c, images: s.images)
            let rawError = try Self.relativeError(got, want)
            #expect(rawError < Self.rawTolerance, "torchcam \(key) raw: \(rawError)")
            // torchcam normalises at feature resolution; without ReLU for CAM only.
            let final = try MapPostprocessing.normalize(got, mode: method == .cam ? .minMax : .standard)
            let finalError = try Self.absoluteError(final, wantFinal)
            #expect(finalError < Self.finalTolerance, "torchcam \(key) final: \(finalError)")
            rows.append((key, rawError, finalError))
        }
        let cam = try explainer.explain(s.input, methods: [.cam], layers: ["layer4"], targets: .classes(s.classes))
        for c in s.classes { try compare(cam, .cam, "layer4", c, .logit) }
        for score in [ScoreKind.logit, .softmax] {
            let e = try explainer.explain(s.input, methods: methods, layers: s.layers, targets: .classes(s.classes), score: score)
            for method in methods {
                for layer in s.layers {
                    for c in s.classes { try compare(e, method, layer, c, score) }
                }
            }
        }
        Self.report("torchcam", rows)
    }

    /// The default Score-CAM masks are pytorch-grad-cam's; torchcam's order gives measurably different
    /// weights (so the option is not a no-op), and the chunking of masked forwards changes nothing.
    @Test func scoreCAMMaskingVariantsDiffer() throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        explainer.scoreCAMBatchSize = 5
        let small = try explainer.explain(s.input, methods: [.scoreCAM], layers: ["layer3"], targets: .classes([0]))
        explainer.scoreCAMBatchSize = 64
        let large = try explainer.explain(s.input, methods: [.scoreCAM], layers: ["layer3"], targets: .classes([0]))
        explainer.scoreCAMMasking = .scaleThenUpsample
        let torchcamOrder = try explainer.explain(s.input, methods: [.scoreCAM], layers: ["layer3"], targets: .classes([0]))
        let a = try Self.raw(small, .scoreCAM, "layer3", 0, images: 2)
        #expect(try Self.relativeError(a, Self.raw(large, .scoreCAM, "layer3", 0, images: 2)) < 1e-5)
        #expect(try Self.relativeError(a, Self.raw(torchcamOrder, .scoreCAM, "layer3", 0, images: 2)) > 1e-3)
    }

    /// torchcam 0.5's Grad-CAM++ divides a copy (`alpha[idx][mask].div_(...)` on a boolean-indexed
    /// view), so its α stays g² and its channel weights are Σ_ij ReLU(g)³: not Grad-CAM++, so CAMKit
    /// offers no variant for it. This pins that reading of the peer, with this test's own gradients.
    @Test func torchcamGradCAMPlusPlusIsNotGradCAMPlusPlus() throws {
        let s = try Self.setup()
        for layer in s.layers {
            for score in [ScoreKind.logit, .softmax] {
                for c in s.classes {
                    let (a, g) = try Self.autogradGradient(s.model, s.input, layer: layer, classIndex: c, score: score)
                    let cubes = try g.relu().pow(3).sum(dims: [2, 3])
                    let torchcamReading = try ChannelWeighting.weightedSum(a, weights: cubes)
                    let want = try s.torchcam.tensor("gradcam++.\(layer).\(score.rawValue)\(c).raw")
                    #expect(try Self.relativeError(torchcamReading, want) < Self.rawTolerance, "\(layer) \(score) \(c)")
                    #expect(try Self.relativeError(ChannelWeighting.gradCAMPlusPlus(a, g), want) > 0.5)
                }
            }
        }
    }

    // MARK: internal consistency

    /// Activations and the gradient of the summed target score at `layer`, by this test's own backward.
    static func autogradGradient(_ model: ResNet, _ x: Tensor, layer: String, classIndex: Int, score: ScoreKind) throws -> (Tensor, Tensor) {
        try withGrad {
            let out = try model.forward(x, tapping: [layer], gradientsFrom: layer)
            let a = try #require(out.activations[layer])
            let scores = score == .logit ? out.logits : try Functional.softmax(out.logits, dim: 1)
            let g = try Autograd.gradients(of: scores.select(dim: 1, index: classIndex).sum(), wrt: [a])[0]
            return (try a.detach(), g)
        }
    }

    /// At the layer feeding global average pooling the engine uses the closed-form gradient
    /// (W_c / hw, or p_c (W_c - Σ_j p_j W_j) / hw for a softmax target): every gradient method there
    /// equals the same method fed with autograd gradients, and layer4's maps do not depend on whether
    /// layer3 (which needs the real backward) was requested too.
    @Test(arguments: [ScoreKind.logit, .softmax])
    func closedFormLastLayerEqualsAutograd(_ score: ScoreKind) throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        let methods: [CAMMethod] = [.gradCAM, .gradCAMPlusPlus, .xGradCAM, .layerCAM, .hiResCAM]
        let classes = Array(0..<s.model.spec.classes)
        let alone = try explainer.explain(s.input, methods: methods, layers: ["layer4"], targets: .classes(classes), score: score)
        let both = try explainer.explain(s.input, methods: methods, layers: ["layer3", "layer4"], targets: .classes(classes), score: score)
        for c in classes {
            let (a, g) = try Self.autogradGradient(s.model, s.input, layer: "layer4", classIndex: c, score: score)
            for method in methods {
                let expected: Tensor
                switch method {
                case .gradCAM: expected = try ChannelWeighting.gradCAM(a, g)
                case .gradCAMPlusPlus: expected = try ChannelWeighting.gradCAMPlusPlus(a, g)
                case .xGradCAM: expected = try ChannelWeighting.xGradCAM(a, g)
                case .layerCAM: expected = try ChannelWeighting.layerCAM(a, g)
                default: expected = try ChannelWeighting.hiResCAM(a, g)
                }
                let got = try Self.raw(alone, method, "layer4", c, images: s.images)
                let error = try Self.relativeError(got, expected)
                #expect(error < Self.rawTolerance, "\(method) class \(c) \(score): \(error)")
                #expect(try Self.absoluteError(got, Self.raw(both, method, "layer4", c, images: s.images)) == 0)
            }
        }
    }

    /// A caller's no-grad scope does not break the backward (the target score is recorded in grad mode).
    @Test(arguments: [ScoreKind.logit, .softmax])
    func explainInsideNoGradScope(_ score: ScoreKind) throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        let plain = try explainer.explain(s.input, methods: [.gradCAM], layers: ["layer3"], targets: .classes([2]), score: score)
        let scoped = try withNoGrad {
            try explainer.explain(s.input, methods: [.gradCAM], layers: ["layer3"], targets: .classes([2]), score: score)
        }
        #expect(try Self.absoluteError(Self.raw(scoped, .gradCAM, "layer3", 2, images: 2), Self.raw(plain, .gradCAM, "layer3", 2, images: 2)) == 0)
    }

    /// Grad-CAM at the last layer for a logit target is CAM / (h·w), for every class.
    @Test func gradCAMAtLastLayerIsCAMOverArea() throws {
        let s = try Self.setup()
        let classes = Array(0..<s.model.spec.classes)
        let e = try Explainer(model: s.model).explain(s.input, methods: [.cam, .gradCAM], layers: ["layer4"], targets: .classes(classes))
        for c in classes {
            let cam = try Self.raw(e, .cam, "layer4", c, images: s.images)
            let area = Double(cam.shape[1] * cam.shape[2])
            let gradCAM = try Self.raw(e, .gradCAM, "layer4", c, images: s.images)
            #expect(try Self.relativeError(gradCAM, cam / area) < 1e-5, "class \(c)")
        }
    }

    /// `camForAllClasses` (one matmul) equals per-class `explain` for every class, logits included.
    @Test func camForAllClassesEqualsPerClassCAM() throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        let all = try explainer.camForAllClasses(s.input)
        #expect(all.maps.shape == [s.images, s.model.spec.classes, 2, 2])
        for c in 0..<s.model.spec.classes {
            let e = try explainer.explain(s.input, methods: [.cam], layers: ["layer4"], targets: .classes([c]))
            let perClass = try Self.raw(e, .cam, "layer4", c, images: s.images)
            #expect(try Self.relativeError(all.maps.select(dim: 1, index: c), perClass) < 1e-6, "class \(c)")
            #expect(try Self.relativeError(all.logits, e.logits) < 1e-6)
        }
    }

    /// The explanation says which pairs it left out, and names its top classes from the probabilities.
    @Test func explanationCarriesSkippedPairsAndNamedTopClasses() throws {
        let s = try Self.setup()
        let e = try Explainer(model: s.model).explain(s.input, methods: [.cam, .gradCAM], layers: ["layer3", "layer4"])
        #expect(
            e.skipped == [
                SkippedPair(
                    method: "cam", layer: "layer3",
                    reason: "CAM is defined only at the layer feeding global average pooling ('layer4')")
            ])
        #expect(Set(e.maps.map { "\($0.method.rawValue)/\($0.layer)" }) == ["cam/layer4", "gradcam/layer3", "gradcam/layer4"])
        let names = ["a", "b", "c"]
        for image in 0..<s.input.shape[0] {
            let top = try e.topClasses(image: image, k: 4, names: names)
            let p = try e.probabilities[image].floats()
            #expect(top.map(\.classIndex) == p.indices.sorted { p[$0] > p[$1] }.prefix(4).map { $0 })
            #expect(top.map(\.name) == top.map { $0.classIndex < 3 ? names[$0.classIndex] : "class_\($0.classIndex)" })
            #expect(top[0].classIndex == e.targets[image][0])
            #expect(abs(top[0].probability - Double(p[top[0].classIndex])) < 1e-7)
        }
        let plan = try MapPlan(methods: [.cam, .gradCAM], layers: ["layer3", "layer4"], lastLayer: "layer4")
        #expect(plan.pairs.map { "\($0.method.rawValue)/\($0.layer)" } == ["cam/layer4", "gradcam/layer3", "gradcam/layer4"])
        #expect(plan.skipped == e.skipped)
        #expect(throws: ExplainError.self) { try MapPlan(methods: [.cam], layers: ["layer3"], lastLayer: "layer4") }
        #expect(throws: ExplainError.self) {
            try MapPlan(methods: [.cam], layers: ["layer3", "layer4"], lastLayer: "layer4", camOnlyAtLastLayer: false)
        }
    }

    // MARK: bad input

    @Test func unknownLayerListsValidNames() throws {
        let s = try Self.setup()
        #expect {
            try Explainer(model: s.model).explain(s.input, methods: [.gradCAM], layers: ["layer4", "layer9"])
        } throws: { error in
            let text = String(describing: error)
            return error is UnknownLayerError && text.contains("'layer9'") && !text.contains("'layer4'")
                && text.contains("valid layers:") && text.contains("layer3.0") && text.contains("layer4")
        }
    }

    /// `fc` and `avgpool` are listed by `camkit layers` but have no spatial map: a clear error (#20).
    @Test func layersWithoutASpatialMapAreRejected() throws {
        let s = try Self.setup()
        for (layer, method) in [("fc", CAMMethod.gradCAM), ("avgpool", .gradCAM), ("fc", .eigenCAM)] {
            #expect {
                try Explainer(model: s.model).explain(s.input, methods: [method], layers: [layer])
            } throws: { error in
                guard case ExplainError.notSpatial(let l, _) = error, l == layer else { return false }
                return (error as? ExplainError)?.errorKind == .badInput && "\(error)".contains("convolutional layer")
            }
        }
    }

    @Test func classOutOfRangeIsRejected() throws {
        let s = try Self.setup()
        let explainer = Explainer(model: s.model)
        for targets: TargetSelection in [.classes([0, 5]), .classes([-1]), .perImage([0, 7])] {
            #expect {
                try explainer.explain(s.input, methods: [.cam], layers: ["layer4"], targets: targets)
            } throws: { error in
                guard case ExplainError.classOutOfRange = error else { return false }
                return String(describing: error).contains("5 classes (0...4)")
            }
        }
        #expect(throws: ExplainError.self) {
            try explainer.explain(s.input, methods: [.cam], layers: ["layer4"], targets: .perImage([0]))
        }
        #expect(throws: ExplainError.self) {
            try explainer.explain(s.input, methods: [.cam], layers: ["layer4"], targets: .topK(6))
        }
    }

    @Test func camAtNonLastLayerIsRejected() throws {
        let s = try Self.setup()
        #expect {
            try Explainer(model: s.model).explain(s.input, methods: [.gradCAM, .cam], layers: ["layer3"])
        } throws: { error in
            guard case let ExplainError.camNeedsLastLayer(layer, last) = error else { return false }
            return layer == "layer3" && last == "layer4" && String(describing: error).contains("gradcam")
        }
        // Among several layers, CAM is made at the last one only; Grad-CAM at every one.
        let e = try Explainer(model: s.model).explain(s.input, methods: [.gradCAM, .cam], layers: ["layer4", "layer3"])
        #expect(Set(e.maps.filter { $0.method == .cam }.map(\.layer)) == ["layer4"])
        #expect(Set(e.maps.filter { $0.method == .gradCAM }.map(\.layer)) == ["layer4", "layer3"])
    }

    // MARK: normalisation

    /// All-zero, all-negative, constant and single-pixel maps: never NaN, at most 1 (and at least 0 but
    /// for the tutorial's mode, which keeps negative values), in every mode, batched or not, before and
    /// after upsampling.
    @Test(arguments: MapNormalization.allCases)
    func normalizationNeverYieldsNaN(_ mode: MapNormalization) throws {
        let cases: [(String, Tensor)] = [
            ("zeros", try Tensor.zeros([3, 4])),
            ("negative", try Tensor([-1, -2, -3, -0.5, -4, -1] as [Float], shape: [2, 3])),
            ("constant negative", try Tensor.full([2, 2], value: -3)),
            ("constant positive", try Tensor.full([2, 2], value: 2)),
            ("single pixel", try Tensor([-0.25] as [Float], shape: [1, 1])),
            ("tiny", try Tensor([1e-30, 0, -1e-30, 2e-30] as [Float], shape: [2, 2])),
            ("batch of zeros and mixed", try Tensor([0, 0, 0, 0, -1, 2, 0.5, -3] as [Float], shape: [2, 2, 2]))
        ]
        for (name, raw) in cases {
            for map in [
                try MapPostprocessing.normalize(raw, mode: mode),
                try MapPostprocessing.upsample(MapPostprocessing.normalize(raw, mode: mode), to: (5, 7))
            ] {
                let values = try map.floats()
                #expect(!values.contains { $0.isNaN }, "\(mode) \(name): NaN")
                // The tutorial divides by the maximum without ReLU: negative values stay negative.
                let floor: Float = mode == .tutorial ? -.infinity : 0
                #expect(values.allSatisfy { $0 >= floor && $0 <= 1 }, "\(mode) \(name): \(values)")
            }
            let normalized = try MapPostprocessing.normalize(raw, mode: mode)
            #expect(normalized.shape == raw.shape)
            // Which maps carry nothing to show: no positive value (tutorial, standard), no range (standard, minMax).
            let values = try raw.floats()
            let noPositive = values.allSatisfy { $0 <= 0 }, constant = Set(values).count == 1
            let empty: Bool
            switch mode {
            case .tutorial: empty = noPositive
            case .standard: empty = noPositive || constant
            case .minMax: empty = constant
            }
            if empty {
                #expect(try normalized.floats().allSatisfy { $0 == 0 }, "\(mode) \(name) should be all zeros")
            }
        }
        // A map with both signs: the modes differ only in what they do with negative values.
        let mixed = try Tensor([-2, 0, 1, 4] as [Float], shape: [2, 2])
        let expected: [MapNormalization: [Float]] = [.tutorial: [-0.5, 0, 0.25, 1], .standard: [0, 0, 0.25, 1], .minMax: [0, 1.0 / 3, 0.5, 1]]
        #expect(maxAbsDifference(try MapPostprocessing.normalize(mixed, mode: mode).floats(), expected[mode]!) < 1e-6)
    }
}
