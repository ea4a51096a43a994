/// A Keras .h5 file (libhdf5 reads it from disk): model_config, layer_names, weight names and layouts, opened as a model.
import CAMModels
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try ModelLoader.load(try scratchFile("model.h5", data))
    }
}
