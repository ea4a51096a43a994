import Foundation
import CAMFormats

/// A dataset named on the command line: `KIND:PATH[:SPLIT][:key=value,...]`.
///
/// Grammar (segments separated by `:`; an option segment holds `key=value` pairs separated by
/// commas; a bare word after the path is the split or a flag):
///
/// ```
/// tfds:PATH[:SPLIT][:skip_corrupt][:image=NAME,label=NAME,bbox=NAME,id=NAME]
///                                       PATH = a prepared folder such as ~/tensorflow_datasets/cars196/2.1.0;
///                                       SPLIT defaults to train
/// stanford-cars:DIR:SPLIT[:annotations=FILE,images=DIR]      SPLIT = train | test
/// voc:DIR[:SPLIT]                       SPLIT names ImageSets/Main/SPLIT.txt; default: every annotation
/// coco:FILE[:images=DIR]
/// folder:DIR[:annotations=FILE]
/// wsol:DIR[:images=DIR]                 DIR holds image_ids.txt, class_labels.txt, image_sizes.txt, localization.txt
/// synthetic[:key=value,...][:SPLIT]     keys: seed, classes, train, test, size, distractors, min_scale,
///                                       max_scale, noise, cache (a folder); SPLIT = train (default) | test
/// ```
///
/// Examples: `tfds:~/tensorflow_datasets/cars196/2.1.0:test`, `stanford-cars:/data/cars:train`,
/// `synthetic:seed=0,classes=8,train=4000,test=800,size=128:test`. Paths may start with `~`;
/// they cannot contain `:`.
public struct DatasetSpec: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case tfds, stanfordCars = "stanford-cars", voc, coco, folder, wsol, synthetic
    }

    public var kind: Kind
    /// The folder or file (nil for `synthetic`).
    public var path: String?
    public var split: String?
    /// `key=value` options, keys lower-case.
    public var options: [String: String]
    /// Bare flags such as `skip_corrupt`.
    public var flags: Set<String>

    public init(kind: Kind, path: String? = nil, split: String? = nil, options: [String: String] = [:], flags: Set<String> = []) {
        self.kind = kind
        self.path = path
        self.split = split
        self.options = options
        self.flags = flags
    }

    static let allowedKeys: [Kind: Set<String>] = [
        .tfds: ["image", "label", "bbox", "id", "skip_corrupt"],
        .stanfordCars: ["annotations", "images"],
        .voc: [],
        .coco: ["images"],
        .folder: ["annotations"],
        .wsol: ["images"],
        .synthetic: ["seed", "classes", "train", "test", "size", "distractors", "min_scale", "max_scale", "noise", "cache"]
    ]
    static let allowedFlags: [Kind: Set<String>] = [.tfds: ["skip_corrupt"]]

    /// Parses a spec string; errors say what is wrong and show the expected form.
    public static func parse(_ text: String) throws -> DatasetSpec {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var segments = trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let kindName = segments.removeFirst().lowercased()
        guard let kind = Kind(rawValue: kindName) ?? (kindName == "stanford_cars" || kindName == "cars" ? .stanfordCars : nil) else {
            throw DataError(
                .badSpec,
                "unknown dataset kind '\(kindName)' in '\(text)'; use one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))\n\(usage)")
        }
        var spec = DatasetSpec(kind: kind)
        if kind != .synthetic {
            guard let p = segments.first, !p.isEmpty else {
                throw DataError(.badSpec, "'\(text)' names no \(kind == .coco ? "file" : "folder"); expected \(form(kind))")
            }
            spec.path = (p as NSString).expandingTildeInPath
            segments.removeFirst()
        }
        for seg in segments {
            guard !seg.isEmpty else { throw DataError(.badSpec, "empty segment in '\(text)'; expected \(form(kind))") }
            if seg.contains("=") {
                for pair in seg.split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
                        throw DataError(.badSpec, "option '\(pair)' in '\(text)' is not key=value")
                    }
                    let key = kv[0].lowercased()
                    guard allowedKeys[kind]!.contains(key) else {
                        let allowed = allowedKeys[kind]!.sorted()
                        throw DataError(
                            .badSpec,
                            "unknown option '\(key)' for \(kind.rawValue); \(allowed.isEmpty ? "it takes none" : "allowed: \(allowed.joined(separator: ", "))")"
                        )
                    }
                    guard spec.options[key] == nil else { throw DataError(.badSpec, "option '\(key)' is given twice in '\(text)'") }
                    spec.options[key] = key == "cache" || key == "images" || key == "annotations" ? (kv[1] as NSString).expandingTildeInPath : kv[1]
                }
            } else if allowedFlags[kind]?.contains(seg.lowercased()) == true {
                spec.flags.insert(seg.lowercased())
            } else {
                guard spec.split == nil else {
                    throw DataError(.badSpec, "'\(text)' names two splits ('\(spec.split!)' and '\(seg)'); expected \(form(kind))")
                }
                guard kind != .coco, kind != .folder, kind != .wsol else {
                    throw DataError(.badSpec, "\(kind.rawValue) datasets take no split ('\(seg)'); expected \(form(kind))")
                }
                spec.split = seg
            }
        }
        if kind == .stanfordCars, spec.split == nil {
            throw DataError(.badSpec, "stanford-cars needs a split: \(form(kind))")
        }
        if let s = spec.split, [.stanfordCars, .synthetic].contains(kind), s != "train" && s != "test" {
            throw DataError(.badSpec, "\(kind.rawValue) splits are train and test, not '\(s)'")
        }
        if kind == .synthetic { _ = try spec.syntheticConfig() }
        return spec
    }

    static func form(_ kind: Kind) -> String {
        switch kind {
        case .tfds: "tfds:PATH/cars196/2.1.0[:SPLIT][:skip_corrupt]"
        case .stanfordCars: "stanford-cars:DIR:train|test[:annotations=FILE,images=DIR]"
        case .voc: "voc:DIR[:SPLIT]"
        case .coco: "coco:FILE.json[:images=DIR]"
        case .folder: "folder:DIR[:annotations=FILE]"
        case .wsol: "wsol:DIR[:images=DIR]"
        case .synthetic: "synthetic[:seed=0,classes=8,train=4000,test=800,size=128][:train|test]"
        }
    }

    /// All forms, one a line.
    public static var usage: String { "dataset specs:\n" + Kind.allCases.map { "  " + form($0) }.joined(separator: "\n") }

    /// The synthetic settings this spec describes (defaults for keys it leaves out).
    public func syntheticConfig() throws -> SyntheticConfig {
        var c = SyntheticConfig()
        func int(_ key: String) throws -> Int? {
            guard let v = options[key] else { return nil }
            guard let i = Int(v) else { throw DataError(.badSpec, "synthetic \(key) must be an integer, got '\(v)'") }
            return i
        }
        func double(_ key: String) throws -> Double? {
            guard let v = options[key] else { return nil }
            guard let d = Double(v), d.isFinite else { throw DataError(.badSpec, "synthetic \(key) must be a number, got '\(v)'") }
            return d
        }
        if let v = options["seed"] {
            guard let s = UInt64(v) else { throw DataError(.badSpec, "synthetic seed must be a non-negative integer, got '\(v)'") }
            c.seed = s
        }
        if let v = try int("classes") { c.classes = v }
        if let v = try int("train") { c.trainCount = v }
        if let v = try int("test") { c.testCount = v }
        if let v = try int("size") { c.size = v }
        if let v = try int("distractors") { c.distractors = v }
        if let v = try double("min_scale") { c.minScale = v }
        if let v = try double("max_scale") { c.maxScale = v }
        if let v = try double("noise") { c.noise = v }
        try c.validate()
        return c
    }

    /// Opens the dataset.
    public func open() throws -> any Dataset {
        func url(_ p: String) -> URL { URL(fileURLWithPath: p) }
        switch kind {
        case .tfds:
            var names = ExampleFeatureNames.tfds
            if let v = options["image"] { names.image = v }
            if let v = options["label"] { names.label = v }
            if let v = options["bbox"] { names.boxes = .packed(v) }
            if let v = options["id"] { names.id = v }
            let skip = flags.contains("skip_corrupt") || ["1", "true", "yes"].contains(options["skip_corrupt"]?.lowercased() ?? "")
            return try TFDSDataset(directory: url(path!), split: split ?? "train", options: .init(skipCorrupt: skip, features: names))
        case .stanfordCars:
            return try StanfordCarsDataset(
                directory: url(path!), split: split!, annotations: options["annotations"].map(url),
                images: options["images"].map(url))
        case .voc:
            return try AnnotatedImageDataset.voc(url(path!), split: split)
        case .coco:
            return try AnnotatedImageDataset.coco(url(path!), images: options["images"].map(url))
        case .folder:
            return try AnnotatedImageDataset.folder(url(path!), annotations: options["annotations"].map(url))
        case .wsol:
            return try AnnotatedImageDataset.wsol(url(path!), images: options["images"].map(url))
        case .synthetic:
            return try SyntheticDataset(config: syntheticConfig(), split: split ?? "train", cache: options["cache"].map(url))
        }
    }

    /// The same spec with its relative paths (the folder or file, and `annotations`, `images`,
    /// `cache`) made absolute against `base` (default: the current directory), so that it means
    /// the same data from any directory; `~` paths and absolute ones are kept.
    public func absolutized(relativeTo base: URL? = nil) -> DatasetSpec {
        let root = base ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") || p.hasPrefix("~") ? p : root.appendingPathComponent(p).standardizedFileURL.path
        }
        var spec = self
        spec.path = path.map(absolute)
        for key in ["annotations", "images", "cache"] { spec.options[key] = options[key].map(absolute) }
        return spec
    }

    /// The spec written back in the grammar above.
    public var description: String {
        var parts = [kind.rawValue]
        if let path { parts.append(path) }
        if !options.isEmpty { parts.append(options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ",")) }
        if let split { parts.append(split) }
        parts += flags.sorted()
        return parts.joined(separator: ":")
    }
}
