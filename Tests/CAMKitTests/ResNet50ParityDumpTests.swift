import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// The CAMKit side of tools/compare_resnet50.py: opens the full-size files that script writes (the
/// tutorial's Keras `cam_model.h5` and a torchvision ResNet50 state dict) and dumps the taps of one
/// forward pass for the script to compare with Keras and PyTorch. Runs only when
/// CAMKIT_RESNET50_PARITY_DIR names the script's work directory (the files are ~100 MB each and are
/// never committed), so it costs nothing in a plain `swift test`.
@Suite struct ResNet50ParityDump {
    static let directory = ProcessInfo.processInfo.environment["CAMKIT_RESNET50_PARITY_DIR"]

    static let runs: [(file: String, out: String, layout: ResNetLayout, taps: [String])] = [
        (
            "cam_model.h5", "camkit-keras", .keras,
            ["conv1_relu", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out", "avg_pool", "dense"]
        ),
        (
            "resnet50.safetensors", "camkit-torchvision", .torchvision,
            ["relu", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
        )
    ]

    @Test(.enabled(if: directory != nil, "set CAMKIT_RESNET50_PARITY_DIR (tools/compare_resnet50.py does)"))
    func dumpTaps() throws {
        let work = URL(fileURLWithPath: try #require(Self.directory))
        let input = try NPY.read(contentsOf: work.appendingPathComponent("input.npy"))
        #expect(input.shape == [1, 224, 224, 3])
        let x = try Tensor(input.floatValues(), shape: input.shape).permute([0, 3, 1, 2]).contiguous()
        for run in Self.runs {
            let loaded = try ModelLoader.load(work.appendingPathComponent(run.file))
            let resnet = try #require(loaded.model as? ResNet)
            #expect(resnet.spec.layout == run.layout)
            #expect(resnet.spec.classes == 196 && resnet.spec.blocks == [3, 4, 6, 3])
            let dir = work.appendingPathComponent(run.out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let start = Date()
            let out = try withInferenceMode { try loaded.model.forward(x, tapping: run.taps) }
            let seconds = Date().timeIntervalSince(start)
            for tap in run.taps {
                let t = try #require(out.activations[tap], "\(tap) not tapped").contiguous()
                try NPY.write(NPYArray(t.floats(), shape: t.shape), to: dir.appendingPathComponent("\(tap).npy"))
            }
            let logits = try out.logits.contiguous()
            try NPY.write(NPYArray(logits.floats(), shape: logits.shape), to: dir.appendingPathComponent("logits.npy"))
            print("ResNet50ParityDump: \(run.file) -> \(run.out), forward with taps \(String(format: "%.2f", seconds)) s")
        }
    }
}
