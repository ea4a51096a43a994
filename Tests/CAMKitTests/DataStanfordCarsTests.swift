import Foundation
import Testing
import TestSupport
import CAMKit
import CSystemZlib
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

/// MAT v5 reading, zlib inflation, and the Stanford Cars devkit / CSV readers on files scipy wrote.
@Suite struct DataStanfordCarsTests {
    static let dir = DataExpected.url("stanford-cars")

    @Test(arguments: [0, 1, 9])
    func inflateMatchesZlib(_ level: Int) throws {
        let text = try Data(contentsOf: DataExpected.url("inflate/text.bin"))
        let z = try Data(contentsOf: DataExpected.url("inflate/text.z\(level)"))
        #expect(try Zlib.inflate(z, limit: text.count) == text)
        // A flipped byte in the compressed data is caught (by the decoder or the Adler-32 check).
        var bad = [UInt8](z)
        bad[bad.count / 2] ^= 0x20
        #expect(throws: (any Error).self) { try Zlib.inflate(Data(bad), limit: text.count) }
        #expect(throws: (any Error).self) { try Zlib.inflate(z.prefix(z.count - 3), limit: text.count) }
    }

    @Test func inflateErrorsSayWhatIsWrong() throws {
        let text = try Data(contentsOf: DataExpected.url("inflate/text.bin"))
        let stored = try Data(contentsOf: DataExpected.url("inflate/text.z0"))
        let z9 = try Data(contentsOf: DataExpected.url("inflate/text.z9"))
        func message(_ data: Data, limit: Int = 1 << 20) -> String {
            let e = dataError { _ = try Zlib.inflate(data, limit: limit) }
            #expect(e?.kind == .badFormat)
            return e?.message ?? ""
        }
        // Not a zlib header; stored data with a flipped byte fails the Adler-32 check.
        var header = [UInt8](z9)
        header[1] ^= 0x01
        #expect(message(Data(header)) == "corrupt zlib data: incorrect header check (found after reading 2 of its \(z9.count) bytes)")
        var flipped = [UInt8](stored)
        flipped[flipped.count / 2] ^= 0x20
        #expect(
            message(Data(flipped)) == "corrupt zlib data: incorrect data check (found after reading \(stored.count) of its \(stored.count) bytes)")
        #expect(message(z9.prefix(z9.count / 2)).hasPrefix("the zlib stream is truncated: its \(z9.count / 2) bytes end before"))
        #expect(message(Data()).hasPrefix("the zlib stream is truncated: its 0 bytes"))
        // Trailing bytes after the stream are ignored, as zlib's uncompress does.
        #expect(try Zlib.inflate(z9 + Data([1, 2, 3]), limit: text.count) == text)
    }

    @Test func inflateRefusesMoreThanTheLimit() throws {
        let text = try Data(contentsOf: DataExpected.url("inflate/text.bin"))
        let z9 = try Data(contentsOf: DataExpected.url("inflate/text.z9"))
        #expect(try Zlib.inflate(z9, limit: text.count) == text)
        let e = dataError { _ = try Zlib.inflate(z9, limit: text.count - 1) }
        #expect(
            e?.message == "the zlib stream inflates to more than \(text.count - 1) bytes, the limit; "
                + "refusing it (a decompression bomb or a damaged file?)")
        // A bomb: 64 MiB of zeros in some 64 KB, refused at 1 MiB.
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        var size = compressBound(uLong(zeros.count))
        var bomb = [UInt8](repeating: 0, count: Int(size))
        #expect(compress2(&bomb, &size, zeros, uLong(zeros.count), 9) == Z_OK)
        #expect(Int(size) < 100_000)
        let refused = dataError { _ = try Zlib.inflate(Data(bomb.prefix(Int(size))), limit: 1 << 20) }
        #expect(refused?.message.hasPrefix("the zlib stream inflates to more than 1048576 bytes") == true)
    }

    @Test func aCorruptCompressedElementIsExplained() throws {
        var bytes = [UInt8](try Data(contentsOf: Self.dir.appendingPathComponent("devkit/cars_meta.mat")))
        #expect(bytes[128] == 15)  // miCOMPRESSED, the first element
        bytes[137] ^= 0x01  // the second zlib header byte (8-byte tag, then CMF, FLG)
        let tmp = try Fixtures.temporaryDirectory("camkit-data-mat")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let u = tmp.appendingPathComponent("corrupt.mat")
        try Data(bytes).write(to: u)
        let e = dataError { _ = try MATFile(contentsOf: u) }
        #expect(e?.kind == .badFormat)
        #expect(e?.path == u.path)
        #expect(
            e?.message == "the compressed element at byte 128 does not inflate: corrupt zlib data: incorrect header check "
                + "(found after reading 2 of its 2675 bytes)")
    }

    @Test func matFilesParseWithTheDevkitStructure() throws {
        let meta = try MATFile(contentsOf: Self.dir.appendingPathComponent("devkit/cars_meta.mat"))  // compressed
        guard case .cell(let dims, let cells) = try meta.variable("class_names") else {
            Issue.record("class_names is not a cell array"); return
        }
        #expect(dims == [1, 196])
        #expect(cells.first?.string == "AM General Hummer SUV 2000")
        #expect(cells[102].string == "Ferrari 458 Italia Convertible 2012")

        let test = try MATFile(contentsOf: Self.dir.appendingPathComponent("cars_test_annos_withlabels.mat"))  // uncompressed
        guard case .structArray(let sdims, let fields, let elements) = try test.variable("annotations") else {
            Issue.record("annotations is not a struct array"); return
        }
        #expect(sdims == [1, 3])
        #expect(fields == ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"])
        #expect(elements[0]["fname"]?.string == "00001.jpg")
        #expect(elements[0]["bbox_x1"]?.scalar == 6)
        #expect(elements[1]["class"]?.scalar == 103)

        let e = dataError { _ = try test.variable("nope") }
        #expect(e?.message.contains("annotations") == true)
    }

    @Test func notAMATFileIsExplained() throws {
        let e = dataError { _ = try MATFile(contentsOf: DataExpected.url("stanford-cars/names.csv")) }
        #expect(e?.kind == .badFormat)
        #expect(e?.path?.hasSuffix("names.csv") == true)
        let tmp = try Fixtures.temporaryDirectory("camkit-data-mat")
        defer { try? FileManager.default.removeItem(at: tmp) }
        // A cut-short copy of a real file is an error, not a crash.
        let full = try Data(contentsOf: Self.dir.appendingPathComponent("devkit/cars_meta.mat"))
        for cut in [130, 200, full.count - 10] {
            let u = tmp.appendingPathComponent("cut\(cut).mat")
            try full.prefix(cut).write(to: u)
            #expect(throws: DataError.self) { try MATFile(contentsOf: u) }
        }
    }

    @Test(arguments: ["train", "test"])
    func devkitSplitMatchesRecordedValues(_ split: String) throws {
        let ds = try StanfordCarsDataset(directory: Self.dir, split: split)
        let expected = DataExpected.doc.stanford_cars[split]!
        #expect(ds.count == expected.count)
        #expect(ds.classNames.count == DataExpected.doc.num_class_names)
        #expect(ds.annotationFile.pathExtension == "mat")
        for (i, e) in expected.enumerated() { try expectSample(try ds.sample(at: i), e) }
    }

    @Test(arguments: ["train", "test"])
    func csvConversionGivesTheSameSamples(_ split: String) throws {
        let mat = try StanfordCarsDataset(directory: Self.dir, split: split)
        let csv = try StanfordCarsDataset(directory: Self.dir, split: split, annotations: Self.dir.appendingPathComponent("anno_\(split).csv"))
        #expect(csv.count == mat.count)
        for i in 0..<mat.count {
            let a = try mat.sample(at: i), b = try csv.sample(at: i)
            #expect(a.id == b.id && a.label == b.label && a.boxes == b.boxes && a.className == b.className)
        }
    }

    @Test func badRowsAndMissingImagesAreNamed() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-cars")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let images = tmp.appendingPathComponent("cars_train")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.dir.appendingPathComponent("cars_train/00001.jpg"), to: images.appendingPathComponent("00001.jpg"))
        // 00001.jpg is 64x40: x2 = 70 is outside; 00009.jpg does not exist.
        try "fname,x1,y1,x2,y2,class\n00001.jpg,5,8,58,35,14\n00001.jpg,5,8,70,35,14\n00009.jpg,1,1,2,2,1\n"
            .write(to: tmp.appendingPathComponent("anno_train.csv"), atomically: true, encoding: .utf8)
        let ds = try StanfordCarsDataset(directory: tmp, split: "train")
        #expect(ds.count == 3)
        #expect(ds.classNames.count == 14)  // no names file: placeholders up to the largest class
        _ = try ds.sample(at: 0)
        let e = dataError { _ = try ds.sample(at: 1) }
        #expect(e?.kind == .badAnnotation)
        #expect(e?.record == 3)
        #expect(e?.path?.hasSuffix("anno_train.csv") == true)
        let m = dataError { _ = try ds.sample(at: 2) }
        #expect(m?.kind == .missingFile)
        #expect(m?.path?.hasSuffix("00009.jpg") == true)

        let noSplit = dataError { _ = try StanfordCarsDataset(directory: tmp, split: "test") }
        #expect(noSplit?.kind == .missingFile)
        let badSplit = dataError { _ = try StanfordCarsDataset(directory: tmp, split: "val") }
        #expect(badSplit?.kind == .badSpec)
    }
}
