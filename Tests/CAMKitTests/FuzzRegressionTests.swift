import CAMKit
import Foundation
import Testing
import TestSupport
import Torch

/// The inputs `make fuzz` found crashing a parser (Tests/Fixtures/fuzz/<target>/), each fed through
/// the same entry point as its harness (Fuzz/Sources/fuzz-<target>): now a clear error naming the
/// file, never a trap or gigabytes (#20).
@Suite struct FuzzRegressionTests {
    /// The kept inputs of `target`.
    static func crashers(_ target: String) throws -> [Data] {
        let dir = Fixtures.url("fuzz/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return try names.map { try Data(contentsOf: dir.appendingPathComponent($0)) }
    }

    /// The one kept input of `target`.
    static func crasher(_ target: String) throws -> Data {
        let all = try crashers(target)
        #expect(all.count == 1)
        return all[0]
    }

    /// `data` split at "\n----\n" lines, byte for byte, as the harnesses' `parts()` does.
    static func parts(_ data: Data) -> [Data] {
        var out: [Data] = []
        var rest = data[...]
        while let r = rest.range(of: Data("\n----\n".utf8)) {
            out.append(Data(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        return out + [Data(rest)]
    }

    @Test func aCOCOFileWithACategoryIdTwiceIsAnError() throws {
        let url = try Fixtures.temporaryDirectory("camkit-fuzz-coco").appendingPathComponent("instances.json")
        try Self.crasher("coco").write(to: url)
        let e = dataError { _ = try AnnotatedImageDataset.coco(url) }
        #expect(e?.kind == .badAnnotation && e?.path == url.path, "\(String(describing: e))")
        #expect(e?.message.contains("category id 1 is given twice") == true, "\(String(describing: e))")
    }

    @Test func aStanfordCarsClassOfTwoBillionIsAnError() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-fuzz-cars")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cars_test"), withIntermediateDirectories: true)
        try Self.crasher("csv").write(to: dir.appendingPathComponent("anno_test.csv"))
        let e = dataError { _ = try StanfordCarsDataset(directory: dir, split: "test") }
        #expect(e?.kind == .badAnnotation && e?.record == 4 && e?.path?.hasSuffix("anno_test.csv") == true, "\(String(describing: e))")
        #expect(e?.message.contains("class label 1904761905 is outside 1...\(Limits.maxClasses)") == true, "\(String(describing: e))")
        // A class that is no whole number (NaN, 1e300) was a trap converting it to Int.
        for bad in ["nan", "1e300", "2.5"] {
            try "00001.jpg,1,1,20,20,\(bad)\n".write(to: dir.appendingPathComponent("anno_test.csv"), atomically: true, encoding: .utf8)
            let e = dataError { _ = try StanfordCarsDataset(directory: dir, split: "test") }
            #expect(e?.kind == .badAnnotation && e?.message.contains("is not a whole class number") == true, "\(String(describing: e))")
        }
    }

    @Test func aVOCAnnotationThatIsNotUTF8IsAnError() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-fuzz-voc")
        let p = Self.parts(try Self.crasher("voc"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("ImageSets/Main"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("Annotations"), withIntermediateDirectories: true)
        try p[0].write(to: dir.appendingPathComponent("ImageSets/Main/test.txt"))
        try p[1].write(to: dir.appendingPathComponent("Annotations/2007_000001.xml"))
        let e = dataError { _ = try AnnotatedImageDataset.voc(dir, split: "test") }
        #expect(e?.kind == .badFormat && e?.path?.hasSuffix("2007_000001.xml") == true, "\(String(describing: e))")
        #expect(e?.message.contains("not UTF-8") == true, "\(String(describing: e))")
    }

    /// A struct claiming 1.9 billion elements, and a char array claiming more rows than characters
    /// (each grew past 2 GB).
    @Test func aMATArrayClaimingMoreElementsThanItsBytesIsAnError() throws {
        let messages = ["holds only", "claims more elements than its"]
        for (data, message) in zip(try Self.crashers("mat"), messages) {
            #expect {
                _ = try MATFile(data: data)
            } throws: { error in
                guard let e = error as? DataError else { return false }
                return e.kind == .badFormat && e.message.contains(message)
            }
        }
        // Dimensions whose product overflows, and cells nested past the depth limit, are errors too.
        #expect(throws: DataError.self) { _ = try MATFile(data: Self.mat(dims: [Int32.max, Int32.max, Int32.max], cellDepth: 0)) }
        #expect {
            _ = try MATFile(data: Self.mat(dims: [1, 1], cellDepth: 40))
        } throws: { error in (error as? DataError)?.message.contains("nested more than 32") == true }
    }

    /// A MAT v5 file with one variable: `cellDepth` 1x1 cells nested, around an empty double array of `dims`.
    static func mat(dims: [Int32], cellDepth: Int) -> Data {
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func element(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            u32(type) + u32(UInt32(body.count)) + body + [UInt8](repeating: 0, count: (8 - body.count % 8) % 8)
        }
        func matrix(_ mxClass: UInt32, dims: [Int32], rest: [UInt8]) -> [UInt8] {
            let flags = element(6, u32(mxClass) + u32(0))
            let d = element(5, dims.flatMap { u32(UInt32(bitPattern: $0)) })
            return element(14, flags + d + element(1, Array("x".utf8)) + rest)
        }
        var value = matrix(6, dims: dims, rest: element(9, []))
        for _ in 0..<cellDepth { value = matrix(1, dims: [1, 1], rest: value) }
        var header = Array("MATLAB 5.0 MAT-file, crafted".utf8)
        header += [UInt8](repeating: 0x20, count: 116 - header.count) + [UInt8](repeating: 0, count: 8) + [0, 1, 0x49, 0x4D]
        return Data(header + value)
    }

    @Test func aKerasConfigWithALayerCalledOnNothingOrStridesZeroIsAnError() throws {
        let fixture = try ModelLoader.load(Fixtures.url("keras-graph/mini.h5"))
        let state = try #require(fixture.model as? GraphNetwork).kerasState()
        // A layer called on no tensors (an index out of range), a convolution with strides 0 (a division by zero).
        for (data, message) in zip(try Self.crashers("keras-config"), ["strides", "is called with no input tensors"]) {
            let config = try KerasModelConfig(json: String(decoding: data, as: UTF8.self), file: "crasher")
            for major in [2, 3] {
                #expect {
                    _ = try KerasGraphImport.network(GraphArchitecture(kerasMajor: major, config: config.raw), state: state, file: Fixtures.root)
                } throws: { error in
                    "\(error)".contains(message)
                }
            }
        }
    }
    /// A Keras .h5 whose weight dataset declares about 110 TB (libhdf5 keeps a fill value for it):
    /// refused from its shape instead of a Swift allocation failure.
    @Test func anH5DatasetDeclaringTerabytesIsAnError() throws {
        let url = try Fixtures.temporaryDirectory("camkit-fuzz-h5").appendingPathComponent("model.h5")
        try Self.crasher("keras-h5").write(to: url)
        #expect {
            _ = try ModelLoader.load(url)
        } throws: { error in
            "\(error)".contains("byte limit of one tensor") && "\(error)".contains(url.path)
        }
    }
}
