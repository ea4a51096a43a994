import ArgumentParser
import CAMKit
import Foundation
import Torch

@main
struct CamKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camkit",
        abstract: "Class activation maps and weakly supervised localization.",
        version: CAMKitVersion.string,
        subcommands: [LayersCommand.self, DataCommand.self, TrainCommand.self, ExplainCommand.self, LocalizeCommand.self, EvaluateCommand.self, ServeCommand.self]
    )
}

/// Options shared by every command that opens a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model file: CAMKit checkpoint or torchvision state dict (.safetensors), Keras .h5.")
    var model: String

    @Option(help: "Architecture, where the file does not say (\(ResNetSpec.knownArchitectures.joined(separator: ", "))).")
    var arch: String?

    @Option(help: "Number of classes, where the file does not say.")
    var classes: Int?

    @Option(help: "Input preprocessing: seed (tutorial: /255), imagenet (mean/std), caffe (Keras BGR mean). Default: the model's own.")
    var preprocess: Preprocessing?

    func load() throws -> LoadedModel {
        try ModelLoader.load(URL(fileURLWithPath: model), arch: arch, classes: classes, preprocessing: preprocess)
    }
}

/// libtorch's thread count, set explicitly by every command.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "libtorch threads (default: the machine's cores).")
    var threads: Int?

    func apply() throws { try Runtime.setThreads(threads) }
}

extension Preprocessing: ExpressibleByArgument {}

/// Prints an error the way a user can act on and exits non-zero (no stack trace).
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("camkit: error: \(error)\n".utf8))
    return ExitCode.failure
}
