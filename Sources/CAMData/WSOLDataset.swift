import Foundation
import CAMFormats

extension AnnotatedImageDataset {
    /// A split in wsolevaluation's metadata format (Choe et al., CVPR 2020): a folder with
    /// `image_ids.txt` (one image path a line, the sample order), `class_labels.txt`
    /// (`path,label`), `image_sizes.txt` (`path,width,height`) and `localization.txt`
    /// (`path,x0,y0,x1,y1` in pixels, one line per box, several lines for several boxes).
    ///
    /// Boxes are normalised as `[y0 / height, x0 / width, y1 / height, x1 / width]` with the sizes
    /// from `image_sizes.txt` (checked against the files). Image paths are relative to `images`,
    /// by default `DIR/images` when it exists, else `DIR`. Class names: when every image of a
    /// label lies in the same top folder (CUB's `001.Black_footed_Albatross/...`), that folder's
    /// name; otherwise `class <label>`.
    public static func wsol(_ directory: URL, images: URL? = nil) throws -> AnnotatedImageDataset {
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let idsFile = file("image_ids.txt"), labelsFile = file("class_labels.txt")
        let sizesFile = file("image_sizes.txt"), locFile = file("localization.txt")
        let ids = try readLines(idsFile, what: "wsolevaluation image_ids.txt").map { String($0) }.filter { !$0.isEmpty }

        func rows(_ url: URL, fields: Int, what: String) throws -> [(String, [String], Int)] {
            try readLines(url, what: what).enumerated().compactMap { n, line in
                if line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
                let parts = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == fields else {
                    throw DataError(.badFormat, "line \(n + 1) has \(parts.count) fields, expected \(fields)", path: url.path, record: n + 1)
                }
                return (parts[0], Array(parts.dropFirst()), n + 1)
            }
        }
        func int(_ s: String, _ url: URL, _ line: Int) throws -> Int {
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw DataError(.badFormat, "line \(line): '\(s)' is not an integer", path: url.path, record: line)
            }
            return v
        }
        var labels: [String: Int] = [:]
        for (id, f, line) in try rows(labelsFile, fields: 2, what: "wsolevaluation class_labels.txt") {
            let label = try int(f[0], labelsFile, line)
            try checkClassLabel(label, path: labelsFile.path, record: line)
            labels[id] = label
        }
        var sizes: [String: (width: Int, height: Int)] = [:]
        for (id, f, line) in try rows(sizesFile, fields: 3, what: "wsolevaluation image_sizes.txt") {
            sizes[id] = (try int(f[0], sizesFile, line), try int(f[1], sizesFile, line))
        }
        var boxes: [String: [(x0: Double, y0: Double, x1: Double, y1: Double)]] = [:]
        var boxLine: [String: Int] = [:]
        for (id, f, line) in try rows(locFile, fields: 5, what: "wsolevaluation localization.txt") {
            let v = try f.map { Double(try int($0, locFile, line)) }
            boxes[id, default: []].append((x0: v[0], y0: v[1], x1: v[2], y1: v[3]))
            if boxLine[id] == nil { boxLine[id] = line }
        }
        let root =
            images
            ?? {
                let sub = directory.appendingPathComponent("images")
                return FileManager.default.fileExists(atPath: sub.path) ? sub : directory
            }()
        var entries: [Entry] = []
        for (n, id) in ids.enumerated() {
            guard let label = labels[id] else {
                throw DataError(.badAnnotation, "'\(id)' has no line in class_labels.txt", path: labelsFile.path)
            }
            guard let size = sizes[id] else {
                throw DataError(.badAnnotation, "'\(id)' has no line in image_sizes.txt", path: sizesFile.path)
            }
            for b in boxes[id] ?? []
            where b.x0 < 0 || b.y0 < 0 || b.x1 > Double(size.width) || b.y1 > Double(size.height) || b.x0 > b.x1 || b.y0 > b.y1 {
                throw DataError(
                    .badAnnotation,
                    "'\(id)': box \(Int(b.x0)),\(Int(b.y0)),\(Int(b.x1)),\(Int(b.y1)) is outside its \(size.width)x\(size.height) image",
                    path: locFile.path, record: boxLine[id])
            }
            entries.append(
                Entry(
                    id: id, file: try AnnotatedImageDataset.file(id, in: root, source: idsFile.path, record: n + 1), label: label,
                    boxes: .pixels(boxes[id] ?? []), size: size,
                    source: idsFile.path, record: n + 1))
        }
        let top = entries.map(\.label).max() ?? -1
        var folders: [Int: Set<String>] = [:]
        for e in entries {
            let parts = e.id.split(separator: "/")
            folders[e.label, default: []].insert(parts.count > 1 ? String(parts[0]) : "")
        }
        let classNames = (0...max(0, top)).map { k -> String in
            if let f = folders[k], f.count == 1, let name = f.first, !name.isEmpty { return name }
            return "class \(k)"
        }
        return try AnnotatedImageDataset(name: "wsol \(directory.lastPathComponent)", classNames: classNames, entries: entries)
    }
}
