/// Keras model_config JSON built as a graph network over a fixture model's weights (layers, inbound nodes, weight shapes).
import CAMFormats
import CAMModels
import Foundation
import FuzzSupport
import Torch

/// The weights the configs are built over, and the fixture model's own config (the seed).
nonisolated(unsafe) let fixture = try! ModelLoader.load(fixtures.appendingPathComponent("keras-graph/mini.h5"))
nonisolated(unsafe) let state = try! (fixture.model as! GraphNetwork).kerasState()

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt
{
    writeSeedsIfAsked({ [try JSONEncoder().encode(fixture.info.graph!.config)] })
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let config = try KerasModelConfig(json: String(decoding: data, as: UTF8.self), file: "fuzz")
        for major in [2, 3] {
            _ = try? KerasGraphImport.network(GraphArchitecture(kerasMajor: major, config: config.raw), state: state, file: scratch)
        }
    }
}
