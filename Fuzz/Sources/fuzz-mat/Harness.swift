/// A MATLAB v5 file (tags, small elements, compressed elements, matrices, cells, structs), then as Stanford Cars annotations.
import CAMData
import CAMFormats
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try MATFile(data: data)
        try scratchFile("cars/devkit/cars_train_annos.mat", data)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("cars/cars_train"), withIntermediateDirectories: true)
        _ = try StanfordCarsDataset(directory: scratch.appendingPathComponent("cars"), split: "train")
    }
}
