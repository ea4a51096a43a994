import Foundation
import Torch
import CAMImaging
import CAMFormats

/// Turns one image's pixels (`[H, W, 3]` uint8 RGB) into the network input `[3, size, size]`
/// float. CAMKit's model side offers `Preprocessing.apply(pixels:size:)` with this shape.
public typealias PreprocessFunction = @Sendable (_ pixels: Tensor, _ size: Int) throws -> Tensor

/// One batch: inputs `[N, 3, S, S]` float, labels `[N]` int64, and per sample its dataset index,
/// id and boxes (after augmentation, normalised to the network input).
public struct Batch: Sendable {
    public let images: Tensor
    public let labels: Tensor
    /// Dataset indices of the samples, in batch order.
    public let indices: [Int]
    public let ids: [String]
    public let boxes: [[BoundingBox]]
    public let epoch: Int
    /// Position of the batch in its epoch.
    public let index: Int
}

/// Loads batches from a `Dataset`: decodes, augments and resizes samples on worker threads,
/// preprocesses them into float tensors and stacks them NCHW, keeping up to `prefetch`
/// batches ready.
///
/// Deterministic: the order of an epoch is a permutation drawn from `(seed, epoch)` (or the
/// dataset order without shuffling), each sample's augmentation from `(seed, epoch, index)`,
/// and each batch is assembled by one worker and handed out in order. So the same seed and
/// epoch give the same batches whatever the number of workers and the thread timing, and
/// training can resume at any batch (`batches(epoch:startingAt:)`).
///
/// A sample that fails (missing image, corrupt record, box outside the image) makes its
/// batch throw, at that batch's turn, with the dataset's error.
public final class DataLoader: Sendable {
    public struct Options: Sendable {
        public var batchSize: Int
        /// Side of the square network input.
        public var imageSize: Int
        public var shuffle: Bool
        public var seed: UInt64
        /// Leave out a last batch smaller than `batchSize`.
        public var dropLast: Bool
        /// Worker threads (at least 1).
        public var workers: Int
        /// Batches prepared ahead of the consumer (bounds memory: about `prefetch + workers` batches exist at once).
        public var prefetch: Int
        /// Training augmentation, or nil.
        public var augmentation: Augmentation?
        /// Resize each image to `imageSize` with OpenCV before preprocessing (set false to let the
        /// preprocessing closure resize, e.g. to reproduce `tf.image.resize` exactly).
        public var resize: Bool
        public var interpolation: Interpolation

        public init(
            batchSize: Int = 16, imageSize: Int = 224, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
            workers: Int = 2, prefetch: Int = 4, augmentation: Augmentation? = nil, resize: Bool = true,
            interpolation: Interpolation = .linear
        ) {
            self.batchSize = batchSize
            self.imageSize = imageSize
            self.shuffle = shuffle
            self.seed = seed
            self.dropLast = dropLast
            self.workers = workers
            self.prefetch = prefetch
            self.augmentation = augmentation
            self.resize = resize
            self.interpolation = interpolation
        }
    }

    public let dataset: any Dataset
    public let options: Options
    private let preprocess: PreprocessFunction

    /// Divides by 255 and moves channels first: `[H, W, 3]` uint8 -> `[3, H, W]` float in [0, 1]
    /// (the tutorial's preprocessing, after resizing).
    public static let scaleTo01: PreprocessFunction = { pixels, _ in
        try (pixels.to(.float32).permute([2, 0, 1]) / 255.0).contiguous()
    }

    public init(dataset: any Dataset, options: Options = Options(), preprocess: @escaping PreprocessFunction = DataLoader.scaleTo01) throws {
        guard options.batchSize > 0 else { throw DataError(.outOfRange, "batch size must be > 0") }
        guard options.imageSize > 0 else { throw DataError(.outOfRange, "image size must be > 0") }
        self.dataset = dataset
        var o = options
        o.workers = max(1, o.workers)
        o.prefetch = max(1, o.prefetch)
        self.options = o
        self.preprocess = preprocess
    }

    /// Batches per epoch.
    public var batchCount: Int {
        let n = dataset.count, b = options.batchSize
        return options.dropLast ? n / b : (n + b - 1) / b
    }

    /// The dataset indices of `epoch`, in order.
    public func order(epoch: Int) -> [Int] {
        guard options.shuffle else { return Array(0..<dataset.count) }
        var rng = SplitMix64(seed: options.seed, keys: 0x5348_5546, UInt64(bitPattern: Int64(epoch)))
        return rng.permutation(dataset.count)
    }

    /// Builds batch `index` of `epoch` on the calling thread.
    public func batch(epoch: Int, index: Int) throws -> Batch {
        try makeBatch(epoch: epoch, index: index, order: order(epoch: epoch))
    }

    /// The batches of `epoch` from `start` on, produced by the worker threads.
    public func batches(epoch: Int, startingAt start: Int = 0) -> BatchIterator {
        BatchIterator(loader: self, epoch: epoch, order: order(epoch: epoch), start: start)
    }

    func makeBatch(epoch: Int, index: Int, order: [Int]) throws -> Batch {
        guard index >= 0 && index < batchCount else {
            throw DataError(.outOfRange, "batch \(index) is outside 0..<\(batchCount)")
        }
        let lo = index * options.batchSize
        let members = Array(order[lo..<min(order.count, lo + options.batchSize)])
        var inputs: [Tensor] = []
        var labels: [Int64] = []
        var ids: [String] = []
        var boxes: [[BoundingBox]] = []
        for i in members {
            let (input, sample, b) = try makeInput(i, epoch: epoch)
            inputs.append(input)
            labels.append(Int64(sample.label))
            ids.append(sample.id)
            boxes.append(b)
        }
        return Batch(
            images: try Tensor.stack(inputs), labels: try Tensor(labels), indices: members, ids: ids, boxes: boxes,
            epoch: epoch, index: index)
    }

    /// One sample's network input and its boxes after augmentation.
    func makeInput(_ i: Int, epoch: Int) throws -> (Tensor, Sample, [BoundingBox]) {
        let sample = try dataset.sample(at: i)
        var image = try sample.loadImage()
        var boxes = sample.boxes
        if let aug = options.augmentation {
            var rng = SplitMix64(seed: options.seed, keys: 0x4155_4755, UInt64(bitPattern: Int64(epoch)), UInt64(i))
            (image, boxes) = try aug.apply(to: image, boxes: boxes, rng: &rng)
        }
        let s = options.imageSize
        if options.resize, image.width != s || image.height != s {
            image = try image.resized(width: s, height: s, interpolation: options.interpolation)
        }
        let pixels = try image.withUnsafeBufferPointer { buf in
            try Tensor(bytes: UnsafeRawBufferPointer(buf), dtype: .uint8, shape: [image.height, image.width, image.channels])
        }
        let input = try preprocess(pixels, s)
        guard input.shape == [3, s, s] else {
            throw DataError(.outOfRange, "preprocessing returned shape \(input.shape) for sample '\(sample.id)'; expected [3, \(s), \(s)]")
        }
        return (input, sample, boxes)
    }
}

/// Hands out the batches of one epoch in order while worker threads prepare the next ones.
/// Dropping it (or `cancel()`) stops the workers after their current batch.
public final class BatchIterator: Sequence, IteratorProtocol {
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var nextToBuild: Int
        var nextToHand: Int
        var ready: [Int: Result<Batch, Error>] = [:]
        var cancelled = false
        var running = 0
        init(start: Int) { nextToBuild = start; nextToHand = start }
    }

    private let shared: Shared
    private let end: Int
    /// The error that ended iteration through `next()` (the `Sequence` interface cannot throw).
    public private(set) var error: Error?

    init(loader: DataLoader, epoch: Int, order: [Int], start: Int) {
        let shared = Shared(start: Swift.max(0, start))
        self.shared = shared
        let end = loader.batchCount
        self.end = end
        let window = loader.options.prefetch
        shared.running = loader.options.workers
        for w in 0..<loader.options.workers {
            let thread = Thread {
                while true {
                    shared.condition.lock()
                    while !shared.cancelled && shared.nextToBuild < end && shared.nextToBuild >= shared.nextToHand + window {
                        shared.condition.wait()
                    }
                    if shared.cancelled || shared.nextToBuild >= end {
                        shared.running -= 1
                        shared.condition.broadcast()
                        shared.condition.unlock()
                        return
                    }
                    let k = shared.nextToBuild
                    shared.nextToBuild += 1
                    shared.condition.unlock()
                    let result = Result { try loader.makeBatch(epoch: epoch, index: k, order: order) }
                    shared.condition.lock()
                    shared.ready[k] = result
                    shared.condition.broadcast()
                    shared.condition.unlock()
                }
            }
            thread.name = "camkit-loader-\(w)"
            thread.start()
        }
    }

    deinit { cancel() }

    /// Stops the workers (they finish the batch they are on).
    public func cancel() {
        shared.condition.lock()
        shared.cancelled = true
        shared.ready.removeAll()
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// The next batch, nil at the end of the epoch; rethrows a sample's error at its batch.
    public func nextBatch() throws -> Batch? {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        let k = shared.nextToHand
        guard k < end, !shared.cancelled else { return nil }
        while shared.ready[k] == nil { shared.condition.wait() }
        let result = shared.ready.removeValue(forKey: k)!
        shared.nextToHand += 1
        shared.condition.broadcast()
        return try result.get()
    }

    /// `Sequence` access: stops at the first error and keeps it in `error`.
    public func next() -> Batch? {
        guard error == nil else { return nil }
        do { return try nextBatch() } catch {
            self.error = error
            cancel()
            return nil
        }
    }
}
