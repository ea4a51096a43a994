/// wsolevaluation metadata: image_ids, class_labels, image_sizes and localization lists (input parts split by "\n----\n").
import CAMData
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let p = parts(data, count: 4)
        for (name, part) in zip(["image_ids.txt", "class_labels.txt", "image_sizes.txt", "localization.txt"], p) {
            try scratchFile("wsol/\(name)", part)
        }
        _ = try AnnotatedImageDataset.wsol(scratch.appendingPathComponent("wsol"))
    }
}
