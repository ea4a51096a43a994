/// A VOC split list and one annotation XML (input parts split by "\n----\n") opened as a dataset.
import CAMData
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let p = parts(data, count: 2)
        let dir = scratch.appendingPathComponent("voc")
        try? FileManager.default.removeItem(at: dir)
        try scratchFile("voc/ImageSets/Main/test.txt", p[0])
        try scratchFile("voc/Annotations/2007_000001.xml", p[1])
        _ = try AnnotatedImageDataset.voc(dir, split: "test")
    }
}
