import Foundation
import Testing
import TestSupport
import CAMKit

@Suite struct ImagingNPYTests {
    @Test func readsNumpyFilesOfEveryKind() throws {
        let f4 = try ImagingFixture.npy("npy/f4_2x3.npy")
        #expect(f4.dtype == .float32 && f4.shape == [2, 3])
        #expect(try f4.scalars(as: Float.self) == [0, 1.5, -2.25, 3.0e-8, Float(Double.pi), 1e30])

        let u1 = try ImagingFixture.npy("npy/u1_hwc.npy")
        #expect(u1.shape == [2, 3, 4])
        #expect(try u1.scalars(as: UInt8.self) == (0..<24).map(UInt8.init))
        let img = try Image(npy: u1)
        #expect(img.width == 3 && img.height == 2 && img.channels == 4 && img[2, 1, 3] == 23)

        #expect(try ImagingFixture.npy("npy/i8_1d.npy").scalars(as: Int64.self) == [-1, 0, 1 << 40, -(1 << 62)])
        let be = try ImagingFixture.npy("npy/f8_big_endian.npy")
        #expect(be.dtype == .float64 && be.shape == [2, 2])
        #expect(try be.scalars(as: Double.self) == [1, -2.5, 1e-300, 6.25])
        #expect(try ImagingFixture.npy("npy/i2_big_endian.npy").scalars(as: Int16.self) == [1, -2, 300, -32768])

        let fortran = try ImagingFixture.npy("npy/i4_fortran.npy")
        #expect(fortran.shape == [2, 3, 4])
        #expect(try fortran.scalars(as: Int32.self) == (0..<24).map(Int32.init))  // back in C order

        let scalar = try ImagingFixture.npy("npy/f4_scalar.npy")
        #expect(scalar.shape == [] && scalar.count == 1)
        #expect(try scalar.scalars(as: Float.self) == [2.5])

        let half = try ImagingFixture.npy("npy/f2.npy")
        #expect(half.dtype == .float16)
        let hv = half.floatValues()
        #expect(Array(hv.prefix(5)) == [0, 1, -2, 0.5, 65504])
        #expect(abs(hv[5] - 6.1e-5) < 1e-7 && abs(hv[6] - 5.96e-8) < 1e-9)

        #expect(try ImagingFixture.npy("npy/bool.npy").scalars(as: Bool.self) == [true, false, false, true])
        let empty = try ImagingFixture.npy("npy/f4_empty.npy")
        #expect(empty.shape == [0, 3] && empty.count == 0)
        #expect(try empty.scalars(as: Float.self) == [])
        let v2 = try ImagingFixture.npy("npy/f4_v2.npy")
        #expect(v2.shape == [3, 2])
        #expect(try v2.scalars(as: Float.self) == [0, 1, 2, 3, 4, 5])
    }

    /// What we write is byte for byte what numpy.save writes.
    @Test func writesExactlyWhatNumpyWrites() throws {
        let cases: [(String, NPYArray)] = [
            ("npy/f4_2x3.npy", try NPYArray([0, 1.5, -2.25, 3.0e-8, Float(Double.pi), 1e30] as [Float], shape: [2, 3])),
            ("npy/u1_hwc.npy", try NPYArray((0..<24).map(UInt8.init), shape: [2, 3, 4])),
            ("npy/i8_1d.npy", try NPYArray([-1, 0, 1 << 40, -(1 << 62)] as [Int64], shape: [4])),
            ("npy/f4_scalar.npy", try NPYArray([2.5] as [Float], shape: [])),
            ("npy/bool.npy", try NPYArray([true, false, false, true], shape: [2, 2])),
            ("npy/f4_empty.npy", try NPYArray([Float](), shape: [0, 3]))
        ]
        for (name, array) in cases {
            #expect(NPY.encode(array) == (try Data(contentsOf: ImagingFixture.url(name))), "\(name)")
        }
    }

    @Test func roundTripsMapsAndImagesThroughFiles() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-npy")
        defer { try? FileManager.default.removeItem(at: dir) }
        let map = try ImagingFixture.map("resize/map_f32.npy")
        let url = dir.appendingPathComponent("cam.npy")
        try map.writeNPY(to: url)
        #expect(try Data(contentsOf: url) == Data(contentsOf: ImagingFixture.url("resize/map_f32.npy")))
        #expect(try FloatMap(npy: NPY.read(contentsOf: url)) == map)
        let img = try Image(contentsOf: ImagingFixture.url("src.png"))
        try NPY.write(img.npy, to: url)
        #expect(try Image(npy: NPY.read(contentsOf: url)) == img)
        #expect(try Image(npy: ImagingFixture.npy("decoded/src_png.npy")) == img)
    }

    @Test func badFilesThrowClearErrors() throws {
        #expect { _ = try NPY.read(contentsOf: ImagingFixture.url("src.png")) } throws: {
            let e = $0 as! CAMError
            return e.message.contains("not a .npy file") && e.path?.hasSuffix("src.png") == true
        }
        #expect(throws: CAMError.self) { _ = try NPY.read(contentsOf: ImagingFixture.url("npy/missing.npy")) }
        let good = try Data(contentsOf: ImagingFixture.url("npy/f4_2x3.npy"))
        #expect { _ = try NPY.decode(good.prefix(good.count - 4)) } throws: { ($0 as! CAMError).message.contains("truncated") }
        #expect { _ = try NPY.decode(good.prefix(20)) } throws: { ($0 as! CAMError).message.contains("truncated") }
        #expect(throws: CAMError.self) { _ = try NPYArray([1, 2, 3] as [Float], shape: [2, 2]) }
        let f4 = try ImagingFixture.npy("npy/f4_2x3.npy")
        #expect { _ = try f4.scalars(as: Double.self) } throws: { ($0 as! CAMError).message.contains("<f4") }
        #expect(throws: CAMError.self) { _ = try FloatMap(npy: ImagingFixture.npy("npy/u1_hwc.npy")) }
        #expect(throws: CAMError.self) { _ = try Image(npy: f4) }
    }
}
