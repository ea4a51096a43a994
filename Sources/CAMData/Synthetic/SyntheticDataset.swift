import Foundation
import CAMImaging
import CAMFormats

/// Settings of the synthetic localisation dataset (the embedded default of `make demo`).
public struct SyntheticConfig: Sendable, Hashable, Codable {
    /// Everything about every image follows from this seed.
    public var seed: UInt64 = 0
    /// Number of classes, 2 ... `SyntheticShape.allCases.count` (10).
    public var classes: Int = 8
    /// Samples in the `train` split.
    public var trainCount: Int = 4000
    /// Samples in the `test` split.
    public var testCount: Int = 800
    /// Image side in pixels (square images), 32 ... 1024.
    public var size: Int = 128
    /// Mean number of distractors per image (each image draws 0 ... 2 * distractors).
    public var distractors: Int = 3
    /// Smallest and largest object extent as a fraction of the image side (before the aspect change).
    public var minScale: Double = 0.3
    public var maxScale: Double = 0.6
    /// Amplitude of the per-pixel noise, in 8-bit levels.
    public var noise: Double = 10

    public init(
        seed: UInt64 = 0, classes: Int = 8, trainCount: Int = 4000, testCount: Int = 800, size: Int = 128,
        distractors: Int = 3, minScale: Double = 0.3, maxScale: Double = 0.6, noise: Double = 10
    ) {
        self.seed = seed
        self.classes = classes
        self.trainCount = trainCount
        self.testCount = testCount
        self.size = size
        self.distractors = distractors
        self.minScale = minScale
        self.maxScale = maxScale
        self.noise = noise
    }

    /// Throws `badSpec` naming the setting that is out of range.
    public func validate() throws {
        let maxClasses = SyntheticShape.allCases.count
        guard (2...maxClasses).contains(classes) else { throw DataError(.badSpec, "synthetic classes must be 2...\(maxClasses), got \(classes)") }
        guard trainCount >= 0, testCount >= 0 else { throw DataError(.badSpec, "synthetic train/test counts must be >= 0") }
        guard (32...1024).contains(size) else { throw DataError(.badSpec, "synthetic size must be 32...1024, got \(size)") }
        guard (0...20).contains(distractors) else { throw DataError(.badSpec, "synthetic distractors must be 0...20, got \(distractors)") }
        guard minScale >= 0.1, maxScale <= 0.9, minScale <= maxScale else {
            throw DataError(.badSpec, "synthetic scales need 0.1 <= min_scale <= max_scale <= 0.9, got \(minScale)...\(maxScale)")
        }
        guard (0...64).contains(noise) else { throw DataError(.badSpec, "synthetic noise must be 0...64, got \(noise)") }
    }
}

/// A deterministic synthetic dataset for weakly supervised localisation: one object of a
/// known class per image (a distinct shape with its own texture, random colour, position,
/// scale, aspect and rotation) over a cluttered background (gradient, soft blobs, lines) with
/// smaller distractors (strokes, outlines, zigzags, smudges) and pixel noise. The ground-truth
/// box is the exact extent of the object's rendered pixels (coverage >= 0.5).
///
/// Image `i` of a split depends only on `(seed, split, i)`, so samples render independently,
/// on any thread, in any order, and the same on every run. Labels cycle through the classes
/// (`i % classes`), so every class is equally frequent. With the defaults objects' boxes cover
/// 9-36 % of the image (about 21 % on average): a full-image box is a poor localisation.
///
/// Images are rendered on demand; `writeCache(to:)` stores a split as PNG files plus
/// annotations, and `init(config:split:cache:)` reads such a cache when it matches the config.
public final class SyntheticDataset: Dataset {
    public let config: SyntheticConfig
    /// `train` or `test`.
    public let split: String
    public let name: String
    public let classNames: [String]
    /// When set, samples are read from this cache folder instead of being rendered.
    public let cacheDirectory: URL?
    private let splitKey: UInt64

    public var count: Int { split == "train" ? config.trainCount : config.testCount }

    /// The `split` (`train` or `test`) of the dataset `config` describes. With `cache`, a cache
    /// written by `writeCache(to:)` for the same config is used if present (else it is written
    /// there first).
    public init(config: SyntheticConfig, split: String, cache: URL? = nil) throws {
        try config.validate()
        guard split == "train" || split == "test" else {
            throw DataError(.badSpec, "synthetic splits are 'train' and 'test', not '\(split)'")
        }
        self.config = config
        self.split = split
        splitKey = split == "train" ? 1 : 2
        classNames = SyntheticShape.allCases.prefix(config.classes).map(\.name)
        name = "synthetic seed=\(config.seed) \(split)"
        if let cache {
            let dir = cache.appendingPathComponent(Self.cacheName(config, split))
            cacheDirectory = dir
            if !Self.cacheIsValid(dir, config: config, split: split) {
                let generator = try SyntheticDataset(config: config, split: split)
                try generator.writeCache(to: dir)
            }
        } else {
            cacheDirectory = nil
        }
    }

    static func cacheName(_ c: SyntheticConfig, _ split: String) -> String {
        "synthetic-s\(c.seed)-c\(c.classes)-n\(c.trainCount)-\(c.testCount)-px\(c.size)-d\(c.distractors)-\(c.minScale)-\(c.maxScale)-z\(c.noise)-\(split)"
    }

    static func cacheIsValid(_ dir: URL, config: SyntheticConfig, split: String) -> Bool {
        guard let data = try? Data(contentsOf: dir.appendingPathComponent("synthetic.json")),
            let stored = try? JSONDecoder().decode(CacheInfo.self, from: data)
        else { return false }
        return stored.config == config && stored.split == split && stored.version == CacheInfo.currentVersion
    }

    struct CacheInfo: Codable {
        static let currentVersion = 1
        let version: Int
        let config: SyntheticConfig
        let split: String
    }

    /// The id of sample `index`, e.g. `train_000042`.
    public func id(of index: Int) -> String { "\(split)_\(String(format: "%06d", index))" }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let layout = self.layout(index)
        let source: Sample.ImageSource
        if let dir = cacheDirectory {
            source = .file(dir.appendingPathComponent("images/\(id(of: index)).png"))
        } else {
            source = .generated { [self] in try self.render(index) }
        }
        return Sample(
            id: id(of: index), label: layout.label, className: classNames[layout.label], boxes: [layout.box],
            width: config.size, height: config.size, image: source)
    }

    /// Renders image `index` (RGB, `size` x `size`).
    public func render(_ index: Int) throws -> Image {
        let layout = self.layout(index)
        let pixels = SyntheticRenderer(config: config).render(layout)
        return try Image(width: config.size, height: config.size, channels: 3, pixels: pixels)
    }

    /// Everything random about image `index`, drawn in a fixed order from its own generator.
    func layout(_ index: Int) -> SyntheticLayout {
        var rng = SplitMix64(seed: config.seed, keys: splitKey, UInt64(index))
        return SyntheticLayout.draw(label: index % config.classes, config: config, rng: &rng)
    }

    /// Writes the split as `images/<id>.png`, `annotations.json` (the folder reader's format) and
    /// `synthetic.json` (the config, to recognise the cache) into `directory`, rendering on all
    /// cores. The folder appears complete or not at all (written aside, then renamed).
    public func writeCache(to directory: URL) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(UUID().uuidString)")
        try fm.createDirectory(at: staging.appendingPathComponent("images"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let n = count
        let failure = LockedBox<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: max(1, ProcessInfo.processInfo.activeProcessorCount)) { worker in
            let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
            var i = worker
            while i < n {
                if failure.value != nil { return }
                do {
                    let png = try render(i).encoded(as: .png)
                    try png.write(to: staging.appendingPathComponent("images/\(id(of: i)).png"))
                } catch {
                    failure.set(error)
                    return
                }
                i += workers
            }
        }
        if let e = failure.value { throw e }
        struct Item: Encodable { let id: String; let file: String; let label: Int; let boxes: [BoundingBox]; let width: Int; let height: Int }
        struct Doc: Encodable { let classes: [String]; let samples: [Item] }
        let items = (0..<n).map { i -> Item in
            let l = layout(i)
            return Item(id: id(of: i), file: "images/\(id(of: i)).png", label: l.label, boxes: [l.box], width: config.size, height: config.size)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(Doc(classes: classNames, samples: items)).write(to: staging.appendingPathComponent("annotations.json"))
        try encoder.encode(CacheInfo(version: CacheInfo.currentVersion, config: config, split: split))
            .write(to: staging.appendingPathComponent("synthetic.json"))
        if fm.fileExists(atPath: directory.path) { try fm.removeItem(at: directory) }
        try fm.moveItem(at: staging, to: directory)
    }
}

/// A value shared between threads under a lock.
final class LockedBox<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ v: T) { lock.lock(); stored = v; lock.unlock() }
    func update<R>(_ body: (inout T) throws -> R) rethrows -> R { lock.lock(); defer { lock.unlock() }; return try body(&stored) }
}
