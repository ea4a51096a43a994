import CAMCore
import Foundation
import CAMImaging
import CAMFormats

/// A dataset of image files with annotations read up front: what the folder, VOC, COCO and
/// wsolevaluation readers build (see `folder(...)`, `voc(...)`, `coco(...)`, `wsol(...)`).
///
/// Asking for a sample reads the image's header: a missing or undecodable file, a size that
/// differs from the annotation's, or a box outside the image is an error naming the annotation
/// file and row, never a silently wrong sample.
public final class AnnotatedImageDataset: Dataset {
    /// One annotated image.
    public struct Entry: Sendable {
        /// Boxes as the annotation gives them.
        public enum Boxes: Sendable {
            /// Normalised `[ymin, xmin, ymax, xmax]`.
            case normalized([BoundingBox])
            /// Pixel coordinates `x0 ..< x1`, `y0 ..< y1` (continuous, top-left origin), normalised by the image size.
            case pixels([(x0: Double, y0: Double, x1: Double, y1: Double)])
        }

        public var id: String
        public var file: URL
        public var label: Int
        public var boxes: Boxes
        /// The size the annotation states, checked against the file; nil to take the file's.
        public var size: (width: Int, height: Int)?
        /// Where the annotation came from, for messages: a file and a row or record number.
        public var source: String
        public var record: Int?

        public init(
            id: String, file: URL, label: Int, boxes: Boxes, size: (width: Int, height: Int)? = nil,
            source: String, record: Int? = nil
        ) {
            self.id = id
            self.file = file
            self.label = label
            self.boxes = boxes
            self.size = size
            self.source = source
            self.record = record
        }
    }

    public let name: String
    public let classNames: [String]
    /// The entries, in the source's order.
    public let entries: [Entry]

    public var count: Int { entries.count }

    /// A dataset over `entries`; every label must index `classNames`.
    public init(name: String, classNames: [String], entries: [Entry]) throws {
        for e in entries where e.label < 0 || e.label >= classNames.count {
            throw DataError(
                .badAnnotation, "label \(e.label) of '\(e.id)' is outside the \(classNames.count) classes", path: e.source, record: e.record)
        }
        self.name = name
        self.classNames = classNames
        self.entries = entries
    }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let e = entries[index]
        guard FileManager.default.fileExists(atPath: e.file.path) else {
            throw DataError(
                .missingFile, "image of '\(e.id)' (annotated in \(e.source)\(e.record.map { " row \($0)" } ?? "")) does not exist",
                path: e.file.path)
        }
        let actual = try ImageHeader.size(contentsOf: e.file)
        if let s = e.size, s.width != actual.width || s.height != actual.height {
            throw DataError(
                .badAnnotation,
                "'\(e.id)': the annotation says \(s.width)x\(s.height) but \(e.file.lastPathComponent) is \(actual.width)x\(actual.height)",
                path: e.source, record: e.record)
        }
        let w = actual.width, h = actual.height
        let boxes: [BoundingBox]
        switch e.boxes {
        case .normalized(let b): boxes = b
        case .pixels(let p): boxes = p.map { BoundingBox(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1, width: w, height: h) }
        }
        for (k, b) in boxes.enumerated() where !b.isValid(tolerance: 1e-6) {
            throw DataError(.badAnnotation, "box \(k) of '\(e.id)' \(b) is outside its \(w)x\(h) image or inverted", path: e.source, record: e.record)
        }
        return Sample(id: e.id, label: e.label, className: classNames[e.label], boxes: boxes, width: w, height: h, image: .file(e.file))
    }
}

/// Splits a CSV line on commas, honouring double-quoted fields (`""` is a quote inside one).
func splitCSVLine(_ line: Substring) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var iterator = line.makeIterator()
    var pending: Character? = nil
    while let c = pending ?? iterator.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                if let n = iterator.next() {
                    if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
                } else {
                    quoted = false
                }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            fields.append(field)
            field = ""
        } else {
            field.append(c)
        }
    }
    fields.append(field)
    return fields.map { $0.trimmingCharacters(in: .whitespaces) }
}

/// Throws `badAnnotation` naming `path` and `record` unless `label` is a class index in
/// `0..<Limits.maxClasses`: checked as each label is read, before any per-class list is sized from it.
func checkClassLabel(_ label: Int, path: String, record: Int?, shownAs shown: Int? = nil) throws {
    guard (0..<Limits.maxClasses).contains(label) else {
        let first = shown.map { $0 - label } ?? 0
        throw DataError(
            .badAnnotation,
            "class label \(shown ?? label) is outside \(first)...\(first + Limits.maxClasses - 1) (at most \(Limits.maxClasses) classes)",
            path: path, record: record)
    }
}

/// The lines of a text file (any newline convention), with the error naming the file.
func readLines(_ url: URL, what: String) throws -> [Substring] {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw DataError(.missingFile, "\(what) is missing", path: url.path)
    }
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
        throw DataError(.badFormat, "cannot read \(what) as UTF-8 text: \(error.localizedDescription)", path: url.path)
    }
    return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
}

extension AnnotatedImageDataset {
    /// `relative` (an image path an annotation file names) inside `root`; an absolute path or one
    /// with a `..` component, which would read outside the dataset, is refused naming `source`.
    static func file(_ relative: String, in root: URL, source: String, record: Int? = nil) throws -> URL {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw DataError(
                .badAnnotation, "image path '\(relative)' leaves the dataset folder (absolute, or with '..'); give paths inside it",
                path: source, record: record)
        }
        return root.appendingPathComponent(relative)
    }
}
