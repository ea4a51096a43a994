/// NumPy .npy bytes (header dict, shape, dtype, byte order, Fortran order), then as a map and as an image.
import CAMFormats
import CAMImaging
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let array = try NPY.decode(data)
        _ = array.floatValues()
        _ = try? FloatMap(npy: array)
        _ = try? Image(npy: array)
    }
}
