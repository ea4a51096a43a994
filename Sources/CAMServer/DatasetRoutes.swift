import CAMKit
import Foundation
import Hummingbird

/// Dataset browsing. Samples are named by their index in the dataset (`0 ..< count`) and by
/// nothing else: no request names a path, so none can reach a file outside the dataset.
extension CAMService {
    func requireDataset() throws -> any Dataset {
        guard let dataset else {
            throw APIError(.notFound, "no_dataset", "the server has no dataset; start it with --dataset SPEC")
        }
        return dataset
    }

    /// The sample an index names; 404 unless it is a decimal index in range.
    func sample(_ text: String?) throws -> (Int, Sample) {
        let d = try requireDataset()
        let t = text ?? ""
        guard t.count <= 12, !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(t) else {
            throw APIError(.notFound, "unknown_sample", "'\(t.prefix(40))' is not a sample index; samples are numbered 0...\(d.count - 1)")
        }
        guard index < d.count else {
            throw APIError(.notFound, "unknown_sample", "sample \(index) does not exist; samples are numbered 0...\(d.count - 1)")
        }
        return (index, try d.sample(at: index))
    }

    static func sampleJSON(_ index: Int, _ s: Sample) -> SampleJSON {
        SampleJSON(index: index, id: s.id, label: s.label, className: s.className, width: s.width, height: s.height, truth: s.boxes)
    }

    func samplePage(_ query: Query) throws -> SamplePageJSON {
        try Self.checkKeys(query, allowed: ["offset", "limit"])
        let d = try requireDataset()
        func integer(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
            guard let text = Self.value(query, key) else { return value }
            guard let v = Int(text), range.contains(v) else {
                throw APIError.badParameter("\(key)=\(text): expected an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        let offset = try integer("offset", default: 0, in: 0...Int(Int32.max))
        let limit = try integer("limit", default: 50, in: 1...settings.maxPageSize)
        let end = min(d.count, offset + limit)
        var samples: [SampleJSON] = [], unreadable: [UnreadableSampleJSON] = []
        for index in offset..<max(offset, end) {
            do {
                samples.append(Self.sampleJSON(index, try d.sample(at: index)))
            } catch {
                let answer = APIError.from(error)
                unreadable.append(UnreadableSampleJSON(index: index, code: answer.code, message: answer.message))
            }
        }
        return SamplePageJSON(
            total: d.count, offset: offset, limit: limit, samples: samples, unreadable: unreadable.isEmpty ? nil : unreadable)
    }

    /// The sample's image as stored (JPEG, PNG, WebP or BMP bytes), or re-encoded as PNG where
    /// the dataset holds pixels rather than a file.
    func imageResponse(_ sample: Sample) async throws -> Response {
        try await light.run {
            let (data, type) = try await offload { () -> (Data, String) in
                if let bytes = try sample.encodedBytes(), let type = Self.imageType(bytes) { return (bytes, type) }
                return (try sample.loadImage().encoded(as: .png), "image/png")
            }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// A JPEG whose longer side is `size` pixels (default 160), cached.
    func thumbnailResponse(index: Int, sample: Sample, query: Query) async throws -> Response {
        try Self.checkKeys(query, allowed: ["size"])
        var side = 160
        if let text = Self.value(query, "size") {
            guard let v = Int(text), (16...settings.maxThumbnailSide).contains(v) else {
                throw APIError.badParameter("size=\(text): expected an integer in 16...\(settings.maxThumbnailSide)")
            }
            side = v
        }
        let key = "\(index):\(side)"
        let longSide = side
        let data: Data
        if let cached = thumbnails[key] {
            data = cached
        } else {
            data = try await light.run {
                try await offload {
                    let image = try sample.loadImage()
                    let scale = min(1, Double(longSide) / Double(max(image.width, image.height)))
                    let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
                    let small = scale < 1 ? try image.resized(width: w, height: h, interpolation: .area) : image
                    return try small.encoded(as: .jpeg, quality: 82)
                }
            }
            thumbnails.insert(data, for: key)
        }
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The media type of encoded image bytes, from their signature.
    static func imageType(_ d: Data) -> String? {
        let b = [UInt8](d.prefix(12))
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if b.starts(with: [0xFF, 0xD8]) { return "image/jpeg" }
        if b.count >= 12, b.starts(with: [0x52, 0x49, 0x46, 0x46]), Array(b[8..<12]) == [0x57, 0x45, 0x42, 0x50] { return "image/webp" }
        if b.starts(with: [0x42, 0x4D]) { return "image/bmp" }
        return nil
    }
}
