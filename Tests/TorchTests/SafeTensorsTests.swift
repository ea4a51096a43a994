import Foundation
import Testing
import TestSupport
@testable import Torch

/// A safetensors file assembled from a header text and data bytes. `length` overrides the
/// header length field (default: the header's own byte count).
private func assemble(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
    assemble(Array(header.utf8), data: data, length: length)
}

private func assemble(_ header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> Data {
    var out = Data()
    withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: header)
    out.append(contentsOf: data)
    return out
}

/// `{"name":{"dtype":..,"shape":..,"data_offsets":..}}` for a quick header.
private func entry(_ name: String, _ dtype: String, _ shape: String, _ offsets: String) -> String {
    #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

/// An F32 entry.
private func entry(_ name: String, _ shape: String, _ offsets: String) -> String {
    entry(name, "F32", shape, offsets)
}

private func lowercaseHex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// One malformed file and how it must be rejected.
struct Corruption: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: Data
    let kind: SafeTensorsError.Kind
    /// A fragment the error message must contain.
    let message: String
    var testDescription: String { name }

    static let all: [Corruption] = {
        let four: [UInt8] = [0, 0, 128, 63]  // 1.0f
        let eight = four + four
        let twelve = eight + four
        return [
            Corruption(name: "empty file", bytes: Data(), kind: .fileTooShort, message: "0 bytes long"),
            Corruption(name: "5-byte file", bytes: Data([1, 0, 0, 0, 0]), kind: .fileTooShort, message: "5 bytes long"),
            Corruption(
                name: "header length larger than the file", bytes: assemble("{}", length: 1000),
                kind: .headerLength, message: "header length 1000 is larger than the 2 bytes"),
            Corruption(
                name: "header length over 100 MB", bytes: assemble("{}", length: 200_000_000),
                kind: .headerLength, message: "over the 100000000-byte limit"),
            Corruption(
                name: "header length 2^64-1", bytes: assemble("{}", length: .max),
                kind: .headerLength, message: "limit"),
            Corruption(name: "empty header", bytes: assemble(""), kind: .headerJSON, message: "the header is empty"),
            Corruption(
                name: "header not UTF-8", bytes: assemble(Array(#"{"a"#.utf8) + [0xFF] + Array(#"":1}"#.utf8)),
                kind: .headerJSON, message: "not valid UTF-8"),
            Corruption(
                name: "header not JSON (cut short)", bytes: assemble(#"{"a": "#),
                kind: .headerJSON, message: "not valid JSON: unexpected end of header"),
            Corruption(
                name: "header not JSON (trailing comma)", bytes: assemble("{\(entry("a", "[1]", "[0,4]")),}", data: four),
                kind: .headerJSON, message: "not valid JSON: unexpected '}'"),
            Corruption(
                name: "header not JSON (garbage after)", bytes: assemble("{} x"),
                kind: .headerJSON, message: "unexpected data after the JSON value"),
            Corruption(
                name: "header not an object", bytes: assemble("[1,2]"), kind: .headerJSON,
                message: "the header is an array, not a JSON object"),
            Corruption(
                name: "header with leading whitespace", bytes: assemble(" {}"), kind: .headerJSON,
                message: "must start with '{'"),
            Corruption(
                name: "header nested too deep", bytes: assemble("{\"a\":" + String(repeating: "[", count: 500) + "}"),
                kind: .headerJSON, message: "nesting deeper than 64 levels"),
            Corruption(
                name: "tensor entry not an object", bytes: assemble(#"{"a":"F32"}"#), kind: .headerSchema,
                message: "tensor 'a' is described by a string, expected an object"),
            Corruption(
                name: "dtype not a string", bytes: assemble(#"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#, data: four),
                kind: .headerSchema, message: "tensor 'a': dtype must be a string, found an integer"),
            Corruption(
                name: "shape not an array", bytes: assemble("{\(entry("a", "\"1\"", "[0,4]"))}", data: four),
                kind: .headerSchema, message: "tensor 'a': shape must be an array of integers, found a string"),
            Corruption(
                name: "shape with a fraction", bytes: assemble("{\(entry("a", "[1.0]", "[0,4]"))}", data: four),
                kind: .headerSchema, message: "found the number 1.0 at index 0"),
            Corruption(
                name: "one data offset", bytes: assemble("{\(entry("a", "[1]", "[4]"))}", data: four),
                kind: .headerSchema, message: "data_offsets must hold 2 integers [begin, end], found 1"),
            Corruption(
                name: "missing shape", bytes: assemble(#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: four),
                kind: .headerSchema, message: "tensor 'a' has no 'shape' field"),
            Corruption(
                name: "metadata value not a string", bytes: assemble(#"{"__metadata__":{"epoch":3}}"#),
                kind: .headerSchema, message: "__metadata__ must map strings to strings; 'epoch' holds an integer"),
            Corruption(
                name: "metadata not an object", bytes: assemble(#"{"__metadata__":["x"]}"#),
                kind: .headerSchema, message: "__metadata__ is an array"),
            Corruption(
                name: "unsupported dtype U16", bytes: assemble("{\(entry("a", "U16", "[2]", "[0,4]"))}", data: four),
                kind: .unsupportedDType, message: "tensor 'a': dtype U16 is unsupported"),
            Corruption(
                name: "unsupported dtype U32", bytes: assemble("{\(entry("a", "U32", "[1]", "[0,4]"))}", data: four),
                kind: .unsupportedDType, message: "dtype U32 is unsupported"),
            Corruption(
                name: "unsupported dtype U64", bytes: assemble("{\(entry("a", "U64", "[1]", "[0,8]"))}", data: eight),
                kind: .unsupportedDType, message: "dtype U64 is unsupported"),
            Corruption(
                name: "unsupported dtype F8_E4M3", bytes: assemble("{\(entry("a", "F8_E4M3", "[4]", "[0,4]"))}", data: four),
                kind: .unsupportedDType, message: "dtype F8_E4M3 is unsupported"),
            Corruption(
                name: "unsupported dtype F8_E5M2", bytes: assemble("{\(entry("a", "F8_E5M2", "[4]", "[0,4]"))}", data: four),
                kind: .unsupportedDType, message: "dtype F8_E5M2 is unsupported"),
            Corruption(
                name: "unknown dtype", bytes: assemble("{\(entry("a", "F12", "[1]", "[0,4]"))}", data: four),
                kind: .unknownDType, message: "tensor 'a': unknown dtype 'F12'"),
            Corruption(
                name: "lower-case dtype", bytes: assemble("{\(entry("a", "f32", "[1]", "[0,4]"))}", data: four),
                kind: .unknownDType, message: "unknown dtype 'f32'"),
            Corruption(
                name: "negative dimension", bytes: assemble("{\(entry("a", "[-1,2]", "[0,4]"))}", data: four),
                kind: .negativeDimension, message: "tensor 'a': shape [-1, 2] has a negative dimension"),
            Corruption(
                name: "negative offset", bytes: assemble("{\(entry("a", "[1]", "[-4,0]"))}", data: four),
                kind: .offsets, message: "data_offsets [-4, 0] are negative"),
            Corruption(
                name: "begin after end", bytes: assemble("{\(entry("a", "[1]", "[8,4]"))}", data: eight),
                kind: .offsets, message: "tensor 'a': data_offsets [8, 4] begin after they end"),
            Corruption(
                name: "offsets out of range",
                bytes: assemble("{\(entry("a", "[1]", "[0,4]")),\(entry("b", "[1]", "[100,104]"))}", data: eight),
                kind: .offsets, message: "tensor 'b': data_offsets [100, 104] run past the end of the data section (8 bytes)"),
            Corruption(
                name: "overlapping ranges",
                bytes: assemble("{\(entry("a", "[2]", "[0,8]")),\(entry("b", "[2]", "[4,12]"))}", data: twelve),
                kind: .overlap, message: "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
            Corruption(
                name: "same range twice",
                bytes: assemble("{\(entry("a", "[1]", "[0,4]")),\(entry("b", "[1]", "[0,4]"))}", data: four),
                kind: .overlap, message: "overlap"),
            Corruption(
                name: "hole between tensors",
                bytes: assemble("{\(entry("a", "[1]", "[0,4]")),\(entry("b", "[1]", "[8,12]"))}", data: twelve),
                kind: .hole, message: "data bytes [4, 8) before tensor 'b' belong to no tensor"),
            Corruption(
                name: "hole before the first tensor", bytes: assemble("{\(entry("a", "[1]", "[4,8]"))}", data: eight),
                kind: .hole, message: "data bytes [0, 4) before tensor 'a'"),
            Corruption(
                name: "data not fully covered", bytes: assemble("{\(entry("a", "[1]", "[0,4]"))}", data: eight),
                kind: .hole, message: "data bytes [4, 8) after the last tensor belong to no tensor"),
            Corruption(
                name: "data without tensors", bytes: assemble("{}", data: four),
                kind: .hole, message: "data bytes [0, 4) after the last tensor"),
            Corruption(
                name: "byte length not shape x dtype", bytes: assemble("{\(entry("a", "[2,3]", "[0,20]"))}", data: twelve + eight),
                kind: .byteCount, message: "tensor 'a': data_offsets [0, 20] hold 20 bytes but shape [2, 3] of F32 needs 24"),
            Corruption(
                name: "byte length of a 2-byte dtype", bytes: assemble("{\(entry("a", "BF16", "[3]", "[0,4]"))}", data: four),
                kind: .byteCount, message: "shape [3] of BF16 needs 6"),
            // Offsets past 2^53 are read exactly: as doubles, 2^53+1 would round to 2^53 and this
            // 3-byte span would pass as the 4 bytes an F32 needs.
            Corruption(
                name: "offsets above 2^53, a byte short",
                bytes: assemble("{\(entry("a", "[1]", "[9007199254740993,9007199254740996]"))}", data: four), kind: .byteCount,
                message: "tensor 'a': data_offsets [9007199254740993, 9007199254740996] hold 3 bytes but shape [1] of F32 needs 4"),
            Corruption(
                name: "offsets above 2^53 past the end",
                bytes: assemble("{\(entry("a", "[1]", "[9007199254740993,9007199254740997]"))}", data: four), kind: .offsets,
                message: "tensor 'a': data_offsets [9007199254740993, 9007199254740997] run past the end of the data section (4 bytes)"),
            Corruption(
                name: "offset above Int.max", bytes: assemble("{\(entry("a", "[1]", "[0,9223372036854775808]"))}", data: four),
                kind: .headerSchema, message: "found the number 9223372036854775808 at index 1"),
            Corruption(
                name: "shape overflowing Int", bytes: assemble("{\(entry("a", "[4611686018427387904,4]", "[0,4]"))}", data: four),
                kind: .byteCount, message: "too large to address"),
            Corruption(
                name: "duplicate tensor names",
                bytes: assemble("{\(entry("a", "[1]", "[0,4]")),\(entry("a", "[1]", "[4,8]"))}", data: eight),
                kind: .duplicateName, message: "tensor name 'a' appears twice in the header"),
            Corruption(
                name: "duplicate metadata key", bytes: assemble(#"{"__metadata__":{"k":"1","k":"2"}}"#),
                kind: .duplicateName, message: "__metadata__ key 'k' appears twice"),
            Corruption(
                name: "duplicate field", bytes: assemble(#"{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: four),
                kind: .duplicateName, message: "tensor 'a' has the field 'dtype' twice"),
            Corruption(
                name: "duplicate tensor names, apart",
                bytes: assemble(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{},"a":{}}"#, data: four),
                kind: .duplicateName, message: "tensor name 'a' appears twice in the header"),
            Corruption(
                name: "duplicate metadata", bytes: assemble(#"{"__metadata__":{},"__metadata__":{}}"#),
                kind: .duplicateName, message: "the header has two __metadata__ entries"),
            Corruption(
                name: "truncated data",
                bytes: assemble("{\(entry("a", "[2]", "[0,8]")),\(entry("b", "[2]", "[8,16]"))}", data: twelve),
                kind: .truncated, message: "the file is truncated: its tensors need 16 data bytes but only 12 follow the header"),
            Corruption(
                name: "BOOL byte other than 0/1", bytes: assemble("{\(entry("m", "BOOL", "[4]", "[0,4]"))}", data: [1, 0, 2, 1]),
                kind: .invalidValue, message: "tensor 'm': BOOL element 2 is the byte 2")
        ]
    }()
}

@Suite struct SafeTensorsTests {
    /// One tensor of every dtype, values that exercise each type's range.
    static func everyDType() throws -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for dtype in DType.allCases {
            let values = try Tensor.arange(-5, 7, dtype: .float64).reshape([3, 4])
            let t: Tensor
            if dtype == .bool {
                t = try values.gt(0.5)
            } else if dtype.isFloatingPoint {
                t = try (values * 0.375).to(dtype)
            } else {
                t = try values.to(dtype)
            }
            out.append(("w.\(dtype)", t))
        }
        // 0-d, empty, and a non-contiguous view (written row-major).
        out.append(("scalar", try Tensor([2.5] as [Double], shape: [])))
        out.append(("empty", try Tensor.zeros([0, 3], dtype: .int32)))
        out.append(("transposed", try Tensor.arange(0, 6, dtype: .float32).reshape([2, 3]).transposed(0, 1)))
        return out
    }

    @Test func roundTripOfEveryDTypeWithMetadata() throws {
        let dir = try Fixtures.temporaryDirectory("safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("all.safetensors")
        let tensors = try Self.everyDType()
        let metadata = ["format": "pt", "quote\"back\\slash": "line\nbreak\ttab\u{01}", "ünïcødé": "🙂 ok", "": "empty key"]
        try SafeTensors.write(tensors, metadata: metadata, to: url)

        let read = try SafeTensors.read(contentsOf: url)
        #expect(read.metadata == metadata)
        #expect(Set(read.order) == Set(tensors.map(\.0)))
        #expect(read.tensors.count == tensors.count)
        for (name, original) in tensors {
            let back = try read.tensor(name)
            #expect(back.dtype == original.dtype, "\(name)")
            #expect(back.shape == original.shape, "\(name)")
            #expect(try back.bytes() == original.bytes(), "\(name)")
        }
        #expect(try read.tensor("transposed").scalars(as: Float.self) == [0, 3, 1, 4, 2, 5])
        #expect(try read.tensor("w.bool").scalars(as: Bool.self) == (-5..<7).map { $0 > 0 })
        #expect(try read.tensor("w.int8").scalars(as: Int8.self) == Array(-5..<7))
        #expect(try read.tensor("w.float16").to(.float64).scalars(as: Double.self) == (-5..<7).map { Double($0) * 0.375 })

        // Header padded to 8 bytes with spaces; nothing but the file left in the folder.
        let bytes = try Data(contentsOf: url)
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["all.safetensors"])
    }

    @Test func writesTensorsInPythonOrder() throws {
        let tensors = try Self.everyDType()
        let file = try SafeTensors.read(bytes: SafeTensors.serialize(tensors), source: "memory")
        // By dtype, widest first (I64 F64 F32 I32 BF16 F16 I16 I8 U8 BOOL), then by name.
        #expect(
            file.order == [
                "w.int64", "scalar", "w.float64", "transposed", "w.float32", "empty", "w.int32",
                "w.bfloat16", "w.float16", "w.int16", "w.int8", "w.uint8", "w.bool"
            ])
    }

    @Test func readsTheFileWrittenByPythonExactly() throws {
        let url = Fixtures.url("foundation/python_dtypes.safetensors")
        let file = try SafeTensors.read(contentsOf: url)
        #expect(file.metadata == ["generator": "tools/make_foundation_fixtures.py"])
        #expect(file.order.first == "i64" && file.order.last == "bool")

        let sidecar =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("foundation/python_dtypes.json"))) as! [String: [String: Any]]
        #expect(Set(file.tensors.keys) == Set(sidecar.keys))
        for (name, expected) in sidecar {
            let t = try file.tensor(name)
            #expect(t.dtype.description == expected["dtype"] as! String, "\(name)")
            #expect(t.shape == expected["shape"] as! [Int], "\(name)")
            #expect(lowercaseHex(try t.bytes()) == expected["hex"] as! String, "\(name)")
        }
        // The same values, recomputed.
        #expect(try file.tensor("f32").scalars(as: Float.self) == (0..<24).map { Float($0) * 0.25 - 3 })
        #expect(try file.tensor("i64").scalars(as: Int64.self) == [.min, -1, 0, 1, .max, 1_234_567_890_123_456_789])
        #expect(try file.tensor("i32").scalars(as: Int32.self) == [.min, -1, 0, 1, .max, 123_456_789])
        #expect(try file.tensor("u8").scalars(as: UInt8.self) == [0, 1, 127, 128, 254, 255])
        #expect(try file.tensor("bool").scalars(as: Bool.self) == [true, false, true, false, false, true])
        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.tensor("scalar").item() == 1.5)
        let f64 = try file.tensor("f64").scalars(as: Double.self)
        #expect(f64[0] == Double.pi && f64[5] == .infinity && f64[6].isNaN && f64[7] == .leastNonzeroMagnitude)
        #expect(f64[4] == 0 && f64[4].sign == .minus)
    }

    @Test func writesFilesByteIdenticalToPython() throws {
        let url = Fixtures.url("foundation/python_dtypes.safetensors")
        let python = try Data(contentsOf: url)
        let file = try SafeTensors.read(contentsOf: url)
        // Handed over in another order: the writer sorts as the Python package does.
        let shuffled = file.ordered.reversed().map { ($0.0, $0.1) }
        #expect(try SafeTensors.serialize(shuffled, metadata: file.metadata) == python)

        let dir = try Fixtures.temporaryDirectory("safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("copy.safetensors")
        try SafeTensors.write(file.tensors, metadata: file.metadata, to: copy)
        #expect(try Data(contentsOf: copy) == python)
    }

    @Test(arguments: Corruption.all)
    func rejectsCorruption(_ c: Corruption) throws {
        let e = try #require(throws: SafeTensorsError.self) {
            _ = try SafeTensors.read(bytes: c.bytes, source: "bad.safetensors")
        }
        #expect(e.kind == c.kind, "\(e.problem)")
        #expect(e.problem.contains(c.message), "\(e.problem)")
        #expect(e.source == "bad.safetensors")
        #expect(e.description.hasPrefix("safetensors file bad.safetensors: "))
    }

    @Test func rejectsATruncatedPythonFile() throws {
        let python = try Data(contentsOf: Fixtures.url("foundation/python_dtypes.safetensors"))
        let dir = try Fixtures.temporaryDirectory("safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("cut.safetensors")
        try python.prefix(python.count - 3).write(to: cut)
        let e = try #require(throws: SafeTensorsError.self) { _ = try SafeTensors.read(contentsOf: cut) }
        #expect(e.kind == .truncated && e.source == cut.path && e.problem.contains("but only"), "\(e)")
        // Cut inside the header, and cut to nothing (an empty mapped file).
        try python.prefix(100).write(to: cut)
        #expect(try #require(throws: SafeTensorsError.self) { _ = try SafeTensors.read(contentsOf: cut) }.kind == .headerLength)
        try Data().write(to: cut)
        #expect(try #require(throws: SafeTensorsError.self) { _ = try SafeTensors.read(contentsOf: cut) }.kind == .fileTooShort)
    }

    @Test func readErrorsNameTheFile() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/dir/model.safetensors")
        let io = try #require(throws: SafeTensorsError.self) { _ = try SafeTensors.read(contentsOf: missing) }
        #expect(io.kind == .io && io.description.contains("/nonexistent/dir/model.safetensors"), "\(io)")
        let file = try SafeTensors.read(contentsOf: Fixtures.url("foundation/python_dtypes.safetensors"))
        let e = try #require(throws: SafeTensorsError.self) { _ = try file.tensor("nope") }
        #expect(e.kind == .missingTensor && e.problem.contains("no tensor named 'nope'") && e.problem.contains("'i64'"), "\(e)")
    }

    @Test func acceptsValidEdgeCases() throws {
        // Zero tensors; metadata only; JSON escapes; trailing whitespace padding; unknown fields ignored;
        // an empty tensor sharing its offset with the next one.
        #expect(try SafeTensors.read(bytes: assemble("{}"), source: "m").tensors.isEmpty)
        let meta = try SafeTensors.read(bytes: assemble(#"{"__metadata__":{"a\u00e9\ud83d\ude42":"x\/y\n"}}  "#), source: "m")
        #expect(meta.metadata == ["aé🙂": "x/y\n"])
        let header =
            "{\(entry("e", "[0,5]", "[0,0]")),\(entry("b", "I32", "[1]", "[0,4]")),\"c\":{\"shape\":[],\"dtype\":\"U8\",\"data_offsets\":[4,5],\"extra\":[1,{}]}}\n\t"
        let file = try SafeTensors.read(bytes: assemble(header, data: [7, 0, 0, 0, 9]), source: "m")
        #expect(file.order == ["e", "b", "c"])
        #expect(try file.tensor("e").shape == [0, 5])
        #expect(try file.tensor("b").scalars(as: Int32.self) == [7])
        #expect(try file.tensor("c").shape == [])
        #expect(try file.tensor("c").scalars(as: UInt8.self) == [9])
    }

    /// Why the header has its own JSON parser: Foundation's parsers keep one of two equal keys
    /// without a word and do not keep keys in file order; this one keeps every member, in order,
    /// and integers exactly to the ends of `Int`.
    @Test func headerJSONKeepsDuplicateKeysOrderAndExactIntegers() throws {
        let text = #"{"k":9007199254740993,"b":-9223372036854775808,"k":9223372036854775807,"a":9223372036854775808}"#
        let json = try Array(text.utf8).withUnsafeBytes { try HeaderJSON.parse($0) }
        #expect(
            json
                == .object([
                    (key: "k", value: .integer(9_007_199_254_740_993)), (key: "b", value: .integer(.min)),
                    (key: "k", value: .integer(.max)), (key: "a", value: .otherNumber("9223372036854775808"))
                ]))
    }

    @Test func readsOffsetsAbove2To53Exactly() throws {
        // An empty tensor at an offset past 2^53 (allowed only when the data section is that long, so
        // the file is rejected; the message shows the offsets as written, not rounded to a double).
        let e = try #require(throws: SafeTensorsError.self) {
            _ = try SafeTensors.read(bytes: assemble("{\(entry("e", "[0]", "[9007199254740993,9007199254740993]"))}"), source: "m")
        }
        #expect(
            e.problem == "tensor 'e': data_offsets [9007199254740993, 9007199254740993] run past the end of the data section (0 bytes)",
            "\(e.problem)")
    }

    @Test func writeRejectsBadNamesAndLeavesTheOldFile() throws {
        let dir = try Fixtures.temporaryDirectory("safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        let t = try Tensor.ones([2])
        try SafeTensors.write([("a", t)], to: url)
        let before = try Data(contentsOf: url)

        let duplicate = try #require(throws: SafeTensorsError.self) { try SafeTensors.write([("a", t), ("a", t)], to: url) }
        #expect(duplicate.kind == .duplicateName)
        let reserved = try #require(throws: SafeTensorsError.self) { try SafeTensors.write([("__metadata__", t)], to: url) }
        #expect(reserved.kind == .invalidArgument)
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])

        let nowhere = dir.appendingPathComponent("missing/w.safetensors")
        let io = try #require(throws: SafeTensorsError.self) { try SafeTensors.write([("a", t)], to: nowhere) }
        #expect(io.kind == .io && io.source == nowhere.path, "\(io)")
    }
}
