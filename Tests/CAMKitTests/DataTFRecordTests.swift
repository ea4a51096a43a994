import Foundation
import Testing
import TestSupport
import CAMKit

/// TFRecord framing, CRC-32C and tf.train.Example decoding against files TensorFlow wrote.
@Suite struct DataTFRecordTests {
    @Test func crc32cMatchesPublishedCheckValues() {
        // The CRC-32C check value (RFC 3720 / iSCSI) and 32 bytes of zeros from RFC 3720 B.4.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0...31)) == 0x46DD_794E)
        // Continuing a checksum gives the same as one pass.
        let bytes = Array("class activation maps".utf8)
        let first = bytes[..<7].withUnsafeBytes { CRC32C.checksum($0) }
        let whole = bytes[7...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
        #expect(whole == CRC32C.checksum(bytes))
    }

    @Test func goodFileMatchesTensorFlowFramingAndContent() throws {
        let url = DataExpected.url("tfrecord/good.tfrecord")
        let file = try TFRecordFile(url: url)
        let expected = DataExpected.doc.tfrecord
        #expect(file.count == expected.good.count)
        let records = try file.records()
        // Our writer frames the same payloads into exactly the bytes tf.io.TFRecordWriter wrote.
        #expect(TFRecordWriter.frame(records) == (try Data(contentsOf: url)))
        for (r, e) in zip(records.enumerated(), expected.good) {
            let ex = try ExampleRecord(serialized: r.element, names: .tfds, path: url.path, record: r.offset)
            #expect(ex.id == e.id)
            #expect(ex.label == e.label)
            #expect(ex.boxes.map(\.values) == e.boxes)
            let jpeg = try Data(contentsOf: DataExpected.url("stanford-cars/cars_train/\(e.id).jpg"))
            #expect(ex.image == jpeg)
            #expect(pixelSum(try Image(encoded: ex.image)) == e.pixel_sum)
        }
    }

    @Test func badDataCRCNamesTheFileAndRecord() throws {
        let url = DataExpected.url("tfrecord/bad_data_crc.tfrecord")
        let file = try TFRecordFile(url: url)  // framing is intact
        #expect(file.count == 3)
        _ = try file.record(at: 0)
        _ = try file.record(at: 2)
        let e = dataError { _ = try file.record(at: 1) }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.record == 1)
        #expect(e?.path == url.path)
        #expect(e?.message.contains("data CRC mismatch") == true)
        #expect(e?.description.contains("bad_data_crc.tfrecord' record 1") == true)

        let skipping = try TFRecordFile(url: url, skipCorrupt: true)
        #expect(skipping.count == 2)
        #expect(skipping.skipped == 1)
        #expect(skipping.skipReasons.first?.hasPrefix("record 1:") == true)
    }

    @Test func badLengthCRCStopsFramingAtThatRecord() throws {
        let url = DataExpected.url("tfrecord/bad_length_crc.tfrecord")
        let e = dataError { _ = try TFRecordFile(url: url) }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.record == 2)
        #expect(e?.message.contains("length CRC mismatch") == true)
        let skipping = try TFRecordFile(url: url, skipCorrupt: true)
        #expect(skipping.count == 2)
        #expect(skipping.skipped == 1)
    }

    @Test func truncatedFileIsReportedNotCrashed() throws {
        let url = DataExpected.url("tfrecord/truncated.tfrecord")
        let e = dataError { _ = try TFRecordFile(url: url) }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.record == 2)
        #expect(e?.message.contains("truncated") == true)
        let skipping = try TFRecordFile(url: url, skipCorrupt: true)
        #expect(skipping.count == 2 && skipping.skipped == 1)
        // Every short prefix of a good file fails cleanly too.
        let good = try Data(contentsOf: DataExpected.url("tfrecord/good.tfrecord"))
        let dir = try Fixtures.temporaryDirectory("camkit-data-trunc")
        defer { try? FileManager.default.removeItem(at: dir) }
        for cut in [1, 11, 12, 13, 100, good.count - 1] {
            let u = dir.appendingPathComponent("cut\(cut).tfrecord")
            try good.prefix(cut).write(to: u)
            let err = dataError { _ = try TFRecordFile(url: u) }
            #expect(err?.kind == .corruptRecord, "cut at \(cut)")
        }
    }

    @Test func garbageAndIncompleteExamplesAreErrors() throws {
        let garbage = DataExpected.url("tfrecord/garbage.tfrecord")
        let file = try TFRecordFile(url: garbage)
        #expect(file.count == 3)
        _ = try ExampleRecord(serialized: try file.record(at: 0), names: .tfds, path: garbage.path, record: 0)
        let e = dataError { _ = try ExampleRecord(serialized: try file.record(at: 1), names: .tfds, path: garbage.path, record: 1) }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.record == 1)

        let missing = DataExpected.url("tfrecord/missing_feature.tfrecord")
        let m = try TFRecordFile(url: missing)
        let e2 = dataError { _ = try ExampleRecord(serialized: try m.record(at: 0), names: .tfds, path: missing.path, record: 0) }
        #expect(e2?.message.contains("feature 'image' is missing") == true)
        #expect(e2?.message.contains("bbox, label") == true)

        // A label stored as floats is named as the wrong kind.
        var names = ExampleFeatureNames.tfds
        names.label = "bbox"
        let e3 = dataError { _ = try ExampleRecord(serialized: try m.record(at: 1), names: names, path: missing.path, record: 1) }
        #expect(e3?.message.contains("feature 'bbox' is a float list, expected an int64 list") == true)
    }

    @Test func objectDetectionLayoutGivesSeveralBoxes() throws {
        let url = DataExpected.url("tfrecord/object_detection.tfrecord")
        let data = try TFRecordFile(url: url).record(at: 0)
        let ex = try ExampleRecord(serialized: data, names: .objectDetection, path: url.path, record: 0)
        #expect(ex.label == 13)
        #expect(ex.id == "00001.jpg")
        #expect(ex.boxes.map(\.values) == [[Double(Float(0.2)), 0.078125, 0.875, 0.90625], [0.5, 0.5, 0.75, 1.0]])
    }

    @Test func missingFileIsAnError() {
        let e = dataError { _ = try TFRecordFile(url: URL(fileURLWithPath: "/nonexistent/x.tfrecord")) }
        #expect(e?.kind == .missingFile)
        #expect(e?.path == "/nonexistent/x.tfrecord")
    }
}
