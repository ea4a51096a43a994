import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// The CAMKit side of tools/compare_keras_applications.py: full-size keras.applications models
/// (MobileNetV2, MobileNetV3Small, EfficientNetB0, DenseNet121, Xception, InceptionV3, ConvNeXtTiny)
/// saved by Keras as `.h5` and `.keras`: every layer's output, the probabilities, the tutorial's
/// Grad-CAM at two layers and `model.summary()` against Keras. Runs only when CAMKIT_KERAS_APPS_DIR
/// names the script's work directory (10-100 MB per model, never committed).
@Suite struct KerasApplicationsParity {
    static let directory = ProcessInfo.processInfo.environment["CAMKIT_KERAS_APPS_DIR"]
    static let models = (ProcessInfo.processInfo.environment["CAMKIT_KERAS_APPS"] ?? "").split(separator: ",").map(String.init)

    struct Listing: Decodable {
        let taps: [String]
        let feature_layer: String
        let inner_layer: String
    }

    static func array(_ url: URL) throws -> Tensor {
        let a = try NPY.read(contentsOf: url)
        return try Tensor(a.floatValues(), shape: a.shape)
    }

    /// What one file gave, written to <work>/<Model>/camkit.json for the script to print.
    struct FileResult: Encodable {
        let errors: KerasReference.Errors
        let forward_s: Double
        let auto_layer: String
        let cam: String
        let summary_mismatches: [String]
    }

    @Test(.enabled(if: directory != nil, "set CAMKIT_KERAS_APPS_DIR (tools/compare_keras_applications.py does)"))
    func everyLayerMatchesKeras() throws {
        let work = URL(fileURLWithPath: try #require(Self.directory))
        for name in Self.models {
            let dir = work.appendingPathComponent(name)
            let data = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
            let listing = try JSONDecoder().decode(Listing.self, from: data)
            let ref = KerasReference(
                manifest: try JSONDecoder().decode(KerasReference.Manifest.self, from: data),
                input: try Self.array(dir.appendingPathComponent("input.npy")).permute([0, 3, 1, 2]).contiguous(),
                probabilities: try Self.array(dir.appendingPathComponent("probabilities.npy")), layerNames: listing.taps,
                layer: { try Self.array(dir.appendingPathComponent("keras/\($0).npy")) },
                gradCAM: { try Self.array(dir.appendingPathComponent("gradcam_\($0).npy")) })
            var results: [String: FileResult] = [:]
            for kind in ["h5", "keras"] {
                let network = try #require(ModelLoader.load(dir.appendingPathComponent("model.\(kind)")).model as? GraphNetwork)
                let e = try ref.compare(network)
                let start = Date()
                _ = try withInferenceMode { try network(ref.input) }
                let result = FileResult(
                    errors: e, forward_s: Date().timeIntervalSince(start), auto_layer: network.lastFeatureLayer,
                    cam: network.camUnavailableReason ?? "at \(network.camHead?.featureLayer ?? "")",
                    summary_mismatches: try ref.summaryMismatches(network))
                results[kind] = result
                print(
                    "KerasApplicationsParity \(name).\(kind): \(e.layers) layers, worst \(e.worst_layer) \(e.worst_error), "
                        + "probabilities \(e.probabilities), grad-cam \(e.gradcam), auto \(result.auto_layer), CAM \(result.cam)")
                #expect(e.missing.isEmpty, "\(name).\(kind): not in the graph: \(e.missing)")
                #expect(e.worst_error <= 1e-4, "\(name).\(kind): \(e.worst_layer) \(e.worst_error)")
                #expect(e.probabilities <= 1e-4, "\(name).\(kind): probabilities \(e.probabilities)")
                #expect(e.gradcam <= 1e-3, "\(name).\(kind): grad-cam \(e.gradcam)")
                #expect(result.summary_mismatches.isEmpty, "\(name).\(kind): \(result.summary_mismatches)")
                #expect(network.lastFeatureLayer == listing.feature_layer, "\(name).\(kind): --layer auto")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: dir.appendingPathComponent("camkit.json"))
        }
    }
}
