import Foundation
import CAMImaging
import CAMData

/// What `camkit data inspect SPEC [--json]` does, as a library function.
public enum DataInspect {
    /// One sample in the JSON contract of `data inspect --json`: exactly the keys `id`, `label`,
    /// `class_name`, `boxes` (normalised `[ymin, xmin, ymax, xmax]` lists), `width`, `height`.
    public struct Record: Codable, Sendable, Equatable {
        public let id: String
        public let label: Int
        public let className: String
        public let boxes: [BoundingBox]
        public let width: Int
        public let height: Int

        enum CodingKeys: String, CodingKey {
            case id, label, className = "class_name", boxes, width, height
        }

        public init(_ s: Sample) {
            id = s.id
            label = s.label
            className = s.className
            boxes = s.boxes
            width = s.width
            height = s.height
        }
    }

    /// Counts and box statistics of a dataset.
    public struct Summary: Codable, Sendable {
        public var name: String
        public var count: Int
        public var classNames: [String]
        /// Samples per class, indexed like `classNames`.
        public var classCounts: [Int]
        /// Corrupt records left out by the reader (with `skip_corrupt`).
        public var skipped: Int
        public var boxCount: Int
        public var samplesWithoutBoxes: Int
        public var maxBoxesPerSample: Int
        /// Box area as a fraction of the image (union of boxes not taken: each box separately).
        public var boxAreaMin: Double
        public var boxAreaMean: Double
        public var boxAreaMedian: Double
        public var boxAreaMax: Double
        /// Mean IoU of the whole-image box with each sample's best-matching box: the trivial baseline.
        public var fullImageIoUMean: Double
        public var widthRange: ClosedRange<Int>?
        public var heightRange: ClosedRange<Int>?

        /// A few lines for people.
        public var text: String {
            func pct(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
            var lines = ["\(name): \(count) samples, \(classNames.count) classes" + (skipped > 0 ? ", \(skipped) corrupt records skipped" : "")]
            if let w = widthRange, let h = heightRange {
                lines.append("image sizes: width \(w.lowerBound)...\(w.upperBound), height \(h.lowerBound)...\(h.upperBound)")
            }
            lines.append("boxes: \(boxCount) (max \(maxBoxesPerSample) per sample, \(samplesWithoutBoxes) samples without)")
            if boxCount > 0 {
                lines.append(
                    "box area / image: min \(pct(boxAreaMin)), mean \(pct(boxAreaMean)), median \(pct(boxAreaMedian)), max \(pct(boxAreaMax))")
                lines.append(String(format: "full-image box: mean IoU %.3f with the ground truth", fullImageIoUMean))
            }
            let ranked = classCounts.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            let shown = ranked.prefix(12).map { "  \($0.offset) \(classNames[$0.offset]): \($0.element)" }
            lines.append("samples per class\(ranked.count > 12 ? " (12 most frequent of \(ranked.count))" : ""):")
            lines += shown
            return lines.joined(separator: "\n")
        }
    }

    /// Reads every sample's annotations (not its pixels) and summarises them.
    public static func summary(of dataset: any Dataset) throws -> Summary {
        var classCounts = [Int](repeating: 0, count: dataset.classNames.count)
        var areas: [Double] = []
        var without = 0, maxBoxes = 0
        var iouSum = 0.0
        var wMin = Int.max, wMax = 0, hMin = Int.max, hMax = 0
        let full = BoundingBox(ymin: 0, xmin: 0, ymax: 1, xmax: 1)
        for i in 0..<dataset.count {
            let s = try dataset.sample(at: i)
            if s.label >= 0 && s.label < classCounts.count { classCounts[s.label] += 1 }
            if s.boxes.isEmpty { without += 1 }
            maxBoxes = max(maxBoxes, s.boxes.count)
            areas += s.boxes.map(\.area)
            if !s.boxes.isEmpty { iouSum += s.boxes.map { full.iou($0) }.max()! }
            wMin = min(wMin, s.width); wMax = max(wMax, s.width); hMin = min(hMin, s.height); hMax = max(hMax, s.height)
        }
        let sorted = areas.sorted()
        let median =
            sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        let withBoxes = dataset.count - without
        return Summary(
            name: dataset.name, count: dataset.count, classNames: dataset.classNames, classCounts: classCounts,
            skipped: dataset.skippedCount, boxCount: areas.count, samplesWithoutBoxes: without, maxBoxesPerSample: maxBoxes,
            boxAreaMin: sorted.first ?? 0, boxAreaMean: areas.isEmpty ? 0 : areas.reduce(0, +) / Double(areas.count),
            boxAreaMedian: median, boxAreaMax: sorted.last ?? 0,
            fullImageIoUMean: withBoxes > 0 ? iouSum / Double(withBoxes) : 0,
            widthRange: dataset.count > 0 ? wMin...wMax : nil, heightRange: dataset.count > 0 ? hMin...hMax : nil)
    }

    /// The records of the first `limit` samples (all when nil), in the source's order.
    public static func records(of dataset: any Dataset, limit: Int? = nil) throws -> [Record] {
        try (0..<min(dataset.count, limit ?? dataset.count)).map { Record(try dataset.sample(at: $0)) }
    }

    /// `records` as the JSON array `data inspect --json` prints (one object per sample).
    public static func json(of dataset: any Dataset, limit: Int? = nil, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(try records(of: dataset, limit: limit))
    }

    /// Writes the first `count` samples as PNG files with their boxes drawn (green) and the
    /// class written in the corner, into `directory`; returns the files.
    public static func drawSamples(of dataset: any Dataset, count: Int = 8, to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var out: [URL] = []
        for i in 0..<min(count, dataset.count) {
            let s = try dataset.sample(at: i)
            var image = try s.loadImage()
            let thickness = max(1, min(image.width, image.height) / 160)
            for b in s.boxes {
                try image.drawRectangle(b.pixelRect(width: image.width, height: image.height), color: .green, thickness: thickness)
            }
            let label = "\(s.label) \(s.className)".unicodeScalars.map { $0.isASCII ? String($0) : "?" }.joined()
            let scale = max(0.35, Double(min(image.width, image.height)) / 400)
            let size = try Image.textSize(label, scale: scale, thickness: thickness)
            try image.drawRectangle(
                Rect2i(x: 0, y: 0, width: min(image.width, size.width + 6), height: min(image.height, size.height + size.baseline + 6)),
                color: .black, thickness: -1)
            try image.drawText(label, at: Point2i(3, size.height + 3), scale: scale, color: .yellow, thickness: thickness)
            let safe = String(s.id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
            let url = directory.appendingPathComponent(String(format: "%03d_%@.png", i, safe))
            try image.write(to: url)
            out.append(url)
        }
        return out
    }

    /// The whole command: opens `spec`, and either prints the JSON records (`json`) or prints the
    /// summary and, with `samplesDirectory`, writes `drawCount` drawn samples there.
    /// `print` receives the output text (the CLI passes a function that writes to stdout).
    @discardableResult
    public static func run(
        spec: String, json: Bool = false, limit: Int? = nil, samplesDirectory: URL? = nil, drawCount: Int = 8,
        print: (String) -> Void
    ) throws -> Summary? {
        let dataset = try DatasetSpec.parse(spec).open()
        if json {
            print(String(decoding: try self.json(of: dataset, limit: limit), as: UTF8.self))
            return nil
        }
        let summary = try self.summary(of: dataset)
        print(summary.text)
        if let dir = samplesDirectory {
            let files = try drawSamples(of: dataset, count: drawCount, to: dir)
            print("wrote \(files.count) samples with boxes to \(dir.path)")
        }
        return summary
    }
}
