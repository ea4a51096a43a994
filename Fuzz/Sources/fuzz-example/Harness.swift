/// One serialized tf.train.Example, read with tfds' and the object-detection API's feature names.
import CAMFormats
import Foundation
import FuzzSupport

/// The records of the TFRecord fixtures.
func records() throws -> [Data] {
    try ["good", "object_detection"].flatMap {
        try TFRecordFile(url: fixtures.appendingPathComponent("data/tfrecord/\($0).tfrecord")).records()
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt
{
    writeSeedsIfAsked(records)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try? ExampleRecord(serialized: data, names: .tfds, path: "fuzz", record: 0)
        _ = try? ExampleRecord(serialized: data, names: .objectDetection, path: "fuzz", record: 0)
    }
}
