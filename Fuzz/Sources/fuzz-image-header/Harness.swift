/// Image headers (PNG, JPEG markers, GIF, BMP, WebP) read before decoding, and the pixel cap on them.
import CAMFormats
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = ImageHeader.size(of: data)
        try ImageHeader.checkPixelCount(of: data, source: "fuzz")
    }
}
