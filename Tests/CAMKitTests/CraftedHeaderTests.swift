import CAMKit
import Foundation
import Testing
import TestSupport

/// Headers that declare sizes no file can hold get a clear error, never a runtime trap (#20's
/// probe: a TFRecord length past Int, an NPY shape whose product overflows).
@Suite struct CraftedHeaderTests {
    @Test func aTFRecordLengthPastIntIsACorruptRecordNotATrap() throws {
        // One record header whose length is 2^64 - 16, with a correct length CRC, and a few bytes.
        var length = UInt64.max - 15
        var header = withUnsafeBytes(of: &length) { [UInt8]($0) }
        var crc = CRC32C.masked(CRC32C.checksum(header)).littleEndian
        header += withUnsafeBytes(of: &crc) { [UInt8]($0) }
        let url = try Fixtures.temporaryDirectory("camkit-crafted").appendingPathComponent("huge.tfrecord")
        try Data(header + [UInt8](repeating: 0, count: 32)).write(to: url)
        #expect {
            _ = try TFRecordFile(url: url)
        } throws: { error in
            guard let e = error as? DataError else { return false }
            return e.kind == .corruptRecord && e.path == url.path && e.record == 0 && e.message.contains("\(UInt64.max - 15) data bytes")
        }
        // Skipping corrupt records, the file opens with nothing readable.
        let skipping = try TFRecordFile(url: url, skipCorrupt: true)
        #expect(skipping.count == 0 && skipping.skipped == 1)
    }

    @Test func anNPYShapeWhoseProductOverflowsIsRefused() throws {
        for shape in ["(4611686018427387904, 4)", "(3037000500, 3037000500)", "(-2, 4)"] {
            var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            dict += String(repeating: " ", count: 127 - (10 + dict.utf8.count) % 128) + "\n"
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
            bytes += [UInt8(dict.utf8.count & 0xff), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8) + [UInt8](repeating: 0, count: 16)
            #expect {
                _ = try NPY.decode(Data(bytes))
            } throws: { error in
                guard let e = error as? CAMError else { return false }
                return e.kind == .unprocessable && (e.message.contains("overflows") || e.message.contains("bad dimension"))
                    && e.message.contains("shape")
            }
        }
    }
}
