import CAMCore
import Foundation
import CAMImaging
import CAMFormats

/// A split of a dataset prepared by tensorflow_datasets, read straight from its folder
/// (e.g. `~/tensorflow_datasets/cars196/2.1.0`):
///
/// - `dataset_info.json`: the dataset name, `fileFormat` (only `tfrecord` is read), and per split
///   its `shardLengths` and `filepathTemplate` (default `{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}`,
///   shards named like `cars196-test.tfrecord-00000-of-00008`);
/// - `<label feature>.labels.txt`: the class names, one a line (tfds' `ClassLabel` file);
/// - the shards: `tf.train.Example` records in TFRecord framing.
///
/// Samples come in file order: shard after shard, record after record (what
/// `builder.as_dataset(split, shuffle_files=False, read_config=ReadConfig(interleave_cycle_length=1))`
/// yields). Boxes are tfds' `BBoxFeature` values as stored (float32, normalised).
///
/// Opening checks every shard's framing and that each shard holds the number of records
/// `shardLengths` promises; reading a sample checks its data CRC and its features. With
/// `skipCorrupt`, opening instead reads and decodes every record, leaves out the bad ones and
/// reports how many in `skippedCount` (so the whole split is read once at open).
public final class TFDSDataset: Dataset {
    /// tfds decodes with TensorFlow (`tf.io.decode_image`), so CAMKit does too.
    public var jpegDecoder: JPEGDecoder { .tf }

    /// Reader options.
    public struct Options: Sendable {
        /// Leave out corrupt records (counted in `skippedCount`) instead of failing.
        public var skipCorrupt: Bool
        /// Which features hold what.
        public var features: ExampleFeatureNames

        public init(skipCorrupt: Bool = false, features: ExampleFeatureNames = .tfds) {
            self.skipCorrupt = skipCorrupt
            self.features = features
        }
    }

    public let name: String
    public let classNames: [String]
    public let skippedCount: Int
    /// The prepared dataset's folder.
    public let directory: URL
    /// The split read.
    public let split: String
    /// The dataset's name in `dataset_info.json` (e.g. `cars196`).
    public let datasetName: String
    /// The version in `dataset_info.json` (e.g. `2.1.0`).
    public let version: String
    /// Every split `dataset_info.json` lists.
    public let availableSplits: [String]
    /// The shard files of the split, in order.
    public let shards: [TFRecordFile]
    /// Why records were skipped (with `skipCorrupt`), each naming its shard and record.
    public let skipReasons: [String]
    private let index: [(shard: Int, record: Int)]
    private let features: ExampleFeatureNames

    public var count: Int { index.count }

    /// Opens `split` of the prepared dataset in `directory`.
    public init(directory: URL, split: String, options: Options = Options()) throws {
        self.directory = directory
        self.split = split
        self.features = options.features
        let infoURL = directory.appendingPathComponent("dataset_info.json")
        let info = try TFDSInfo.load(infoURL)
        datasetName = info.name
        version = info.version ?? directory.lastPathComponent
        availableSplits = info.splits.map(\.name)
        guard let splitInfo = info.splits.first(where: { $0.name == split }) else {
            throw DataError(
                .badSpec, "split '\(split)' is not in this dataset; it has: \(availableSplits.joined(separator: ", "))",
                path: infoURL.path)
        }
        let format = info.fileFormat ?? "tfrecord"
        guard format == "tfrecord" else {
            throw DataError(.badFormat, "file format '\(format)' is not supported (only tfrecord)", path: infoURL.path)
        }
        let shardURLs = try Self.shardFiles(directory: directory, info: info, split: splitInfo, format: format)
        classNames = try Self.classNames(directory: directory, labelFeature: options.features.label)
        name = "tfds \(info.name) \(version) \(split)"

        var shards: [TFRecordFile] = []
        var index: [(Int, Int)] = []
        var reasons: [String] = []
        var skipped = 0
        for (s, url) in shardURLs.enumerated() {
            let file = try TFRecordFile(url: url, skipCorrupt: options.skipCorrupt)
            shards.append(file)
            reasons += file.skipReasons.map { "\(url.lastPathComponent) \($0)" }
            let expected = splitInfo.shardLengths.map { s < $0.count ? $0[s] : nil } ?? nil
            if options.skipCorrupt {
                var good = 0
                for r in 0..<file.count {
                    do {
                        let data = try file.record(at: r)
                        _ = try ExampleRecord(serialized: data, names: options.features, path: url.path, record: r)
                        index.append((s, r))
                        good += 1
                    } catch let e as DataError {
                        reasons.append("\(url.lastPathComponent) \(e.description)")
                    }
                }
                if let expected {
                    skipped += max(0, expected - good)
                } else {
                    skipped += file.skipped + (file.count - good)
                }
            } else {
                if let expected, expected != file.count {
                    throw DataError(
                        .corruptRecord,
                        "the shard holds \(file.count) records but dataset_info.json says \(expected) (truncated or replaced file?)",
                        path: url.path)
                }
                index += (0..<file.count).map { (s, $0) }
            }
        }
        self.shards = shards
        self.index = index
        self.skippedCount = skipped
        self.skipReasons = reasons
    }

    public func sample(at i: Int) throws -> Sample {
        try checkIndex(i)
        let (s, r) = index[i]
        let file = shards[s]
        let data = try file.record(at: r)
        let rec = try ExampleRecord(serialized: data, names: features, path: file.url.path, record: r)
        if !classNames.isEmpty, !(0..<classNames.count).contains(rec.label) {
            throw DataError(.badAnnotation, "label \(rec.label) is outside the \(classNames.count) classes", path: file.url.path, record: r)
        }
        let source = "\(file.url.path) record \(r)"
        guard let size = ImageHeader.size(of: rec.image) else {
            throw DataError(.corruptRecord, "feature '\(features.image)' is not a JPEG/PNG/GIF/BMP/WebP image", path: file.url.path, record: r)
        }
        var sample = Sample(
            id: rec.id ?? "\(split)/\(i)", label: rec.label, className: className(for: rec.label), boxes: rec.boxes,
            width: size.width, height: size.height, image: .encoded(rec.image, source: source))
        sample.jpegDecoder = jpegDecoder
        return sample
    }

    /// Shard paths from `filepathTemplate` and `shardLengths`, or by listing the folder when
    /// the info has no shard lengths (older tfds versions).
    static func shardFiles(directory: URL, info: TFDSInfo, split: TFDSInfo.Split, format: String) throws -> [URL] {
        let template = split.filepathTemplate ?? "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
        func path(_ shard: Int, of total: Int) -> String {
            template.replacingOccurrences(of: "{DATASET}", with: info.name)
                .replacingOccurrences(of: "{SPLIT}", with: split.name)
                .replacingOccurrences(of: "{FILEFORMAT}", with: format)
                .replacingOccurrences(of: "{SHARD_X_OF_Y}", with: String(format: "%05d-of-%05d", shard, total))
                .replacingOccurrences(of: "{SHARD_INDEX}", with: String(format: "%05d", shard))
                .replacingOccurrences(of: "{NUM_SHARDS}", with: String(format: "%05d", total))
        }
        var urls: [URL]
        if let lengths = split.shardLengths, !lengths.isEmpty {
            urls = lengths.indices.map { directory.appendingPathComponent(path($0, of: lengths.count)) }
        } else {
            let prefix = "\(info.name)-\(split.name).\(format)-"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            urls = names.filter { $0.hasPrefix(prefix) }.sorted().map { directory.appendingPathComponent($0) }
            guard !urls.isEmpty else {
                throw DataError(.missingFile, "no shards named \(prefix)* for split '\(split.name)'", path: directory.path)
            }
        }
        for u in urls where !FileManager.default.fileExists(atPath: u.path) {
            throw DataError(.missingFile, "shard of split '\(split.name)' listed in dataset_info.json is missing", path: u.path)
        }
        return urls
    }

    /// Class names from `<label>.labels.txt`, else `numClasses` placeholders from `features.json`, else none.
    static func classNames(directory: URL, labelFeature: String) throws -> [String] {
        let file = directory.appendingPathComponent("\(labelFeature.replacingOccurrences(of: "/", with: "-")).labels.txt")
        if FileManager.default.fileExists(atPath: file.path) {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw DataError(.badFormat, "cannot read the class names: \(error.localizedDescription)", path: file.path)
            }
            var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
            while lines.last == "" { lines.removeLast() }
            return lines
        }
        let featuresURL = directory.appendingPathComponent("features.json")
        if let data = try? Data(contentsOf: featuresURL),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let dict = json["featuresDict"] as? [String: Any], let feats = dict["features"] as? [String: Any],
            let label = feats[labelFeature] as? [String: Any], let cl = label["classLabel"] as? [String: Any],
            let n = Int("\(cl["numClasses"] ?? "")")
        {
            guard (0...Limits.maxClasses).contains(n) else {
                throw DataError(.badFormat, "numClasses \(n) is outside 0...\(Limits.maxClasses)", path: featuresURL.path)
            }
            return (0..<n).map { "class \($0)" }
        }
        return []
    }
}

/// The parts of tfds' `dataset_info.json` CAMKit uses.
struct TFDSInfo: Decodable {
    struct Split: Decodable {
        let name: String
        let shardLengths: [Int]?
        let filepathTemplate: String?

        enum CodingKeys: String, CodingKey { case name, shardLengths, filepathTemplate }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            filepathTemplate = try c.decodeIfPresent(String.self, forKey: .filepathTemplate)
            // protobuf JSON writes int64 as strings; accept numbers too.
            if let strings = try? c.decodeIfPresent([String].self, forKey: .shardLengths) {
                shardLengths = try strings.map {
                    guard let v = Int($0) else {
                        throw DecodingError.dataCorruptedError(forKey: .shardLengths, in: c, debugDescription: "'\($0)' is not a count")
                    }
                    return v
                }
            } else {
                shardLengths = try c.decodeIfPresent([Int].self, forKey: .shardLengths)
            }
        }
    }

    let name: String
    let version: String?
    let fileFormat: String?
    let splits: [Split]

    static func load(_ url: URL) throws -> TFDSInfo {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError(
                .missingFile, "not a prepared tfds dataset folder (no dataset_info.json); pass e.g. ~/tensorflow_datasets/cars196/2.1.0",
                path: url.path)
        }
        do {
            return try JSONDecoder().decode(TFDSInfo.self, from: Data(contentsOf: url))
        } catch {
            throw DataError(.badFormat, "dataset_info.json does not parse: \(error)", path: url.path)
        }
    }
}
