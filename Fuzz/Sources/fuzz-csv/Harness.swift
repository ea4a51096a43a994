/// Annotation CSVs: a folder dataset's annotations.csv and Stanford Cars' anno_<split>.csv (the same bytes as both).
import CAMData
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        try scratchFile("folder/annotations.csv", data)
        _ = try? AnnotatedImageDataset.folder(scratch.appendingPathComponent("folder"))
        try scratchFile("cars/anno_test.csv", data)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("cars/cars_test"), withIntermediateDirectories: true)
        _ = try StanfordCarsDataset(directory: scratch.appendingPathComponent("cars"), split: "test")
    }
}
