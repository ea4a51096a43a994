import Foundation
import Torch
import CAMCore
import CAMModels

/// A batch of preprocessed images [N, 3, H, W] and int64 class labels [N].
public struct LabeledBatch {
    public let images: Tensor
    public let labels: Tensor
    public init(images: Tensor, labels: Tensor) {
        self.images = images
        self.labels = labels
    }
}

/// Where training batches come from. Orders must be deterministic for a given epoch, so that an
/// interrupted run resumes on exactly the batches it would have seen.
public protocol TrainingData {
    var classNames: [String] { get }
    /// Number of batches of one training epoch.
    func trainBatchCount(batchSize: Int) -> Int
    /// Training batches of `epoch`, starting at batch index `start`.
    func trainBatches(epoch: Int, batchSize: Int, startingAt start: Int) throws -> AnyIterator<Result<LabeledBatch, Error>>
    /// Validation batches, in a fixed order.
    func validationBatches(batchSize: Int) throws -> AnyIterator<Result<LabeledBatch, Error>>
}

/// One epoch's line of the training history.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationTop1: Double
    public var validationTop5: Double
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Raised when a run was stopped by Ctrl-C after saving its checkpoint.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let checkpoint: URL
    public var description: String { "interrupted; progress saved to \(checkpoint.path) (continue with --resume)" }
}

/// Errors in the training setup.
public enum TrainingError: Error, CustomStringConvertible {
    case classCountMismatch(model: Int, dataset: Int, source: String)
    case noData(String)
    /// `--freeze-backbone` on a network without a GAP + dense head to train alone.
    case noClassifier(String)
    /// A new run's folder already holds a run.
    case runExists(String)

    public var description: String {
        switch self {
        case let .classCountMismatch(model, dataset, source):
            return "\(source) has a head of \(model) classes but the dataset has \(dataset) classes"
        case let .noData(what):
            return "no data: \(what)"
        case let .noClassifier(reason):
            return "--freeze-backbone trains the classifier alone, but \(reason)"
        case let .runExists(dir):
            return "\(dir) already holds a training run (run.json); continue it with --resume \(dir), or start it again with --overwrite"
        }
    }
}

/// Fine-tunes a classifier (a ResNet or any graph network): batch norm and dropout in training
/// mode while training, eval-mode validation, a checkpoint after every epoch (atomic) plus `best`,
/// exact resume, Ctrl-C saves and exits.
public final class Trainer {
    public let model: any Network
    public var info: ModelInfo
    public let config: TrainingConfig
    public let outputDirectory: URL
    public private(set) var history: [EpochRecord] = []
    /// Receives progress events (a terminal bar or log lines).
    public var progress: TrainingProgress?
    /// Checked after every step; when it returns true the trainer saves and throws `TrainingInterrupted`.
    public var shouldStop: () -> Bool = { false }
    /// Also save a checkpoint every this many steps within an epoch (0: only at epoch ends).
    public var checkpointEvery = 0

    let optimizer: any Optimizer
    private var epoch = 0
    private var stepInEpoch = 0
    private var bestTop1 = -1.0

    public var checkpointURL: URL { outputDirectory.appendingPathComponent("checkpoint.safetensors") }
    public var bestURL: URL { outputDirectory.appendingPathComponent("best.safetensors") }

    public init(model: any Network, info: ModelInfo, config: TrainingConfig, outputDirectory: URL) throws {
        self.model = model
        self.info = info
        self.config = config
        self.outputDirectory = outputDirectory
        var trainable = model.namedParameters()
        if config.freezeBackbone {
            guard let head = model.classifierLayer else { throw TrainingError.noClassifier(model.camUnavailableDescription) }
            trainable = head.module.namedParameters().map { ("\(head.name).\($0.0)", $0.1) }
            let headNames = Set(trainable.map(\.0))
            for (name, p) in model.namedParameters() where !headNames.contains(name) { try p.requiringGrad(false) }
        }
        switch config.optimizer {
        case .sgd:
            optimizer = SGD(
                parameters: trainable, learningRate: config.learningRate, momentum: config.momentum,
                weightDecay: config.weightDecay)
        case .adamw:
            optimizer = AdamW(parameters: trainable, learningRate: config.learningRate, weightDecay: config.weightDecay)
        }
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    }

    /// Restores model, optimizer, position, generator state and history from `checkpointURL`.
    /// Returns false when there is nothing to resume.
    @discardableResult
    public func resume() throws -> Bool {
        guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return false }
        let checkpoint = try Checkpoint.read(from: checkpointURL)
        if checkpoint.info.classNames.count != model.classes {
            throw TrainingError.classCountMismatch(
                model: checkpoint.info.classNames.count, dataset: model.classes,
                source: checkpointURL.path)
        }
        guard checkpoint.info.spec == info.spec, checkpoint.info.graph == info.graph else {
            throw ModelError.incompatibleWeights(file: checkpointURL.path, reason: "checkpoint architecture differs from this run's")
        }
        try checkpoint.restore(into: model, source: checkpointURL.path)
        try optimizer.loadStateDict(checkpoint.optimizerState)
        if let rng = checkpoint.rngState { try Runtime.setRNGState(rng) }
        epoch = Int(checkpoint.progress["epoch"] ?? "0") ?? 0
        stepInEpoch = Int(checkpoint.progress["step"] ?? "0") ?? 0
        bestTop1 = Double(checkpoint.progress["best_top1"] ?? "-1") ?? -1
        if let json = checkpoint.progress["history"] {
            history = try JSONDecoder().decode([EpochRecord].self, from: Data(json.utf8))
        }
        return true
    }

    /// Trains until `config.epochs`, continuing from wherever `resume()` left off.
    public func fit(_ data: TrainingData) throws {
        guard data.classNames.count == model.classes else {
            throw TrainingError.classCountMismatch(model: model.classes, dataset: data.classNames.count, source: "the model")
        }
        let batches = data.trainBatchCount(batchSize: config.batchSize)
        guard batches > 0 else { throw TrainingError.noData("the training split is empty") }
        while epoch < config.epochs {
            let started = Date()
            var lossSum = 0.0, correct = 0.0, seen = 0.0
            setTrainingMode()
            let iterator = try data.trainBatches(epoch: epoch, batchSize: config.batchSize, startingAt: stepInEpoch)
            progress?.epochStarted(epoch: epoch, of: config.epochs, batches: batches, startingAt: stepInEpoch)
            while let next = iterator.next() {
                let batch = try next.get()
                optimizer.learningRate = config.learningRate(atEpoch: Double(epoch) + Double(stepInEpoch) / Double(batches))
                let (loss, hits) = try step(batch)
                let n = Double(batch.labels.shape[0])
                lossSum += loss * n
                correct += hits
                seen += n
                stepInEpoch += 1
                progress?.step(
                    index: stepInEpoch, loss: lossSum / seen, accuracy: correct / seen, images: Int(seen),
                    seconds: Date().timeIntervalSince(started))
                if shouldStop() {
                    try saveCheckpoint(to: checkpointURL)
                    throw TrainingInterrupted(checkpoint: checkpointURL)
                }
                if checkpointEvery > 0, stepInEpoch % checkpointEvery == 0, stepInEpoch < batches {
                    try saveCheckpoint(to: checkpointURL)
                }
            }
            let trainSeconds = Date().timeIntervalSince(started)
            let validation = try evaluate(data)
            let record = EpochRecord(
                epoch: epoch + 1, learningRate: optimizer.learningRate, trainLoss: seen > 0 ? lossSum / seen : .nan,
                trainAccuracy: seen > 0 ? correct / seen : .nan, validationLoss: validation.loss,
                validationTop1: validation.top1, validationTop5: validation.top5,
                seconds: Date().timeIntervalSince(started), imagesPerSecond: seen / max(trainSeconds, 1e-9))
            history.append(record)
            epoch += 1
            stepInEpoch = 0
            progress?.epochFinished(record)
            try writeHistory()
            if record.validationTop1 > bestTop1 {
                bestTop1 = record.validationTop1
                try saveCheckpoint(to: bestURL)
            }
            try saveCheckpoint(to: checkpointURL)
        }
    }

    /// Validation loss, top-1 and top-5 accuracy with BatchNorm in eval mode.
    public func evaluate(_ data: TrainingData) throws -> (loss: Double, top1: Double, top5: Double) {
        model.eval()
        defer { setTrainingMode() }
        var loss = 0.0, top1 = 0.0, top5 = 0.0, count = 0.0
        let k = min(5, model.classes)
        try withInferenceMode {
            let iterator = try data.validationBatches(batchSize: config.batchSize)
            while let next = iterator.next() {
                let batch = try next.get()
                let logits = try model(batch.images)
                let n = Double(batch.labels.shape[0])
                loss += try Functional.crossEntropy(logits, target: batch.labels, reduction: .sum).item()
                let best = try logits.topk(k, dim: 1).indices
                let hits = try best.eq(batch.labels.unsqueeze(1))
                top1 += try hits.select(dim: 1, index: 0).to(.float32).sum().item()
                top5 += try hits.to(.float32).sum().item()
                count += n
            }
        }
        guard count > 0 else { return (.nan, .nan, .nan) }
        return (loss / count, top1 / count, top5 / count)
    }

    // MARK: internals

    private func setTrainingMode() {
        model.train()
        if config.freezeBackbone {
            model.eval()
            model.classifierLayer?.module.train()
        }
    }

    /// One optimisation step; returns the batch's mean loss and the number of correct predictions.
    func step(_ batch: LabeledBatch) throws -> (Double, Double) {
        let logits = try model(batch.images)
        let loss = try Functional.crossEntropy(logits, target: batch.labels, labelSmoothing: config.labelSmoothing)
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
        let hits = try withNoGrad { try logits.argmax(dim: 1).eq(batch.labels).to(.float32).sum().item() }
        return (try loss.item(), hits)
    }

    private func saveCheckpoint(to url: URL) throws {
        let state = try Checkpoint.modelState(of: model)
        let historyJSON = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
        let checkpoint = Checkpoint(
            info: info, modelState: state, optimizerState: try optimizer.stateDict(), rngState: try Runtime.rngState(),
            progress: ["epoch": String(epoch), "step": String(stepInEpoch), "best_top1": String(bestTop1), "history": historyJSON])
        try checkpoint.write(to: url)
    }

    private func writeHistory() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(history), to: outputDirectory.appendingPathComponent("history.json"))
        var csv = "epoch,learning_rate,train_loss,train_accuracy,val_loss,val_top1,val_top5,seconds,images_per_second\n"
        for r in history {
            csv +=
                "\(r.epoch),\(r.learningRate),\(r.trainLoss),\(r.trainAccuracy),\(r.validationLoss),\(r.validationTop1),\(r.validationTop5),\(r.seconds),\(r.imagesPerSecond)\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: outputDirectory.appendingPathComponent("history.csv"))
    }
}

extension TrainingError: UserFacingError {
    public var errorKind: ErrorKind { .badInput }
    public var errorCode: String {
        switch self {
        case .classCountMismatch: "class_count_mismatch"
        case .noData: "no_data"
        case .noClassifier: "no_classifier"
        case .runExists: "run_exists"
        }
    }
}
