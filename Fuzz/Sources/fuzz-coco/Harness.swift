/// A COCO annotation file (images, annotations, categories) opened as a dataset.
import CAMData
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try AnnotatedImageDataset.coco(try scratchFile("coco/instances.json", data))
    }
}
