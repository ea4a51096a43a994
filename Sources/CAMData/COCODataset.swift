import Foundation
import CAMFormats

extension AnnotatedImageDataset {
    /// A COCO-format annotation file (`images`, `annotations` with `bbox = [x, y, width, height]`
    /// in pixels, `categories`).
    ///
    /// Each image with at least one non-crowd annotation becomes one single-label sample: the
    /// label is the category of its largest non-crowd annotation (by box area) and the boxes are
    /// all its non-crowd annotations of that category, normalised as
    /// `[y / height, x / width, (y + h) / height, (x + w) / width]`. Images without annotations
    /// are left out (see the returned dataset's count). Classes are the categories sorted by id;
    /// ids are the COCO image ids. `images` is the folder `file_name` is relative to; by default the
    /// first of `<json folder>/images`, the JSON's own folder, and `<json folder>/../<name>`
    /// for `instances_<name>.json`, that holds the first image.
    public static func coco(_ file: URL, images: URL? = nil) throws -> AnnotatedImageDataset {
        struct Doc: Decodable {
            struct Img: Decodable { let id: Int; let file_name: String; let width: Int?; let height: Int? }
            struct Ann: Decodable { let id: Int?; let image_id: Int; let category_id: Int; let bbox: [Double]; let iscrowd: Int? }
            struct Cat: Decodable { let id: Int; let name: String }
            let images: [Img]
            let annotations: [Ann]
            let categories: [Cat]
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DataError(.missingFile, "COCO annotation file is missing", path: file.path)
        }
        let doc: Doc
        do { doc = try JSONDecoder().decode(Doc.self, from: Data(contentsOf: file)) } catch {
            throw DataError(.badFormat, "not a COCO annotation file: \(error)", path: file.path)
        }
        let cats = doc.categories.sorted { $0.id < $1.id }
        for (a, b) in zip(cats, cats.dropFirst()) where a.id == b.id {
            throw DataError(.badAnnotation, "category id \(a.id) is given twice ('\(a.name)' and '\(b.name)')", path: file.path)
        }
        let classIndex = Dictionary(uniqueKeysWithValues: cats.enumerated().map { ($1.id, $0) })
        var byImage: [Int: [(Int, Doc.Ann)]] = [:]
        for (i, a) in doc.annotations.enumerated() {
            guard a.bbox.count == 4 else {
                throw DataError(
                    .badFormat, "annotation \(a.id.map(String.init) ?? "#\(i)") has a bbox of \(a.bbox.count) values, not [x, y, w, h]",
                    path: file.path, record: i)
            }
            guard classIndex[a.category_id] != nil else {
                throw DataError(
                    .badAnnotation, "annotation \(a.id.map(String.init) ?? "#\(i)") has unknown category_id \(a.category_id)",
                    path: file.path, record: i)
            }
            if (a.iscrowd ?? 0) == 0 { byImage[a.image_id, default: []].append((i, a)) }
        }
        let dir = file.deletingLastPathComponent()
        var root = images
        if root == nil, let first = doc.images.first {
            var candidates = [dir.appendingPathComponent("images"), dir]
            let stem = file.deletingPathExtension().lastPathComponent
            if stem.hasPrefix("instances_") {
                candidates.append(dir.deletingLastPathComponent().appendingPathComponent(String(stem.dropFirst("instances_".count))))
            }
            root = candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(first.file_name).path) } ?? candidates[0]
        }
        var entries: [Entry] = []
        for (n, img) in doc.images.enumerated() {
            guard let anns = byImage[img.id], !anns.isEmpty else { continue }
            let largest = anns.max { $0.1.bbox[2] * $0.1.bbox[3] < $1.1.bbox[2] * $1.1.bbox[3] }!
            let cat = largest.1.category_id
            let boxes = anns.filter { $0.1.category_id == cat }.map { (_, a) in
                (x0: a.bbox[0], y0: a.bbox[1], x1: a.bbox[0] + a.bbox[2], y1: a.bbox[1] + a.bbox[3])
            }
            let size = img.width.flatMap { w in img.height.map { (width: w, height: $0) } }
            entries.append(
                Entry(
                    id: String(img.id), file: try AnnotatedImageDataset.file(img.file_name, in: root!, source: file.path, record: n),
                    label: classIndex[cat]!,
                    boxes: .pixels(boxes), size: size, source: file.path, record: n))
        }
        return try AnnotatedImageDataset(name: "coco \(file.lastPathComponent)", classNames: cats.map(\.name), entries: entries)
    }
}
