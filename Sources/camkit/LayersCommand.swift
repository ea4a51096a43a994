import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation
import Torch

/// `camkit layers`: every tappable layer with its output shape and parameters, like `model.summary()`.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List the layers that can be explained, with output shapes and parameter counts."
    )

    @Option(help: "Model file (CAMKit checkpoint, torchvision safetensors, Keras .h5). Omit to list an --arch with random weights.")
    var model: String?

    @Option(help: "Architecture (\(ResNetSpec.knownArchitectures.joined(separator: ", "))).")
    var arch: String?

    @Option(help: "Number of classes.")
    var classes: Int?

    @Option(help: "Square input size in pixels (default: the model's own, else 224).")
    var inputSize: Int?

    @Flag(help: "Print JSON: [{name, shape, parameters}].")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try reportingErrors {
            try runtime.apply()
            let network: ResNet
            var size = inputSize ?? 224
            if let model {
                let loaded = try ModelLoader.load(URL(fileURLWithPath: model), arch: arch, classes: classes)
                network = loaded.model
                size = inputSize ?? loaded.info.inputSize
            } else if let arch {
                network = try ResNet(ResNetSpec.named(arch, classes: classes ?? 1000))
            } else {
                throw ValidationError("give --model FILE or --arch NAME")
            }
            let summary = try LayerSummary(model: network, inputSize: size)
            print(json ? try summary.json() : summary.table())
        }
    }
}
