import CAMKit
@testable import CAMData
import CSystemZlib
import Foundation
import Testing
import TestSupport
import Torch

/// Every count a file declares is checked against a documented limit (docs/LIMITS.md) before it
/// sizes an allocation: a clear error naming the file, never gigabytes or a trap (#20).
@Suite struct LimitsTests {
    /// A checkpoint whose camkit.info describes `spec`, over a tiny real state dict (the metadata is read first).
    static func checkpoint(_ spec: ResNetSpec, inputSize: Int = 32) throws -> URL {
        let tiny = ResNetSpec(
            layout: .torchvision, block: .basic, blocks: [1], widths: [2], stemWidth: 2, stemKernel: 3, stageStrides: [1], classes: 2)
        let url = try Fixtures.temporaryDirectory("camkit-limits").appendingPathComponent("crafted.safetensors")
        let info = ModelInfo(spec: spec, preprocessing: .imagenet, inputSize: inputSize)
        try Checkpoint(info: info, modelState: Checkpoint.modelState(of: ResNet(tiny))).write(to: url)
        return url
    }

    static func refusal(_ url: URL) -> String? {
        do {
            _ = try ModelLoader.load(url)
            return nil
        } catch let e as ModelError {
            guard case .incompatibleWeights(let file, let reason) = e, file == url.path else { return "wrong error: \(e)" }
            return reason
        } catch {
            return "wrong error: \(error)"
        }
    }

    @Test func aCheckpointWithAHundredThousandBlocksIsRefusedBeforeBuilding() throws {
        var spec = try ResNetSpec.named("resnet18", classes: 2)
        spec.blocks = [1, 1, 1, 100000]
        let reason = Self.refusal(try Self.checkpoint(spec))
        #expect(reason?.contains("blocks per stage 100000 is outside 0...\(ResNetSpec.maxBlocksPerStage)") == true, "\(reason ?? "loaded")")
    }

    @Test func aCheckpointOverTheParameterLimitIsRefused() throws {
        var spec = try ResNetSpec.named("resnet50", classes: 2)
        spec.widths = [4096, 4096, 4096, 4096]
        #expect(spec.parameterCount > ResNetSpec.maxParameters)
        let reason = Self.refusal(try Self.checkpoint(spec))
        #expect(reason?.contains("at most \(ResNetSpec.maxParameters) are built") == true, "\(reason ?? "loaded")")
        // The standard architectures are well inside: ResNet-152 has about 60 M weights.
        for name in ResNetSpec.knownArchitectures {
            #expect(throws: Never.self) { try ResNetSpec.named(name, classes: 1000).validate() }
        }
        #expect(try (50_000_000...61_000_000).contains(ResNetSpec.named("resnet152", classes: 1000).parameterCount))
    }

    @Test func outOfRangeSpecValuesAreNamed() throws {
        let base = try ResNetSpec.named("resnet18", classes: 2)
        var wide = base, classes = base, stride = base, stages = base
        wide.widths[2] = 5000
        classes.classes = Limits.maxClasses + 1
        stride.stageStrides[1] = 0
        stages.blocks = Array(repeating: 1, count: 9)
        for (spec, message) in [
            (wide, "width 5000 is outside 1...4096"), (classes, "classes \(Limits.maxClasses + 1) is outside"),
            (stride, "stride 0 is outside 1...8"), (stages, "one entry per stage, 1...8 stages")
        ] {
            #expect {
                _ = try ResNet(spec)
            } throws: { error in
                guard case ModelError.invalidSpec(let why)? = error as? ModelError else { return false }
                return why.contains(message)
            }
        }
    }

    @Test func aCheckpointInputSizeOutsideTheLimitIsRefused() throws {
        let reason = Self.refusal(try Self.checkpoint(ResNetSpec.named("small", classes: 2), inputSize: 100_000))
        #expect(reason?.contains("input size 100000 is outside 1...\(Limits.maxInputSize)") == true, "\(reason ?? "loaded")")
    }

    /// Copies the wsol fixture into a temporary folder with `labels` as class_labels.txt.
    static func wsol(labels: String) throws -> URL {
        let tmp = try Fixtures.temporaryDirectory("camkit-limits-wsol")
        for f in ["image_ids.txt", "image_sizes.txt", "localization.txt", "images"] {
            try FileManager.default.copyItem(at: Fixtures.url("data/wsol/\(f)"), to: tmp.appendingPathComponent(f))
        }
        try labels.write(to: tmp.appendingPathComponent("class_labels.txt"), atomically: true, encoding: .utf8)
        return tmp
    }

    @Test func aWSOLClassLabelOfABillionIsRefusedNamingItsLine() throws {
        let dir = try Self.wsol(labels: "001.Sedan/s1.jpg,0\n002.Coupe/c1.jpg,999999999\n001.Sedan/s2.jpg,0\n")
        let e = dataError { _ = try AnnotatedImageDataset.wsol(dir) }
        #expect(e?.kind == .badAnnotation && e?.record == 2, "\(String(describing: e))")
        #expect(e?.path?.hasSuffix("class_labels.txt") == true)
        #expect(e?.message.contains("class label 999999999 is outside 0...\(Limits.maxClasses - 1)") == true, "\(String(describing: e))")
        let negative = dataError { _ = try AnnotatedImageDataset.wsol(try Self.wsol(labels: "001.Sedan/s1.jpg,-1\n")) }
        #expect(negative?.kind == .badAnnotation && negative?.record == 1 && negative?.message.contains("class label -1") == true)
        // The largest allowed label still opens (with that many class names).
        let top = try AnnotatedImageDataset.wsol(
            try Self.wsol(labels: "001.Sedan/s1.jpg,0\n002.Coupe/c1.jpg,\(Limits.maxClasses - 1)\n001.Sedan/s2.jpg,0\n"))
        #expect(top.classNames.count == Limits.maxClasses)
    }

    @Test func aFolderCSVClassLabelOfABillionIsRefused() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-limits-csv")
        try "file,label,ymin,xmin,ymax,xmax\na.png,999999999,0,0,1,1\n".write(
            to: tmp.appendingPathComponent("annotations.csv"), atomically: true, encoding: .utf8)
        let e = dataError { _ = try AnnotatedImageDataset.folder(tmp) }
        #expect(e?.kind == .badAnnotation && e?.record == 2 && e?.message.contains("999999999") == true, "\(String(describing: e))")
    }

    @Test func aTFRecordLengthOverTheRecordLimitIsRefused() throws {
        var length = UInt64(TFRecordFile.maxRecordLength + 1)
        var header = withUnsafeBytes(of: &length) { [UInt8]($0) }
        var crc = CRC32C.masked(CRC32C.checksum(header)).littleEndian
        header += withUnsafeBytes(of: &crc) { [UInt8]($0) }
        let url = try Fixtures.temporaryDirectory("camkit-limits").appendingPathComponent("long.tfrecord")
        try Data(header + [UInt8](repeating: 0, count: 64)).write(to: url)
        #expect {
            _ = try TFRecordFile(url: url)
        } throws: { error in
            guard let e = error as? DataError else { return false }
            return e.kind == .corruptRecord && e.path == url.path && e.record == 0
                && e.message.contains("at most \(TFRecordFile.maxRecordLength) are read per record")
        }
    }

    @Test func anNPYShapeLargerThanItsFileIsRefusedBeforeCopying() throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 16)
        #expect {
            _ = try NPY.decode(Data(bytes))
        } throws: { error in
            (error as? CAMError)?.message.contains("needs 40000000000 bytes, file has 16") == true
        }
    }

    @Test func aTFDSNumClassesOutsideTheLimitIsAnError() throws {
        for n in ["-1", "\(Limits.maxClasses + 1)"] {
            let tmp = try Fixtures.temporaryDirectory("camkit-limits-tfds")
            try #"{"featuresDict": {"features": {"label": {"classLabel": {"numClasses": "\#(n)"}}}}}"#.write(
                to: tmp.appendingPathComponent("features.json"), atomically: true, encoding: .utf8)
            let e = dataError { _ = try TFDSDataset.classNames(directory: tmp, labelFeature: "label") }
            #expect(e?.kind == .badFormat && e?.message.contains("numClasses \(n) is outside") == true, "\(String(describing: e))")
        }
    }
    /// A one-entry zip: local header, data, central directory, end record.
    static func zip(_ name: String, method: UInt16, crc: UInt32, compressed: [UInt8], size: Int) -> Data {
        var out = Data()
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        let nameBytes = Array(name.utf8)
        func sizesAndName() {
            u32(crc)
            u32(UInt32(compressed.count))
            u32(UInt32(size))
            u16(UInt16(nameBytes.count))
            u16(0)
        }
        u32(0x0403_4b50)
        for v: UInt16 in [20, 0, method, 0, 0x21] { u16(v) }
        sizesAndName()
        out.append(contentsOf: nameBytes + compressed)
        let directory = out.count
        u32(0x0201_4b50)
        for v: UInt16 in [20, 20, 0, method, 0, 0x21] { u16(v) }
        sizesAndName()
        for v: UInt16 in [0, 0, 0] { u16(v) }
        u32(0)
        u32(0)
        out.append(contentsOf: nameBytes)
        let directorySize = out.count - directory
        u32(0x0605_4b50)
        for v: UInt16 in [0, 0, 1, 1] { u16(v) }
        u32(UInt32(directorySize))
        u32(UInt32(directory))
        u16(0)
        return out
    }

    @Test func aKerasArchiveWhoseConfigInflatesPastItsLimitIsRefused() throws {
        // 64 MiB + 1 of spaces deflate to about 64 kB: a zip bomb in config.json.
        let n = KerasArchive.maxConfigBytes + 1
        let spaces = [UInt8](repeating: 0x20, count: n)
        var size = compressBound(uLong(n))
        var zlib = [UInt8](repeating: 0, count: Int(size))
        #expect(compress2(&zlib, &size, spaces, uLong(n), 9) == Z_OK)
        let deflated = Array(zlib[2..<(Int(size) - 4)])  // raw deflate: without zlib's header and Adler-32
        let crc = UInt32(crc32(0, spaces, uInt(n)))
        let url = try Fixtures.temporaryDirectory("camkit-limits").appendingPathComponent("bomb.keras")
        try Self.zip("config.json", method: 8, crc: crc, compressed: deflated, size: n).write(to: url)
        #expect(try Data(contentsOf: url).count < 1 << 20)
        #expect {
            _ = try ModelLoader.load(url)
        } throws: { error in
            guard case KerasGraphError.badConfig(let file, let detail)? = error as? KerasGraphError else { return false }
            return file == url.path && detail.contains("config.json inflates past \(KerasArchive.maxConfigBytes) bytes")
        }
    }
}
