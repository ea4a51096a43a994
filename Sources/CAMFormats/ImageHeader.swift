import Foundation
import CAMCore
import CAMImaging

/// Reads an encoded image's pixel size from its header without decoding it
/// (JPEG SOFn, PNG IHDR, GIF, BMP, WebP VP8/VP8L/VP8X). EXIF orientation is not applied.
public enum ImageHeader {
    /// Width and height, or nil when the format is not recognised or the header is cut short.
    public static func size(of data: Data) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { raw -> (Int, Int)? in
            let b = raw.bindMemory(to: UInt8.self)
            return size(of: b)
        }.map { (width: $0.0, height: $0.1) }
    }

    /// The most pixels CAMKit decodes from one image: PIL's decompression-bomb limit
    /// (2 × 89,478,485), about 0.5 GB of RGB. A few-kB file can declare 20000×20000.
    public static let maxPixels = 178_956_970

    /// Throws `too_many_pixels` when a header declares more than `maxPixels`, before anything is
    /// decoded; an unknown or cut-short header passes (the codec then tells).
    public static func checkPixelCount(of data: Data, source: String) throws {
        try checkPixelCount(size(of: data), source: source)
    }

    /// Decodes the image file at `url` after `checkPixelCount`: what every command uses for files.
    public static func decodeBounded(contentsOf url: URL, jpeg: JPEGDecoder = .accurate) throws -> Image {
        try checkPixelCount(contentsOf: url)
        return try ImageCodec.decode(contentsOf: url, jpeg: jpeg)
    }

    /// `checkPixelCount` for the image file at `url`, reading only its header.
    public static func checkPixelCount(contentsOf url: URL) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return }
        defer { try? handle.close() }
        try checkPixelCount(declaredSize(handle).size, source: url.path)
    }

    private static func checkPixelCount(_ size: (width: Int, height: Int)?, source: String) throws {
        guard let size else { return }
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        guard overflow || pixels > maxPixels else { return }
        throw CAMError(
            "decode", "the image declares \(size.width)x\(size.height) pixels; at most \(maxPixels) are decoded", path: source,
            kind: .tooLarge, code: "too_many_pixels")
    }

    /// The size of the image file at `url`, reading only as much of it as the header needs.
    public static func size(contentsOf url: URL) throws -> (width: Int, height: Int) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw DataError(.missingFile, "image does not exist or cannot be opened", path: url.path)
        }
        defer { try? handle.close() }
        let (found, data) = declaredSize(handle)
        if let found { return found }
        // Unknown format or an unusual header: let the codec tell.
        do {
            let img = try ImageCodec.decode(data, source: url.path)
            return (img.width, img.height)
        } catch {
            throw DataError(.badFormat, "not a decodable image: \(error)", path: url.path)
        }
    }

    /// Reads `handle` in growing chunks until a header gives the size (or the file ends).
    private static func declaredSize(_ handle: FileHandle) -> (size: (width: Int, height: Int)?, data: Data) {
        var data = Data()
        var chunk = 1 << 16
        while true {
            let more = (try? handle.read(upToCount: chunk)) ?? nil
            guard let more, !more.isEmpty else { break }
            data.append(more)
            if let s = size(of: data) { return (s, data) }
            chunk = min(chunk * 4, 1 << 24)
        }
        return (size(of: data), data)
    }

    private static func be16(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    private static func le16(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func be32(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { be16(b, i) << 16 | be16(b, i + 2) }
    private static func le32(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int { le16(b, i) | le16(b, i + 2) << 16 }

    private static func size(of b: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        let n = b.count
        // PNG: signature, then the IHDR chunk with big-endian width and height.
        if n >= 24, b[0] == 0x89, b[1] == 0x50, b[2] == 0x4E, b[3] == 0x47 {
            return (be32(b, 16), be32(b, 20))
        }
        // JPEG: walk the marker segments up to the first start-of-frame.
        if n >= 4, b[0] == 0xFF, b[1] == 0xD8 {
            var i = 2
            while i + 4 <= n {
                guard b[i] == 0xFF else { return nil }
                var marker = b[i + 1]
                while marker == 0xFF, i + 2 < n { i += 1; marker = b[i + 1] }  // fill bytes
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
                guard i + 4 <= n else { return nil }
                let length = be16(b, i + 2)
                let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
                if isSOF {
                    guard i + 9 <= n else { return nil }
                    return (be16(b, i + 7), be16(b, i + 5))
                }
                if marker == 0xD9 || marker == 0xDA { return nil }  // end of image / scan before a frame
                i += 2 + length
            }
            return nil
        }
        // GIF87a / GIF89a: little-endian logical screen size.
        if n >= 10, b[0] == 0x47, b[1] == 0x49, b[2] == 0x46 {
            return (le16(b, 6), le16(b, 8))
        }
        // BMP: BITMAPINFOHEADER (or later) width and height (height negative for top-down).
        if n >= 26, b[0] == 0x42, b[1] == 0x4D {
            let headerSize = le32(b, 14)
            if headerSize == 12 { return (le16(b, 18), le16(b, 20)) }
            let w = Int(Int32(truncatingIfNeeded: le32(b, 18)))
            let h = Int(Int32(truncatingIfNeeded: le32(b, 22)))
            return (abs(w), abs(h))
        }
        // WebP: RIFF container with a VP8, VP8L or VP8X chunk first.
        if n >= 30, b[0] == 0x52, b[1] == 0x49, b[2] == 0x46, b[3] == 0x46, b[8] == 0x57, b[9] == 0x45, b[10] == 0x42, b[11] == 0x50 {
            let tag = (b[12], b[13], b[14], b[15])
            if tag == (0x56, 0x50, 0x38, 0x20) {  // "VP8 " lossy: frame header after the start code
                return (le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF)
            }
            if tag == (0x56, 0x50, 0x38, 0x4C) {  // "VP8L" lossless: 14-bit sizes minus one
                let bits = le32(b, 21)
                return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            }
            if tag == (0x56, 0x50, 0x38, 0x58) {  // "VP8X" extended: 24-bit canvas sizes minus one
                let w = Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16
                let h = Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16
                return (w + 1, h + 1)
            }
        }
        return nil
    }
}
