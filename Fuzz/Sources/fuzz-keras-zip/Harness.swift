/// A Keras 3 .keras archive (ZIPFoundation: central directory, entries, config.json, model.weights.h5) opened as a model.
import CAMModels
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try ModelLoader.load(try scratchFile("model.keras", data))
    }
}
