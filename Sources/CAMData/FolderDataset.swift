import Foundation
import CAMImaging
import CAMFormats

extension AnnotatedImageDataset {
    /// Images in a folder with an annotation file, or class sub-folders without one.
    ///
    /// `annotations` defaults to `DIR/annotations.csv`, then `DIR/annotations.json`.
    ///
    /// - CSV: a header line, then one row per box (rows with the same `id`, or the same `file`
    ///   when there is no `id` column, are one sample with several boxes). Columns: `file`
    ///   (relative to `DIR`) and `label` (class index) and/or `class_name`, optional `id`, and the box
    ///   either normalised (`ymin,xmin,ymax,xmax`) or in pixels (`x0,y0,x1,y1`). A row with empty box
    ///   cells is a sample without a box. Class names come from `DIR/classes.txt` (one a line) when
    ///   present, else from the `class_name` column (in label order, or sorted when there is no `label`).
    /// - JSON: `{"classes": [names], "samples": [{"id", "file", "label" or "class_name",
    ///   "boxes": [[ymin, xmin, ymax, xmax], ...], "width"?, "height"?}]}`.
    /// - No annotation file: every sub-folder is a class (sorted by name) and its images are
    ///   samples without boxes.
    public static func folder(_ directory: URL, annotations: URL? = nil) throws -> AnnotatedImageDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(.missingFile, "image folder does not exist", path: directory.path)
        }
        let csv = directory.appendingPathComponent("annotations.csv")
        let json = directory.appendingPathComponent("annotations.json")
        let file = annotations ?? (fm.fileExists(atPath: csv.path) ? csv : fm.fileExists(atPath: json.path) ? json : nil)
        guard let file else { return try classFolders(directory) }
        if file.pathExtension.lowercased() == "json" { return try folderJSON(directory, file) }
        return try folderCSV(directory, file)
    }

    private static func folderCSV(_ directory: URL, _ file: URL) throws -> AnnotatedImageDataset {
        let lines = try readLines(file, what: "annotation CSV")
        guard let headerLine = lines.first else { throw DataError(.badFormat, "annotation CSV is empty", path: file.path) }
        let header = splitCSVLine(headerLine).map { $0.lowercased() }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        guard let fileCol = column("file") ?? column("filename") ?? column("image") else {
            throw DataError(.badFormat, "the header needs a 'file' column (has: \(header.joined(separator: ", ")))", path: file.path, record: 1)
        }
        let labelCol = column("label"), nameCol = column("class_name") ?? column("class")
        guard labelCol != nil || nameCol != nil else {
            throw DataError(.badFormat, "the header needs a 'label' or 'class_name' column", path: file.path, record: 1)
        }
        let idCol = column("id")
        let normCols = ["ymin", "xmin", "ymax", "xmax"].map(column)
        let pixCols = ["x0", "y0", "x1", "y1"].map(column)
        let normalized = normCols.allSatisfy { $0 != nil }
        guard normalized || pixCols.allSatisfy({ $0 != nil }) else {
            throw DataError(
                .badFormat, "the header needs box columns ymin,xmin,ymax,xmax (normalised) or x0,y0,x1,y1 (pixels)",
                path: file.path, record: 1)
        }
        let boxCols = (normalized ? normCols : pixCols).map { $0! }

        struct Pending { var id: String; var file: String; var label: Int?; var name: String?; var boxes: [[Double]]; var row: Int }
        var order: [String] = []
        var byKey: [String: Pending] = [:]
        for (n, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let cols = splitCSVLine(line)
            let row = n + 1
            guard cols.count == header.count else {
                throw DataError(.badFormat, "line \(row) has \(cols.count) fields, the header \(header.count)", path: file.path, record: row)
            }
            let path = cols[fileCol]
            let key = idCol.map { cols[$0] } ?? path
            var label: Int?
            if let labelCol {
                guard let v = Int(cols[labelCol]) else {
                    throw DataError(.badFormat, "line \(row): label '\(cols[labelCol])' is not an integer", path: file.path, record: row)
                }
                try checkClassLabel(v, path: file.path, record: row)
                label = v
            }
            let name = nameCol.map { cols[$0] }
            let cells = boxCols.map { cols[$0] }
            var box: [Double]? = nil
            if !cells.allSatisfy(\.isEmpty) {
                let values = cells.compactMap(Double.init)
                guard values.count == 4 else {
                    throw DataError(.badFormat, "line \(row): box values must be numbers", path: file.path, record: row)
                }
                box = values
            }
            if var p = byKey[key] {
                guard p.file == path, p.label == label, p.name == name else {
                    throw DataError(
                        .badAnnotation, "line \(row): '\(key)' appears with a different file or class than on line \(p.row)",
                        path: file.path, record: row)
                }
                if let box { p.boxes.append(box) }
                byKey[key] = p
            } else {
                order.append(key)
                byKey[key] = Pending(
                    id: idCol != nil ? key : (path as NSString).deletingPathExtension, file: path, label: label,
                    name: name, boxes: box.map { [$0] } ?? [], row: row)
            }
        }
        let pendings = order.map { byKey[$0]! }
        let classNames: [String]
        let classesFile = directory.appendingPathComponent("classes.txt")
        if FileManager.default.fileExists(atPath: classesFile.path) {
            classNames = try readLines(classesFile, what: "class list").map { String($0) }.filter { !$0.isEmpty }
        } else if labelCol != nil, nameCol != nil {
            var names: [Int: String] = [:]
            for p in pendings {
                if let old = names[p.label!], old != p.name! {
                    throw DataError(.badAnnotation, "label \(p.label!) is called both '\(old)' and '\(p.name!)'", path: file.path, record: p.row)
                }
                names[p.label!] = p.name!
            }
            let top = names.keys.max() ?? -1
            classNames = (0...max(0, top)).map { names[$0] ?? "class \($0)" }
        } else if labelCol != nil {
            let top = pendings.compactMap(\.label).max() ?? 0
            classNames = (0...top).map { "class \($0)" }
        } else {
            classNames = Array(Set(pendings.compactMap(\.name))).sorted()
        }
        let entries = try pendings.map { p -> Entry in
            let label: Int
            if let l = p.label {
                label = l
            } else if let n = p.name, let i = classNames.firstIndex(of: n) {
                label = i
            } else {
                throw DataError(.badAnnotation, "class '\(p.name ?? "")' is not in the class list", path: file.path, record: p.row)
            }
            let boxes: Entry.Boxes =
                normalized
                ? .normalized(p.boxes.map { BoundingBox($0)! })
                : .pixels(p.boxes.map { (x0: $0[0], y0: $0[1], x1: $0[2], y1: $0[3]) })
            return Entry(id: p.id, file: directory.appendingPathComponent(p.file), label: label, boxes: boxes, source: file.path, record: p.row)
        }
        return try AnnotatedImageDataset(name: "folder \(directory.lastPathComponent)", classNames: classNames, entries: entries)
    }

    private static func folderJSON(_ directory: URL, _ file: URL) throws -> AnnotatedImageDataset {
        struct Doc: Decodable {
            struct Item: Decodable {
                let id: String?
                let file: String
                let label: Int?
                let class_name: String?
                let boxes: [BoundingBox]?
                let width: Int?
                let height: Int?
            }
            let classes: [String]?
            let samples: [Item]
        }
        let doc: Doc
        do { doc = try JSONDecoder().decode(Doc.self, from: Data(contentsOf: file)) } catch {
            throw DataError(.badFormat, "annotation JSON does not parse: \(error)", path: file.path)
        }
        let classNames = doc.classes ?? Array(Set(doc.samples.compactMap(\.class_name))).sorted()
        let entries = try doc.samples.enumerated().map { i, s -> Entry in
            var label = s.label
            if label == nil, let n = s.class_name { label = classNames.firstIndex(of: n) }
            guard let label else {
                throw DataError(.badAnnotation, "sample \(i) has no usable 'label' or 'class_name'", path: file.path, record: i)
            }
            if let n = s.class_name, label < classNames.count, classNames[label] != n {
                throw DataError(.badAnnotation, "sample \(i): label \(label) is '\(classNames[label])', not '\(n)'", path: file.path, record: i)
            }
            let size = s.width.flatMap { w in s.height.map { (width: w, height: $0) } }
            return Entry(
                id: s.id ?? (s.file as NSString).deletingPathExtension, file: directory.appendingPathComponent(s.file),
                label: label, boxes: .normalized(s.boxes ?? []), size: size, source: file.path, record: i)
        }
        return try AnnotatedImageDataset(name: "folder \(directory.lastPathComponent)", classNames: classNames, entries: entries)
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "webp", "gif", "tif", "tiff"]

    private static func classFolders(_ directory: URL) throws -> AnnotatedImageDataset {
        let fm = FileManager.default
        let subdirs = try fm.contentsOfDirectory(atPath: directory.path).filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &d) && d.boolValue
        }.sorted()
        guard !subdirs.isEmpty else {
            throw DataError(.missingFile, "no annotations.csv / annotations.json and no class sub-folders", path: directory.path)
        }
        var entries: [Entry] = []
        for (label, sub) in subdirs.enumerated() {
            let dir = directory.appendingPathComponent(sub)
            let files = try fm.contentsOfDirectory(atPath: dir.path)
                .filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            for f in files {
                entries.append(
                    Entry(
                        id: "\(sub)/\((f as NSString).deletingPathExtension)", file: dir.appendingPathComponent(f), label: label,
                        boxes: .normalized([]), source: dir.path))
            }
        }
        return try AnnotatedImageDataset(name: "folder \(directory.lastPathComponent)", classNames: subdirs, entries: entries)
    }
}
