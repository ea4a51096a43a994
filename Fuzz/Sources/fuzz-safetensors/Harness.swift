/// A safetensors file (header length, JSON header, dtypes, shapes, offsets) opened as a model: checkpoint or torchvision state dict.
import CAMModels
import Foundation
import FuzzSupport
import Torch

/// A CAMKit checkpoint of a one-block ResNet two channels wide: camkit.info metadata and its state dict in a few kB.
func tinyCheckpoint() throws -> [Data] {
    let spec = ResNetSpec(
        layout: .torchvision, block: .basic, blocks: [1], widths: [2], stemWidth: 2, stemKernel: 3, stageStrides: [1], classes: 2)
    let url = scratch.appendingPathComponent("tiny.safetensors")
    let info = ModelInfo(spec: spec, preprocessing: .imagenet, inputSize: 32)
    try Checkpoint(info: info, modelState: Checkpoint.modelState(of: ResNet(spec))).write(to: url)
    return [try Data(contentsOf: url)]
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt
{
    writeSeedsIfAsked(tinyCheckpoint)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        _ = try SafeTensors.read(bytes: data, source: "fuzz")
        _ = try ModelLoader.load(try scratchFile("model.safetensors", data))
    }
}
