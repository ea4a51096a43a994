import Foundation
import CAMImaging
import CAMFormats

/// One labelled image of a dataset: its class, its ground-truth boxes and where its pixels come from.
public struct Sample: Sendable {
    /// Where the pixels are.
    public enum ImageSource: Sendable {
        /// An encoded image file on disk.
        case file(URL)
        /// Encoded bytes in memory (a TFRecord feature), with a name for messages.
        case encoded(Data, source: String)
        /// Already decoded pixels.
        case decoded(Image)
        /// Pixels made on demand (the synthetic dataset renders them deterministically).
        case generated(@Sendable () throws -> Image)
    }

    /// A stable identifier within the dataset (file stem, tfds `id`, COCO image id, ...).
    public var id: String
    /// The class index, `0 ..< dataset.classNames.count`.
    public var label: Int
    /// `classNames[label]`.
    public var className: String
    /// The ground-truth boxes, normalised `[ymin, xmin, ymax, xmax]` (possibly several).
    public var boxes: [BoundingBox]
    /// The image width in pixels as stored (before any resizing).
    public var width: Int
    /// The image height in pixels as stored.
    public var height: Int
    /// Where the pixels come from.
    public var image: ImageSource
    /// How a JPEG among them is decoded (the dataset's `jpegDecoder` unless overridden).
    public var jpegDecoder: JPEGDecoder = .accurate

    public init(
        id: String, label: Int, className: String, boxes: [BoundingBox], width: Int, height: Int,
        image: ImageSource
    ) {
        self.id = id
        self.label = label
        self.className = className
        self.boxes = boxes
        self.width = width
        self.height = height
        self.image = image
    }

    /// Decodes (or renders) the RGB pixels. Throws when the data does not decode, or when the
    /// decoded size differs from `width` x `height` (the boxes would then be wrong).
    public func loadImage() throws -> Image {
        let img: Image
        let name: String
        switch image {
        case .file(let url):
            name = url.path
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DataError(.missingFile, "image of sample '\(id)' does not exist", path: url.path)
            }
            try ImageHeader.checkPixelCount(contentsOf: url)
            do { img = try ImageCodec.decode(contentsOf: url, jpeg: jpegDecoder) } catch {
                throw DataError(.badFormat, "image of sample '\(id)' does not decode: \(error)", path: url.path)
            }
        case .encoded(let data, let source):
            name = source
            try ImageHeader.checkPixelCount(of: data, source: source)
            do { img = try ImageCodec.decode(data, source: source, jpeg: jpegDecoder) } catch {
                throw DataError(.badFormat, "image of sample '\(id)' does not decode: \(error)", path: source)
            }
        case .decoded(let i):
            name = "sample '\(id)'"
            img = i
        case .generated(let make):
            name = "sample '\(id)'"
            img = try make()
        }
        guard img.width == width, img.height == height else {
            throw DataError(
                .badAnnotation,
                "sample '\(id)': the image decodes to \(img.width)x\(img.height) but the annotation says \(width)x\(height)",
                path: name)
        }
        return img
    }

    /// The encoded bytes when the source is a file or an in-memory encoding; nil otherwise.
    public func encodedBytes() throws -> Data? {
        switch image {
        case .file(let url):
            do { return try Data(contentsOf: url) } catch {
                throw DataError(.missingFile, "cannot read the image of sample '\(id)': \(error.localizedDescription)", path: url.path)
            }
        case .encoded(let data, _): return data
        case .decoded, .generated: return nil
        }
    }
}

/// A collection of samples with random access.
///
/// Readers open the annotations eagerly (so `count` and `classNames` are known, and annotation
/// errors surface at open time) and touch the pixels only in `Sample.loadImage()`.
public protocol Dataset: Sendable {
    /// A short description for messages and reports ("tfds cars196 2.1.0 test", ...).
    var name: String { get }
    /// Number of samples.
    var count: Int { get }
    /// Class names; labels index into this.
    var classNames: [String] { get }
    /// The sample at `index` (`0 ..< count`), in the source's order.
    func sample(at index: Int) throws -> Sample
    /// Records the reader skipped because they were corrupt (only with a skip option; else 0).
    var skippedCount: Int { get }
    /// How its samples' JPEGs are decoded by default: `.tf` for tfds datasets (TensorFlow decoded
    /// them when they were made and decodes them when they are read), `.accurate` otherwise.
    var jpegDecoder: JPEGDecoder { get }
}

extension Dataset {
    public var skippedCount: Int { 0 }
    public var jpegDecoder: JPEGDecoder { .accurate }

    /// The dataset with its JPEGs decoded by `decoder` (nil: as it decodes them by default).
    public func decodingJPEG(with decoder: JPEGDecoder?) -> any Dataset {
        guard let decoder, decoder != jpegDecoder else { return self }
        return JPEGDecoding(base: self, jpegDecoder: decoder)
    }

    /// Throws `outOfRange` unless `index` is in `0 ..< count`.
    package func checkIndex(_ index: Int) throws {
        guard index >= 0 && index < count else {
            throw DataError(.outOfRange, "\(name): sample index \(index) is outside 0..<\(count)")
        }
    }

    /// `classNames[label]`, or a placeholder naming the index when out of range.
    func className(for label: Int) -> String {
        label >= 0 && label < classNames.count ? classNames[label] : "class \(label)"
    }
}

/// A dataset whose samples decode their JPEGs another way (`Dataset.decodingJPEG(with:)`).
struct JPEGDecoding: Dataset {
    let base: any Dataset
    let jpegDecoder: JPEGDecoder
    var name: String { base.name }
    var count: Int { base.count }
    var classNames: [String] { base.classNames }
    var skippedCount: Int { base.skippedCount }
    func sample(at index: Int) throws -> Sample {
        var s = try base.sample(at: index)
        s.jpegDecoder = jpegDecoder
        return s
    }
}
