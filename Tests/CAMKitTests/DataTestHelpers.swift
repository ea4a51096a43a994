import Foundation
import Testing
import TestSupport
import CAMKit

/// Values tools/make_data_fixtures.py recorded next to the data fixtures.
enum DataExpected {
    struct Item: Decodable {
        let id: String
        let label: Int
        let boxes: [[Double]]
        let width: Int
        let height: Int
        let pixel_sum: Int
        let sha256: String
        let class_name: String?
        let file: String?
    }
    struct TFRecordGood: Decodable {
        let good: [Item]
        let good_offsets: [[Int]]
    }
    struct Corrupt: Decodable {
        let corrupt_shard: String
        let corrupt_record: Int
        let records_in_shard: Int
    }
    struct Doc: Decodable {
        let stanford_cars: [String: [Item]]
        let tfds: [String: [Item]]
        let tfrecord: TFRecordGood
        let tfds_corrupt: Corrupt
        let voc: [Item]
        let coco: [Item]
        let folder: [Item]
        let wsol: [Item]
        let num_class_names: Int
    }

    static let doc: Doc = {
        let url = Fixtures.url("data/expected.json")
        return try! JSONDecoder().decode(Doc.self, from: Data(contentsOf: url))
    }()

    static func url(_ relative: String) -> URL { Fixtures.url("data/\(relative)") }
}

/// The sum of all samples of an image.
func pixelSum(_ image: Image) -> Int {
    image.withUnsafeBufferPointer { $0.reduce(0) { $0 + Int($1) } }
}

/// Checks a sample against a recorded item: id, label, boxes (to `tolerance`), size, pixels.
func expectSample(_ s: Sample, _ e: DataExpected.Item, tolerance: Double = 0, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(s.id == e.id, sourceLocation: sourceLocation)
    #expect(s.label == e.label, sourceLocation: sourceLocation)
    #expect(s.width == e.width && s.height == e.height, sourceLocation: sourceLocation)
    #expect(s.boxes.count == e.boxes.count, sourceLocation: sourceLocation)
    for (b, v) in zip(s.boxes, e.boxes) {
        let diff = zip(b.values, v).map { abs($0 - $1) }.max() ?? 0
        #expect(diff <= tolerance, "box \(b) vs \(v)", sourceLocation: sourceLocation)
    }
    if let name = e.class_name { #expect(s.className == name, sourceLocation: sourceLocation) }
    // OpenCV and PIL both decode with libjpeg(-turbo)'s default islow IDCT: the sums agree exactly
    // (tfds samples decode as TensorFlow does by default: DataTFDSTests checks that decoder).
    var accurate = s
    accurate.jpegDecoder = .accurate
    let image = try accurate.loadImage()
    #expect(image.width == e.width && image.height == e.height, sourceLocation: sourceLocation)
    #expect(pixelSum(image) == e.pixel_sum, "pixel sum of \(e.id)", sourceLocation: sourceLocation)
}

/// Runs `body` and returns the DataError it throws (recording an issue when it does not).
func dataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let e as DataError {
        return e
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
