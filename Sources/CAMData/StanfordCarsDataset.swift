import Foundation
import CAMImaging
import CAMFormats

/// The Stanford Cars dataset in its original layout, or its common CSV conversion.
///
/// Folder layout (`DIR`): images in `cars_train/` and `cars_test/` (also found one level down,
/// as some archives nest them, e.g. `cars_train/cars_train/`); annotations either
///
/// - the devkit's MAT files: `devkit/cars_train_annos.mat`, `cars_test_annos_withlabels.mat`
///   (in `DIR` or `DIR/devkit`) with the struct array `annotations` (fields `bbox_x1`, `bbox_y1`,
///   `bbox_x2`, `bbox_y2`, `class`, `fname`), class names from `devkit/cars_meta.mat`
///   (`class_names`); or
/// - CSV files `anno_train.csv` / `anno_test.csv`, rows `fname,x1,y1,x2,y2,class` (1-based pixels,
///   1-based class, an optional header line), class names from `names.csv` (one a line) or
///   `cars_meta.mat`.
///
/// Labels are `class - 1`. Boxes follow tfds' Cars196 builder exactly: `[y1 / height, x1 / width,
/// y2 / height, x2 / width]` with the image's own size, so this reader and `TFDSDataset` agree on
/// the same data. Ids are file names without extension, as in tfds. Image sizes are read from
/// the file headers when a sample is asked for; a box outside its image is an error then.
public final class StanfordCarsDataset: Dataset {
    struct Row: Sendable {
        let file: String
        let x1, y1, x2, y2: Double
        let label: Int
        let source: String
        let line: Int
    }

    public let name: String
    public let classNames: [String]
    /// The folder the images are read from.
    public let imageDirectory: URL
    /// The annotation file used.
    public let annotationFile: URL
    private let rows: [Row]

    public var count: Int { rows.count }

    /// Opens the `split` (`train` or `test`) of the dataset in `directory`. `annotations` overrides
    /// the annotation file (a `.mat` or `.csv`), `images` the image folder.
    public init(directory: URL, split: String, annotations: URL? = nil, images: URL? = nil) throws {
        guard split == "train" || split == "test" else {
            throw DataError(.badSpec, "Stanford Cars splits are 'train' and 'test', not '\(split)'")
        }
        let fm = FileManager.default
        func existing(_ candidates: [String]) -> URL? {
            candidates.map { directory.appendingPathComponent($0) }.first { fm.fileExists(atPath: $0.path) }
        }
        let matNames =
            split == "train"
            ? ["devkit/cars_train_annos.mat", "cars_train_annos.mat"]
            : ["cars_test_annos_withlabels.mat", "devkit/cars_test_annos_withlabels.mat"]
        let csvNames = ["anno_\(split).csv", "devkit/anno_\(split).csv"]
        guard let annotationFile = annotations ?? existing(matNames) ?? existing(csvNames) else {
            var hint = ""
            if split == "test", existing(["devkit/cars_test_annos.mat", "cars_test_annos.mat"]) != nil {
                hint = " (cars_test_annos.mat has no class labels; get cars_test_annos_withlabels.mat)"
            }
            throw DataError(
                .missingFile, "no \(split) annotations: looked for \((matNames + csvNames).joined(separator: ", "))\(hint)",
                path: directory.path)
        }
        self.annotationFile = annotationFile
        guard let imageDir = images ?? existing(["cars_\(split)/cars_\(split)", "cars_\(split)"]) else {
            throw DataError(.missingFile, "no image folder cars_\(split)/", path: directory.path)
        }
        imageDirectory = imageDir

        let rows: [Row]
        if annotationFile.pathExtension.lowercased() == "mat" {
            rows = try Self.matRows(annotationFile)
        } else {
            rows = try Self.csvRows(annotationFile)
        }
        self.rows = rows

        if let meta = existing(["devkit/cars_meta.mat", "cars_meta.mat"]) {
            let mat = try MATFile(contentsOf: meta)
            let names = try Self.wrap(meta) { try mat.variable("class_names") }
            guard case .cell(_, let cells) = names else {
                throw DataError(.badFormat, "class_names is not a cell array of names", path: meta.path)
            }
            classNames = cells.map { $0.string ?? "" }
        } else if let namesCSV = existing(["names.csv", "devkit/names.csv"]) {
            let text = try String(contentsOf: namesCSV, encoding: .utf8)
            classNames = text.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
        } else {
            let maxLabel = rows.map(\.label).max() ?? -1
            classNames = (0...max(0, maxLabel)).map { "class \($0 + 1)" }
        }
        for r in rows where r.label < 0 || r.label >= classNames.count {
            throw DataError(.badAnnotation, "class \(r.label + 1) of \(r.file) is outside 1...\(classNames.count)", path: r.source, record: r.line)
        }
        name = "stanford-cars \(split)"
    }

    private static func wrap<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DataError where e.path == nil {
            throw DataError(e.kind, e.message, path: url.path, record: e.record)
        }
    }

    static func matRows(_ url: URL) throws -> [Row] {
        let mat = try MATFile(contentsOf: url)
        return try wrap(url) {
            guard case .structArray(_, let fields, let elements) = try mat.variable("annotations") else {
                throw DataError(.badFormat, "'annotations' is not a struct array")
            }
            for f in ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "fname"] where !fields.contains(f) {
                throw DataError(.badFormat, "'annotations' has no field '\(f)' (it has \(fields.joined(separator: ", ")))")
            }
            guard fields.contains("class") else {
                throw DataError(
                    .badFormat, "'annotations' has no 'class' field: this file has no labels (for the test split use cars_test_annos_withlabels.mat)")
            }
            return try elements.enumerated().map { i, e in
                func number(_ f: String) throws -> Double {
                    guard let v = e[f]?.scalar else { throw DataError(.badFormat, "annotation \(i): '\(f)' is not a number", record: i) }
                    return v
                }
                guard let fname = e["fname"]?.string else { throw DataError(.badFormat, "annotation \(i): 'fname' is not text", record: i) }
                return Row(
                    file: fname, x1: try number("bbox_x1"), y1: try number("bbox_y1"), x2: try number("bbox_x2"),
                    y2: try number("bbox_y2"), label: try classLabel(try number("class"), path: url.path, record: i), source: url.path, line: i)
            }
        }
    }

    /// The 0-based label of a 1-based Stanford Cars class number, which must be a whole number in
    /// 1...`Limits.maxClasses` (a NaN or 1e300 in the file is an error, not a trap).
    static func classLabel(_ value: Double, path: String, record: Int) throws -> Int {
        guard let n = Int(exactly: value) else {
            throw DataError(.badAnnotation, "class \(value) is not a whole class number", path: path, record: record)
        }
        try checkClassLabel(n &- 1, path: path, record: record, shownAs: n)
        return n - 1
    }

    static func csvRows(_ url: URL) throws -> [Row] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DataError(.missingFile, "cannot read annotations: \(error.localizedDescription)", path: url.path)
        }
        var rows: [Row] = []
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if cols.count == 1 && cols[0].isEmpty { continue }
            guard cols.count >= 6 else {
                throw DataError(.badFormat, "line \(n + 1): expected fname,x1,y1,x2,y2,class", path: url.path, record: n + 1)
            }
            let nums = cols[1...5].map { Double($0) }
            if nums.contains(where: { $0 == nil }) {
                if n == 0 { continue }  // a header line
                throw DataError(.badFormat, "line \(n + 1): coordinates and class must be numbers", path: url.path, record: n + 1)
            }
            rows.append(
                Row(
                    file: cols[0], x1: nums[0]!, y1: nums[1]!, x2: nums[2]!, y2: nums[3]!,
                    label: try classLabel(nums[4]!, path: url.path, record: n + 1),
                    source: url.path, line: n + 1))
        }
        return rows
    }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let r = rows[index]
        let url = imageDirectory.appendingPathComponent(r.file)
        let size = try ImageHeader.size(contentsOf: url)
        let w = Double(size.width), h = Double(size.height)
        guard r.x1 >= 0, r.y1 >= 0, r.x2 <= w, r.y2 <= h, r.x1 <= r.x2, r.y1 <= r.y2 else {
            throw DataError(
                .badAnnotation, "box (x1 \(r.x1), y1 \(r.y1), x2 \(r.x2), y2 \(r.y2)) of \(r.file) is outside its \(size.width)x\(size.height) image",
                path: r.source, record: r.line)
        }
        // tfds' Cars196 rule, in float32 like its BBoxFeature.
        let box = BoundingBox(
            ymin: Double(Float(r.y1 / h)), xmin: Double(Float(r.x1 / w)),
            ymax: Double(Float(r.y2 / h)), xmax: Double(Float(r.x2 / w)))
        let id = (r.file as NSString).deletingPathExtension
        return Sample(
            id: id, label: r.label, className: className(for: r.label), boxes: [box], width: size.width,
            height: size.height, image: .file(url))
    }
}
