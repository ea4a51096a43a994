import Foundation
import Testing
import TestSupport
import CAMKit
@testable import CAMCore
@testable import CAMImaging
@testable import CAMFormats
@testable import CAMModels
@testable import CAMData
@testable import CAMExplain
@testable import CAMLocalize
@testable import CAMTrain
@testable import CAMReport
@testable import CAMJobs

/// The tfds reader on a cars196/2.1.0 folder prepared by tensorflow_datasets itself.
@Suite struct DataTFDSTests {
    static let dir = DataExpected.url("tfds/cars196/2.1.0")

    @Test(arguments: ["train", "test"])
    func splitMatchesWhatTFDSYields(_ split: String) throws {
        let ds = try TFDSDataset(directory: Self.dir, split: split)
        let expected = DataExpected.doc.tfds[split]!
        #expect(ds.count == expected.count)
        #expect(ds.shards.count == 2)
        #expect(ds.datasetName == "cars196" && ds.version == "2.1.0")
        #expect(ds.availableSplits.sorted() == ["test", "train"])
        for (i, e) in expected.enumerated() {
            let s = try ds.sample(at: i)
            try expectSample(s, e)
            // The record holds the original JPEG bytes.
            let original = try Data(contentsOf: DataExpected.url("stanford-cars/cars_\(split)/\(e.id).jpg"))
            #expect(try s.encodedBytes() == original)
        }
    }

    /// tfds samples decode their JPEGs as TensorFlow does (tfds made them with it and reads them
    /// with it), unless the dataset is asked to decode them accurately.
    @Test func samplesDecodeJPEGsAsTensorFlowDoes() throws {
        let ds = try TFDSDataset(directory: Self.dir, split: "test")
        #expect(ds.jpegDecoder == .tf)
        var differing = 0
        for i in 0..<ds.count {
            let s = try ds.sample(at: i)
            let bytes = try #require(try s.encodedBytes())
            let tf = try ImageCodec.decode(bytes, jpeg: .tf), accurate = try ImageCodec.decode(bytes)
            let loaded = try s.loadImage(), overridden = try ds.decodingJPEG(with: .accurate).sample(at: i).loadImage()
            #expect(s.jpegDecoder == .tf && loaded == tf)
            #expect(overridden == accurate)
            if tf != accurate { differing += 1 }
        }
        #expect(differing > 0, "the two decoders agree on every fixture JPEG: the test shows nothing")
    }

    @Test func classNamesComeFromTheLabelsFile() throws {
        let ds = try TFDSDataset(directory: Self.dir, split: "test")
        #expect(ds.classNames.count == 196)
        #expect(ds.classNames.first == "AM General Hummer SUV 2000")
        #expect(ds.classNames.last == "smart fortwo Convertible 2012")
        let s = try ds.sample(at: 0)
        #expect(s.className == ds.classNames[s.label])
    }

    @Test func agreesWithTheStanfordCarsReaderOnTheSameFiles() throws {
        for split in ["train", "test"] {
            let tfds = try TFDSDataset(directory: Self.dir, split: split)
            let cars = try StanfordCarsDataset(directory: DataExpected.url("stanford-cars"), split: split)
            var byID: [String: Sample] = [:]
            for i in 0..<cars.count { let s = try cars.sample(at: i); byID[s.id] = s }
            #expect(byID.count == tfds.count)
            for i in 0..<tfds.count {
                let t = try tfds.sample(at: i)
                let c = try #require(byID[t.id])
                #expect(t.label == c.label && t.className == c.className)
                #expect(t.boxes == c.boxes)
                #expect(t.width == c.width && t.height == c.height)
            }
        }
    }

    @Test func unknownSplitListsTheAvailableOnes() {
        let e = dataError { _ = try TFDSDataset(directory: Self.dir, split: "validation") }
        #expect(e?.kind == .badSpec)
        #expect(e?.message.contains("train") == true && e?.message.contains("test") == true)
    }

    @Test func folderWithoutDatasetInfoIsExplained() {
        let e = dataError { _ = try TFDSDataset(directory: DataExpected.url("voc"), split: "train") }
        #expect(e?.kind == .missingFile)
        #expect(e?.message.contains("dataset_info.json") == true)
    }

    @Test func corruptShardNamesFileAndRecord() throws {
        let dir = DataExpected.url("tfds-corrupt/cars196/2.1.0")
        let info = DataExpected.doc.tfds_corrupt
        let ds = try TFDSDataset(directory: dir, split: "test")
        #expect(ds.count == 3)
        let good = DataExpected.doc.tfds["test"]!
        try expectSample(try ds.sample(at: 0), good[0])
        try expectSample(try ds.sample(at: 2), good[2])
        let e = dataError { _ = try ds.sample(at: info.corrupt_record) }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.record == info.corrupt_record)
        #expect(e?.path?.hasSuffix(info.corrupt_shard) == true)
    }

    @Test func skipCorruptLeavesOutAndCounts() throws {
        let dir = DataExpected.url("tfds-corrupt/cars196/2.1.0")
        let ds = try TFDSDataset(directory: dir, split: "test", options: .init(skipCorrupt: true))
        #expect(ds.count == 2)
        #expect(ds.skippedCount == 1)
        #expect(ds.skipReasons.count == 1)
        #expect(ds.skipReasons[0].contains(DataExpected.doc.tfds_corrupt.corrupt_shard))
        let good = DataExpected.doc.tfds["test"]!
        try expectSample(try ds.sample(at: 0), good[0])
        try expectSample(try ds.sample(at: 1), good[2])
    }

    @Test func missingShardIsNamed() {
        // tfds-corrupt keeps the train split in its info but not its shards.
        let e = dataError { _ = try TFDSDataset(directory: DataExpected.url("tfds-corrupt/cars196/2.1.0"), split: "train") }
        #expect(e?.kind == .missingFile)
        #expect(e?.path?.hasSuffix("cars196-train.tfrecord-00000-of-00002") == true)
    }

    @Test func shardShorterThanInfoSaysIsAnError() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-tfds")
        defer { try? FileManager.default.removeItem(at: tmp) }
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.dir.path) {
            try FileManager.default.copyItem(at: Self.dir.appendingPathComponent(name), to: tmp.appendingPathComponent(name))
        }
        // Keep only the first record of the first test shard: framing is valid, a record is gone.
        let shard = tmp.appendingPathComponent("cars196-test.tfrecord-00000-of-00002")
        let first = try TFRecordFile(url: shard).record(at: 0)
        try TFRecordWriter.write([first], to: shard)
        let e = dataError { _ = try TFDSDataset(directory: tmp, split: "test") }
        #expect(e?.kind == .corruptRecord)
        #expect(e?.message.contains("dataset_info.json says 2") == true)
        let skipping = try TFDSDataset(directory: tmp, split: "test", options: .init(skipCorrupt: true))
        #expect(skipping.count == 2 && skipping.skippedCount == 1)
    }

    @Test func boxOutsideTheImageInARecordIsAnError() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-tfds-box")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let good = try TFRecordFile(url: DataExpected.url("tfrecord/good.tfrecord")).record(at: 0)
        var example = try TFExample(serializedBytes: good)
        var f = TFFeature()
        var list = TFFloatList()
        list.value = [0.1, 0.2, 1.4, 0.9]
        f.floatList = list
        example.features.feature["bbox"] = f
        let url = tmp.appendingPathComponent("bad_box.tfrecord")
        let bytes: Data = try example.serializedBytes()
        try TFRecordWriter.write([bytes], to: url)
        let data = try TFRecordFile(url: url).record(at: 0)
        let e = dataError { _ = try ExampleRecord(serialized: data, names: .tfds, path: url.path, record: 0) }
        #expect(e?.kind == .badAnnotation)
        #expect(e?.record == 0)
    }
}
