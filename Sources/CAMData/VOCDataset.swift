import Foundation
#if canImport(FoundationXML)
    import FoundationXML
    import CAMFormats
#endif

extension AnnotatedImageDataset {
    /// The 20 Pascal VOC classes, in the usual order.
    public static let vocClasses = [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"
    ]

    /// A Pascal VOC folder: `Annotations/*.xml`, `JPEGImages/`, and with a `split`,
    /// `ImageSets/Main/<split>.txt` listing the image ids (otherwise every XML file, sorted).
    ///
    /// Each image becomes one single-label sample, as weakly supervised localisation wants: the
    /// label is the class of its first object that is not marked `difficult` (the first object
    /// when all are), and the boxes are all objects of that class (difficult ones included only
    /// when that class has no other). VOC corners are 1-based inclusive pixels:
    /// `[(ymin - 1) / height, (xmin - 1) / width, ymax / height, xmax / width]`.
    /// Classes are the 20 VOC classes when every object name is one of them, else the sorted
    /// names found.
    public static func voc(_ directory: URL, split: String? = nil) throws -> AnnotatedImageDataset {
        let annotations = directory.appendingPathComponent("Annotations")
        let images = directory.appendingPathComponent("JPEGImages")
        let fm = FileManager.default
        guard fm.fileExists(atPath: annotations.path) else {
            throw DataError(.missingFile, "not a VOC folder (no Annotations/)", path: directory.path)
        }
        var ids: [String]
        if let split {
            let list = directory.appendingPathComponent("ImageSets/Main/\(split).txt")
            ids = try readLines(list, what: "VOC split list").map { $0.split(separator: " ").first.map(String.init) ?? "" }.filter { !$0.isEmpty }
        } else {
            ids = try fm.contentsOfDirectory(atPath: annotations.path).filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }.sorted()
        }
        var parsed: [(id: String, doc: VOCAnnotation, path: String)] = []
        for id in ids {
            let url = annotations.appendingPathComponent("\(id).xml")
            parsed.append((id, try VOCAnnotation.parse(url), url.path))
        }
        let names = Set(parsed.flatMap { $0.doc.objects.map(\.name) })
        let classNames = names.isSubset(of: Set(vocClasses)) ? vocClasses : names.sorted()
        var entries: [Entry] = []
        for (id, doc, path) in parsed {
            guard let chosen = doc.objects.first(where: { !$0.difficult }) ?? doc.objects.first else {
                throw DataError(.badAnnotation, "image '\(id)' has no objects, so no label", path: path)
            }
            let same = doc.objects.filter { $0.name == chosen.name }
            let easy = same.filter { !$0.difficult }
            let objects = easy.isEmpty ? same : easy
            let file = try AnnotatedImageDataset.file(doc.filename ?? "\(id).jpg", in: images, source: path)
            let boxes = objects.map { o in (x0: o.xmin - 1, y0: o.ymin - 1, x1: o.xmax, y1: o.ymax) }
            let size = doc.width.flatMap { w in doc.height.map { (width: w, height: $0) } }.flatMap { $0.width > 0 && $0.height > 0 ? $0 : nil }
            entries.append(
                Entry(
                    id: id, file: file, label: classNames.firstIndex(of: chosen.name)!, boxes: .pixels(boxes),
                    size: size, source: path))
        }
        return try AnnotatedImageDataset(
            name: "voc \(directory.lastPathComponent)\(split.map { " \($0)" } ?? "")",
            classNames: classNames, entries: entries)
    }
}

/// The parts of one VOC annotation XML that CAMKit reads.
struct VOCAnnotation {
    struct Object {
        var name = ""
        var difficult = false
        var xmin = 0.0, ymin = 0.0, xmax = 0.0, ymax = 0.0
    }

    var filename: String?
    var width: Int?
    var height: Int?
    var objects: [Object] = []

    static func parse(_ url: URL) throws -> VOCAnnotation {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DataError(.missingFile, "VOC annotation is missing", path: url.path)
        }
        // Foundation's XMLParser traps on an element name that is not UTF-8 (libxml2 hands it the raw
        // bytes): VOC annotations are ASCII, so anything else is refused before parsing.
        guard String(data: data, encoding: .utf8) != nil else {
            throw DataError(.badFormat, "VOC annotation is not UTF-8 text", path: url.path)
        }
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            let reason = parser.parserError.map { "\($0)" } ?? "malformed XML"
            throw DataError(.badFormat, "VOC annotation does not parse: \(reason) (line \(parser.lineNumber))", path: url.path)
        }
        if let e = delegate.error { throw DataError(.badFormat, e, path: url.path) }
        return delegate.result
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var result = VOCAnnotation()
        var path: [String] = []
        var text = ""
        var object: Object?
        var seen: Set<String> = []
        var error: String?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            path.append(name)
            text = ""
            if name == "object" && path.count == 2 { object = Object(); seen = [] }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parent = path.count >= 2 ? path[path.count - 2] : ""
            switch (parent, name) {
            case ("annotation", "filename"): result.filename = value
            case ("size", "width"): result.width = Int(value) ?? Double(value).map { Int($0) }
            case ("size", "height"): result.height = Int(value) ?? Double(value).map { Int($0) }
            case ("object", "name") where path.count == 3: object?.name = value
            case ("object", "difficult") where path.count == 3: object?.difficult = value == "1"
            case ("bndbox", "xmin"), ("bndbox", "ymin"), ("bndbox", "xmax"), ("bndbox", "ymax"):
                if path.count == 4 {
                    guard let v = Double(value) else { error = "bndbox \(name) '\(value)' is not a number"; break }
                    seen.insert(name)
                    switch name {
                    case "xmin": object?.xmin = v
                    case "ymin": object?.ymin = v
                    case "xmax": object?.xmax = v
                    default: object?.ymax = v
                    }
                }
            case ("annotation", "object"):
                if let o = object {
                    if o.name.isEmpty {
                        error = "an object has no name"
                    } else if seen.count != 4 {
                        error = "object '\(o.name)' has an incomplete bndbox"
                    } else {
                        result.objects.append(o)
                    }
                }
                object = nil
            default: break
            }
            text = ""
            path.removeLast()
        }
    }
}
