/// TFRecord framing (length, CRCs, truncation), strict and skipping corrupt records, then each record as a tfds tf.train.Example.
import CAMFormats
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let url = try scratchFile("shard.tfrecord", data)
        for skip in [false, true] {
            guard let file = try? TFRecordFile(url: url, skipCorrupt: skip) else { continue }
            for i in 0..<file.count {
                guard let record = try? file.record(at: i) else { continue }
                _ = try? ExampleRecord(serialized: record, names: .tfds, path: url.path, record: i)
            }
        }
    }
}
