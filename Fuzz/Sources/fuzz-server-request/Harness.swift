/// The web API's request parsing: a request target (first line: path and query) and an upload body (the rest).
@testable import CAMServer
import CAMKit
import Foundation
import FuzzSupport
import HummingbirdCore

/// A small untrained model and a synthetic dataset, enough for every parameter check.
let service: CAMService = {
    let spec = try! ResNetSpec.named("small", classes: 3)
    let url = scratch.appendingPathComponent("small.safetensors")
    let info = ModelInfo(spec: spec, preprocessing: .seed, inputSize: 32)
    try! Checkpoint(info: info, modelState: Checkpoint.modelState(of: try! ResNet(spec))).write(to: url)
    let dataset = try! DatasetSpec.parse("synthetic:seed=0,classes=3,train=4,test=4,size=32:test").open()
    return try! CAMService(model: ModelLoader.load(url), dataset: dataset)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(data, size) { data in
        let newline = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let target = String(decoding: data[..<newline], as: UTF8.self)
        let body = Data(data[newline...].dropFirst())
        let query = Query(URI(target).queryParameters)
        _ = try? service.explainParameters(query)
        _ = try? service.renderParameters(query)
        _ = try? service.samplePage(query)
        _ = try? service.sample(CAMService.value(query, "sample"))
        if let truth = CAMService.value(query, "truth") { _ = try? CAMService.parseTruth(truth) }
        try service.checkUpload(body)
    }
}
