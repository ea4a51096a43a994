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

    enum ModelHelp: OptionalModelHelp {
        static var model: ArgumentHelp {
            "Model file (CAMKit checkpoint, torchvision safetensors, Keras .h5). Omit to list an --arch (\(ResNetSpec.knownArchitectures.joined(separator: ", "))) with random weights."
        }
    }

    @OptionGroup var modelOptions: OptionalModelOptions<ModelHelp>

    @Option(help: "Square input size in pixels (default: the model's own, else 224).")
    var inputSize: Int?

    @Flag(help: "Print JSON: [{name, shape, parameters}].")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            let network: any Network
            var size = inputSize ?? 224
            if let loaded = try modelOptions.load() {
                network = loaded.model
                size = inputSize ?? loaded.info.inputSize
            } else if let arch = modelOptions.arch {
                network = try ResNet(ResNetSpec.named(arch, classes: modelOptions.classes ?? 1000))
            } else {
                throw ValidationError("give --model FILE or --arch NAME")
            }
            let summary = try LayerSummary(model: network, inputSize: size)
            print(json ? try summary.json() : summary.table())
        }
    }
}
