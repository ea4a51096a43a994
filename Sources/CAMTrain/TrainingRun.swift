import Foundation
import Torch
import CAMCore
import CAMModels
import CAMData

/// A whole `camkit train` run: settings saved to `DIR/run.json`, so `--resume DIR` needs nothing else.
public struct TrainingRun {
    /// Everything that defines a run.
    public struct Settings: Codable, Sendable {
        public var dataset: String
        public var validationDataset: String?
        public var arch: String
        public var pretrained: String?
        /// The head's class count when given (`--classes`); it must be the dataset's.
        public var classes: Int?
        public var preprocessing: Preprocessing
        public var config: TrainingConfig
        public var outputDirectory: String

        public init(
            dataset: String, validationDataset: String?, arch: String, pretrained: String?, classes: Int? = nil,
            preprocessing: Preprocessing, config: TrainingConfig, outputDirectory: String
        ) {
            self.dataset = dataset
            self.validationDataset = validationDataset
            self.arch = arch
            self.pretrained = pretrained
            self.classes = classes
            self.preprocessing = preprocessing
            self.config = config
            self.outputDirectory = outputDirectory
        }
    }

    public let settings: Settings
    public let isResume: Bool

    /// A new run (`fresh`) or the one saved in `resumeDirectory`.
    ///
    /// A resumed run lives where its run.json is, whatever folder it was started in or from (runs
    /// written before paths were stored absolute named `--out` as typed). A new run refuses a folder
    /// that holds a run unless `overwrite`, which removes that run's files first.
    public init(resumeDirectory: URL?, fresh: Settings?, overwrite: Bool = false) throws {
        if let dir = resumeDirectory {
            let file = dir.appendingPathComponent("run.json")
            guard let data = try? Data(contentsOf: file) else {
                throw TrainingError.noData("\(file.path) not found: nothing to resume")
            }
            var stored = try JSONDecoder().decode(Settings.self, from: data)
            stored.outputDirectory = dir.standardizedFileURL.path
            settings = stored
            isResume = true
        } else if let fresh {
            let out = URL(fileURLWithPath: fresh.outputDirectory)
            if FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path) {
                guard overwrite else { throw TrainingError.runExists(out.path) }
                for name in Self.runFiles { try? FileManager.default.removeItem(at: out.appendingPathComponent(name)) }
            }
            settings = fresh
            isResume = false
        } else {
            throw TrainingError.noData("neither a dataset nor a run to resume")
        }
    }

    /// The files a run writes in its folder (what `overwrite` removes).
    static let runFiles = ["run.json", "checkpoint.safetensors", "best.safetensors", "history.json", "history.csv"]

    /// Trains to the end (or until `shouldStop`), printing progress.
    public func execute(workers: Int, checkpointEvery: Int, shouldStop: @escaping () -> Bool) throws {
        let s = settings
        let out = URL(fileURLWithPath: s.outputDirectory)
        try Runtime.manualSeed(s.config.seed)
        let data = try LoaderTrainingData.make(
            spec: DatasetSpec.parse(s.dataset), validationSpec: s.validationDataset.map(DatasetSpec.parse),
            config: s.config, preprocessing: s.preprocessing, workers: workers)
        if let classes = s.classes, classes != data.classNames.count {
            throw TrainingError.classCountMismatch(model: classes, dataset: data.classNames.count, source: "--classes")
        }
        // A resumed run rebuilds the same network; its weights then come from the checkpoint.
        let network = try Pretrained.network(
            arch: s.arch, pretrained: s.pretrained.map { URL(fileURLWithPath: $0) }, classes: data.classNames.count,
            preprocessing: s.preprocessing, inputSize: s.config.imageSize)
        let model = network.model
        var info = network.info
        info.classNames = data.classNames
        let trainer = try Trainer(model: model, info: info, config: s.config, outputDirectory: out)
        trainer.progress = ConsoleTrainingProgress()
        trainer.shouldStop = shouldStop
        trainer.checkpointEvery = checkpointEvery
        if isResume {
            try trainer.resume()
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(encoder.encode(s), to: out.appendingPathComponent("run.json"))
        }
        try trainer.fit(data)
        print("best: \(trainer.bestURL.path)")
    }
}
