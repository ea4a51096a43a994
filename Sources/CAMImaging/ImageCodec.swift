import CAMCore
import CCV
import Foundation

/// Encoded image formats CAMKit writes (it reads these and whatever else OpenCV decodes).
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, webp, bmp

    /// The format a file extension names (`png`, `jpg`/`jpeg`/`jpe`, `webp`, `bmp`/`dib`), case-insensitive.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg", "jpe": self = .jpeg
        case "webp": self = .webp
        case "bmp", "dib": self = .bmp
        default: return nil
        }
    }

    /// The usual file extension.
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    var shimCode: Int32 {
        switch self {
        case .png: Int32(CTCV_FORMAT_PNG)
        case .jpeg: Int32(CTCV_FORMAT_JPEG)
        case .webp: Int32(CTCV_FORMAT_WEBP)
        case .bmp: Int32(CTCV_FORMAT_BMP)
        }
    }
}

/// How JPEG images are decoded. The two differ by a few grey levels per pixel, enough to move a
/// tutorial-rule box (docs/PROTOCOLS.md, JPEG decoding).
public enum JPEGDecoder: String, Sendable, CaseIterable, Codable {
    /// As TensorFlow's `tf.io.decode_jpeg` and `decode_image` decode by default, and so what tfds
    /// datasets and Keras pipelines see: libjpeg-turbo's fast integer IDCT, fancy upsampling, no
    /// EXIF orientation.
    case tf
    /// As OpenCV and PIL decode: libjpeg-turbo's accurate integer IDCT, EXIF orientation applied.
    case accurate
}

/// Decoding and encoding through OpenCV's codecs.
///
/// Decoding always yields 8-bit RGB (3 channels): grayscale is replicated, alpha dropped,
/// 16-bit samples reduced to 8 bits, and a JPEG's EXIF orientation applied (OpenCV's
/// `IMREAD_COLOR`, as `cv2.imread` does by default).
public enum ImageCodec {
    /// Decodes encoded bytes, a JPEG as `jpeg` says; `source` names where they came from in errors.
    public static func decode(_ data: Data, source: String? = nil, jpeg: JPEGDecoder = .accurate) throws -> Image {
        let tf = jpeg == .tf && isJPEG(data)
        let mat = try data.withUnsafeBytes { raw in
            try CVMat("decode", path: source) { tf ? ctcv_decode_jpeg_tf(raw.baseAddress, raw.count) : ctcv_decode(raw.baseAddress, raw.count) }
        }
        return try mat.image("decode")
    }

    /// Decodes the image file at `url`, a JPEG as `jpeg` says; errors name the file and carry OpenCV's message.
    public static func decode(contentsOf url: URL, jpeg: JPEGDecoder = .accurate) throws -> Image {
        let path = url.path
        if jpeg == .tf, let handle = FileHandle(forReadingAtPath: path) {
            let head = try? handle.read(upToCount: 3)
            try? handle.close()
            if let head, isJPEG(head) {
                let data: Data
                do { data = try Data(contentsOf: url) } catch {
                    throw CAMError("decode", "cannot read file: \(error.localizedDescription)", path: path, kind: .notFound)
                }
                return try decode(data, source: path, jpeg: .tf)
            }
        }
        let mat = try CVMat("decode", path: path) { ctcv_read(path) }
        return try mat.image("decode")
    }

    /// Whether `data` starts with a JPEG's start-of-image marker.
    static func isJPEG(_ data: Data) -> Bool { data.count >= 3 && data.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF]) }

    /// Encodes `image` (1, 3 or 4 channels) as `format`.
    ///
    /// `quality`: JPEG 0...100 (OpenCV's default 95), WebP 1...100 or above 100 for lossless
    /// (default lossless), PNG compression level 0...9 (default 1); BMP ignores it.
    public static func encode(_ image: Image, as format: ImageFormat, quality: Int? = nil) throws -> Data {
        if let q = quality {
            let allowed: ClosedRange<Int>
            switch format {
            case .jpeg: allowed = 0...100
            case .webp: allowed = 1...101
            case .png: allowed = 0...9
            case .bmp: allowed = 0...Int.max
            }
            guard allowed.contains(q) else {
                throw CAMError("encode", "\(format.rawValue) quality must be in \(allowed.lowerBound)...\(allowed.upperBound), got \(q)")
            }
        }
        let mat = try image.withCVView { view in
            try CVMat("encode \(format.rawValue)") { ctcv_encode(view, format.shimCode, Int32(quality ?? -1)) }
        }
        return Data(mat.bytes())
    }

    /// Encodes `image` and writes it to `url` atomically (a temporary file renamed into place).
    /// The format defaults to the one the file extension names.
    public static func write(_ image: Image, to url: URL, format: ImageFormat? = nil, quality: Int? = nil) throws {
        guard let fmt = format ?? ImageFormat(pathExtension: url.pathExtension) else {
            throw CAMError("write", "cannot tell the image format from the extension '\(url.pathExtension)'; pass a format", path: url.path)
        }
        let data: Data
        do {
            data = try encode(image, as: fmt, quality: quality)
        } catch let e as CAMError {
            throw CAMError(e.operation, e.message, path: url.path, kind: e.kind, code: e.code)
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw CAMError("write", error.localizedDescription, path: url.path, kind: .internal)
        }
    }
}

extension Image {
    /// Decodes the image file at `url` (see `ImageCodec`).
    public init(contentsOf url: URL) throws { self = try ImageCodec.decode(contentsOf: url) }

    /// Decodes encoded bytes (see `ImageCodec`).
    public init(encoded data: Data) throws { self = try ImageCodec.decode(data) }

    /// The image encoded as `format`.
    public func encoded(as format: ImageFormat, quality: Int? = nil) throws -> Data {
        try ImageCodec.encode(self, as: format, quality: quality)
    }

    /// Writes the image atomically, in the format the extension names unless `format` is given.
    public func write(to url: URL, format: ImageFormat? = nil, quality: Int? = nil) throws {
        try ImageCodec.write(self, to: url, format: format, quality: quality)
    }
}
