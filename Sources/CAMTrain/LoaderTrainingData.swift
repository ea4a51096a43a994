import Foundation
import Torch
import CAMModels
import CAMData

/// Training data from two `DataLoader`s: a shuffled (optionally augmented) training split and a
/// fixed-order validation split.
public struct LoaderTrainingData: TrainingData {
    public let train: DataLoader
    public let validation: DataLoader

    public init(train: DataLoader, validation: DataLoader) {
        self.train = train
        self.validation = validation
    }

    public var classNames: [String] { train.dataset.classNames }

    public func trainBatchCount(batchSize: Int) -> Int { train.batchCount }

    public func trainBatches(epoch: Int, batchSize: Int, startingAt start: Int) throws -> AnyIterator<Result<LabeledBatch, Error>> {
        Self.labeled(train.batches(epoch: epoch, startingAt: start))
    }

    public func validationBatches(batchSize: Int) throws -> AnyIterator<Result<LabeledBatch, Error>> {
        Self.labeled(validation.batches(epoch: 0))
    }

    private static func labeled(_ batches: BatchIterator) -> AnyIterator<Result<LabeledBatch, Error>> {
        AnyIterator {
            do {
                guard let b = try batches.nextBatch() else { return nil }
                return .success(LabeledBatch(images: b.images, labels: b.labels))
            } catch {
                return .failure(error)
            }
        }
    }
}

/// Building the training and validation loaders for a dataset spec.
extension LoaderTrainingData {
    /// Loaders for `spec` (training split; `train` when the spec names none) and its validation split
    /// (`validationSpec`, else the same source's `test` split).
    public static func make(
        spec: DatasetSpec, validationSpec: DatasetSpec?, config: TrainingConfig, preprocessing: Preprocessing, workers: Int
    ) throws -> LoaderTrainingData {
        var trainSpec = spec
        if trainSpec.split == nil { trainSpec.split = "train" }
        var valSpec = validationSpec ?? spec
        if validationSpec == nil { valSpec.split = "test" }
        let preprocess: PreprocessFunction = { pixels, size in try preprocessing.apply(pixels: pixels, size: size) }
        let trainSet = try trainSpec.open(), valSet = try valSpec.open()
        guard trainSet.classNames.count == valSet.classNames.count else {
            throw TrainingError.classCountMismatch(
                model: trainSet.classNames.count, dataset: valSet.classNames.count,
                source: "the training split (\(trainSet.name)); the validation split")
        }
        let common = DataLoader.Options(
            batchSize: config.batchSize, imageSize: config.imageSize, seed: config.seed,
            workers: workers, resize: false)
        var trainOptions = common
        trainOptions.shuffle = true
        trainOptions.augmentation = config.augment ? .standard : nil
        return LoaderTrainingData(
            train: try DataLoader(dataset: trainSet, options: trainOptions, preprocess: preprocess),
            validation: try DataLoader(dataset: valSet, options: common, preprocess: preprocess))
    }
}
