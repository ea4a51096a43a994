import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// Keras' outputs for one model, as tools/make_keras_graph_fixtures.py and
/// tools/compare_keras_applications.py write them, and the comparison of a `GraphNetwork` with them.
struct KerasReference {
    /// `model.summary()`, the totals, and where the scripts took Grad-CAM.
    struct Manifest: Decodable {
        struct Row: Decodable {
            let name: String
            let shape: [Int?]
            let parameters: Int
        }
        let size: Int
        let summary: [Row]
        let total: Int
        let trainable: Int
        let feature_layer: String?
        let gradcam_layers: [String]
    }

    let manifest: Manifest
    /// NCHW, as CAMKit takes it.
    let input: Tensor
    let probabilities: Tensor
    /// The tapped layers.
    let layerNames: [String]
    /// A layer's output, NHWC as Keras gives it (batch dimension optional: image 0 only).
    let layer: (String) throws -> Tensor
    let gradCAM: (String) throws -> Tensor

    /// A small model's fixture: NAME_ref.safetensors + NAME_ref.json.
    init(fixture name: String) throws {
        manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Fixtures.url("keras-graph/\(name)_ref.json")))
        let file = try SafeTensors.read(contentsOf: Fixtures.url("keras-graph/\(name)_ref.safetensors"))
        let tensors = file.tensors
        input = try #require(tensors["input"]).permute([0, 3, 1, 2]).contiguous()
        probabilities = try #require(tensors["probabilities"])
        layerNames = file.order.filter { $0.hasPrefix("layer/") }.map { String($0.dropFirst(6)) }
        layer = { try #require(tensors["layer/\($0)"]) }
        gradCAM = { try #require(tensors["gradcam/\($0)"]) }
    }

    init(
        manifest: Manifest, input: Tensor, probabilities: Tensor, layerNames: [String], layer: @escaping (String) throws -> Tensor,
        gradCAM: @escaping (String) throws -> Tensor
    ) {
        (self.manifest, self.input, self.probabilities, self.layerNames) = (manifest, input, probabilities, layerNames)
        (self.layer, self.gradCAM) = (layer, gradCAM)
    }

    /// Largest relative errors of `network` against Keras.
    struct Errors: Encodable {
        var layers = 0
        var worst_layer = ""
        var worst_error: Float = 0
        var probabilities: Float = 0
        var gradcam: Float = 0
        var missing: [String] = []
    }

    /// Every tapped layer, the probabilities and the tutorial's Grad-CAM at the manifest's layers.
    func compare(_ network: GraphNetwork) throws -> Errors {
        var e = Errors()
        let taps = layerNames.filter { network.layerNames.contains($0) }
        e.missing = layerNames.filter { !network.layerNames.contains($0) }
        let out = try withInferenceMode { try network.forward(input, tapping: taps) }
        for tap in taps {
            let theirs = try layer(tap)
            var mine = try KerasModelTests.nhwc(#require(out.activations[tap]))
            if theirs.rank == mine.rank - 1 { mine = try mine.slice(dim: 0, start: 0, end: 1).squeeze(0) }
            let error = try KerasModelTests.relativeError(mine, theirs)
            if error > e.worst_error || e.worst_layer.isEmpty { (e.worst_layer, e.worst_error) = (tap, error) }
        }
        e.layers = taps.count
        e.probabilities = try KerasModelTests.relativeError(Functional.softmax(out.logits, dim: 1), probabilities)
        let explanation = try Explainer(model: network).explain(
            input.slice(dim: 0, start: 0, end: 1), methods: [.gradCAM], layers: manifest.gradcam_layers, score: .softmax)
        for name in manifest.gradcam_layers {
            let raw = try #require(explanation.maps.first { $0.layer == name }).raw
            e.gradcam = max(e.gradcam, try KerasModelTests.relativeError(raw, gradCAM(name)))
        }
        return e
    }

    /// Where `camkit layers` differs from `model.summary()`. summary() lists the top-level layers;
    /// CAMKit also lists keras.ops nodes and the layers inside nested models (tap points), so
    /// Keras' rows must appear in CAMKit's in order, with the same shapes and parameter counts.
    func summaryMismatches(_ network: GraphNetwork) throws -> [String] {
        let summary = try LayerSummary(model: network, inputSize: manifest.size)
        let names = Set(manifest.summary.map(\.name))
        var out: [String] = []
        let mineInOrder = summary.rows.map(\.name).filter(names.contains)
        if mineInOrder != manifest.summary.map(\.name) { out.append("names \(mineInOrder) vs \(manifest.summary.map(\.name))") }
        for theirs in manifest.summary {
            guard let mine = summary.rows.first(where: { $0.name == theirs.name }) else { continue }
            if mine.shape != theirs.shape { out.append("\(mine.name) shape \(mine.shape) vs \(theirs.shape)") }
            if mine.parameters != theirs.parameters { out.append("\(mine.name) parameters \(mine.parameters) vs \(theirs.parameters)") }
        }
        let total = summary.trainableParameters + summary.nonTrainableParameters
        if total != manifest.total { out.append("total \(total) vs \(manifest.total)") }
        if summary.trainableParameters != manifest.trainable {
            out.append("trainable \(summary.trainableParameters) vs \(manifest.trainable)")
        }
        return out
    }
}
