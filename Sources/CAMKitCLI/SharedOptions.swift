import ArgumentParser
import CAMKit
import Foundation
import Torch

/// Options shared by every command that opens a model.
public struct ModelOptions: ParsableArguments {
    public init() {}

    @Option(help: "Model file: CAMKit checkpoint or torchvision state dict (.safetensors), Keras .h5.")
    public var model: String

    @Option(help: "Architecture, where the file does not say (\(ResNetSpec.knownArchitectures.joined(separator: ", "))).")
    public var arch: String?

    @Option(help: "Number of classes, where the file does not say.")
    public var classes: Int?

    @Option(
        help:
            "Input preprocessing: seed (tutorial: /255), imagenet (mean/std), caffe (Keras BGR mean), tf (/127.5 - 1), raw (0-255). Default: the model's own."
    )
    public var preprocess: Preprocessing?

    public func load() throws -> LoadedModel {
        try ModelLoader.load(URL(fileURLWithPath: model), arch: arch, classes: classes, preprocessing: preprocess)
    }
}

/// The model options of a command where a model is optional (`--model` may be omitted), with the
/// `--model` help given by `Help` (what the model is for there).
public struct OptionalModelOptions<Help: OptionalModelHelp>: ParsableArguments {
    public init() {}

    @Option(help: Help.model)
    public var model: String?

    @Option(help: "Architecture, where the model file does not say.")
    public var arch: String?

    @Option(help: "Number of classes, where the model file does not say.")
    public var classes: Int?

    @Option(help: "Input preprocessing: seed, imagenet, caffe, tf, raw. Default: the model's own.")
    public var preprocess: Preprocessing?

    /// The model, or nil without `--model`.
    public func load() throws -> LoadedModel? {
        try model.map { try ModelLoader.load(URL(fileURLWithPath: $0), arch: arch, classes: classes, preprocessing: preprocess) }
    }
}

/// The `--model` help of an `OptionalModelOptions`.
public protocol OptionalModelHelp {
    static var model: ArgumentHelp { get }
}

/// `--class`: the classes to explain, `auto` for each image's predicted class.
public struct TargetClassOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("class"), parsing: .upToNextOption, help: "auto (the predicted class) or class indices.")
    public var classes: [String] = ["auto"]

    /// The class indices; nil for `auto`.
    public func indices() throws -> [Int]? {
        if classes == ["auto"] { return nil }
        return try classes.map {
            guard let c = Int($0) else { throw ValidationError("--class takes 'auto' or class indices, not '\($0)'") }
            return c
        }
    }
}

/// `--method` and `--layer` of the commands that explain image files (explain, localize).
public struct MapSelectionOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("method"), parsing: .upToNextOption, help: "One or more methods.")
    public var names: [String] = ["gradcam"]

    @Option(
        name: .customLong("layer"), parsing: .upToNextOption,
        help:
            "One or more layer names (see `camkit layers`), or auto: the layer feeding global average pooling, else the last spatial layer before the classifier (the default)."
    )
    public var layerNames: [String] = []

    /// The methods by name.
    public func methods() throws -> [CAMMethod] { try names.map(CAMMethod.init(name:)) }

    /// The layers, with `auto` (and no layer given) meaning `model.lastFeatureLayer`: the layer
    /// feeding global average pooling, else the last spatial layer before the classifier.
    public func layers(for model: any Network) -> [String] { model.resolvingLayers(layerNames) }
}

/// `--score`: what the maps explain (explain, localize, evaluate).
public struct ScoreOptions: ParsableArguments {
    public init() {}

    @Option(help: "Score to explain: logit or softmax.")
    public var score: ScoreKind = .logit
}

/// What every command that makes maps of images takes: the images, the model, which maps
/// (methods × layers), for which classes, and the score (`explain`, `faithfulness`).
public struct MapRequestOptions: ParsableArguments {
    public init() {}

    @Argument(help: "Image files (JPEG, PNG, WebP, BMP).")
    public var images: [String]

    @OptionGroup public var model: ModelOptions

    @OptionGroup public var selection: MapSelectionOptions

    @OptionGroup public var classes: TargetClassOptions

    @OptionGroup public var scoring: ScoreOptions

    @OptionGroup public var jpeg: JPEGDecoderOptions

    public var imageURLs: [URL] { images.map { URL(fileURLWithPath: $0) } }

    /// Tells on stderr which method × layer pairs were left out and why (CAM away from its layer).
    public static func noteSkipped(_ skipped: [SkippedPair]) {
        for s in skipped {
            FileHandle.standardError.write(Data("camkit: note: skipped \(s.method) at \(s.layer): \(s.reason)\n".utf8))
        }
    }
}

/// `--out`: the folder a command writes its files to (explain, localize, evaluate).
public struct OutputOptions: ParsableArguments {
    public init() {}

    @Option(help: "Output directory.")
    public var out: String

    /// `--out` as a file URL.
    public var directory: URL { URL(fileURLWithPath: out) }
}

/// Bounds of the thread-count options: past these, threads only contend (and `--threads 100000`
/// would spawn them all).
public enum ThreadLimits {
    public static let maxThreads = 256
    public static let maxWorkers = 64

    /// Rejects `value` (when given) outside 1...`max`, naming `option`.
    public static func check(_ value: Int?, option: String, max: Int) throws {
        guard let value else { return }
        try check(value, option: option, in: 1...max)
    }

    /// Rejects `value` (when given) outside `range`, naming `option` and the range.
    public static func check(_ value: Int?, option: String, in range: ClosedRange<Int>) throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw ValidationError("\(option) \(value) is out of range: give \(range.lowerBound)...\(range.upperBound)")
        }
    }

    /// The largest batch any command takes (`--batch-size`): beyond it a batch of 224-pixel images
    /// alone needs gigabytes.
    public static let maxBatchSize = 4096

    /// `check` for `--workers`.
    public static func checkWorkers(_ value: Int) throws { try check(value, option: "--workers", max: maxWorkers) }
}

/// libtorch's thread count, set explicitly by every command, and the allocator policy.
public struct RuntimeOptions: ParsableArguments {
    public init() {}

    public func validate() throws { try ThreadLimits.check(threads, option: "--threads", max: ThreadLimits.maxThreads) }

    @Option(help: "libtorch threads (default: the machine's cores).")
    public var threads: Int?

    @Flag(help: "Return freed memory to the system after each pass (glibc's default; slower: large activations page-fault afresh).")
    public var releaseMemory = false

    public func apply() throws {
        try Runtime.setThreads(threads)
        if !releaseMemory { try Runtime.retainFreedMemory() }
    }

    /// A command's body under `reportingErrors`, with these settings applied first.
    public func run(_ body: () throws -> Void) throws {
        try reportingErrors {
            try apply()
            try body()
        }
    }
}

extension Preprocessing: ExpressibleByArgument {}
extension JPEGDecoder: ExpressibleByArgument {}

/// `--jpeg-decoder`: how JPEG images are decoded (explain, localize, faithfulness, evaluate).
public struct JPEGDecoderOptions: ParsableArguments {
    public init() {}

    @Option(
        help: """
            JPEG decoding: tf (as TensorFlow's decode_jpeg: what tfds data and Keras pipelines see) or accurate (as OpenCV and PIL). \
            Default: tf for tfds datasets and for models with the tutorial's preprocessing (seed), accurate otherwise.
            """)
    public var jpegDecoder: JPEGDecoder?
}
extension ScoreKind: ExpressibleByArgument {}

/// Runs a command's body: a `ValidationError` goes on to ArgumentParser (which prints usage),
/// any other error is printed by `fail` and ends the command non-zero.
public func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch {
        throw fail(error)
    }
}

/// Prints an error the way a user can act on and exits non-zero (no stack trace).
public func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("camkit: error: \(error)\n".utf8))
    return ExitCode.failure
}
