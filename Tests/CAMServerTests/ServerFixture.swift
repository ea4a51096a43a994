import CAMKit
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Torch

@testable import CAMServer

/// A small model (CAMKit's `small` ResNet, 8 classes, random weights saved as a checkpoint and
/// loaded back like a user's file) and a synthetic dataset, shared by the server tests.
enum ServerFixture {
    static let datasetSpec = "synthetic:seed=3,classes=8,train=0,test=12,size=96:test"

    static let modelURL: URL = {
        try! Runtime.manualSeed(7)
        let dir = try! Fixtures.temporaryDirectory("camserver-model")
        let url = dir.appendingPathComponent("small8.safetensors")
        let spec = try! ResNetSpec.named("small", classes: 8)
        let model = try! ResNet(spec)
        model.eval()
        let names = (try! DatasetSpec.parse(datasetSpec).open()).classNames
        let info = ModelInfo(spec: spec, classNames: names, preprocessing: .seed, inputSize: 96)
        try! Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: model.stateDict())).write(to: url)
        return url
    }()

    static func loadModel() throws -> LoadedModel { try ModelLoader.load(modelURL) }

    static func dataset() throws -> any Dataset { try DatasetSpec.parse(datasetSpec).open() }

    /// A service over the fixture model (and dataset unless `dataset` is false).
    static func service(dataset withDataset: Bool = true, _ configure: (inout ServerSettings) -> Void = { _ in }) throws -> CAMService {
        var settings = ServerSettings()
        configure(&settings)
        return try CAMService(model: loadModel(), dataset: withDataset ? dataset() : nil, settings: settings)
    }

    /// Sample `index` of the dataset, PNG-encoded, and its boxes.
    static func samplePNG(_ index: Int = 0) throws -> (Data, [BoundingBox]) {
        let s = try dataset().sample(at: index)
        return (try s.loadImage().encoded(as: .png), s.boxes)
    }
}

/// Runs `body` against the router of `service` in process (HummingbirdTesting's router framework).
func withServer(_ service: CAMService, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = Application(router: CAMServer.router(service))
    defer { service.shutdown() }
    try await app.test(.router) { client in try await body(client) }
}

extension TestResponse {
    var data: Data { Data(body.readableBytesView) }

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T { try JSONDecoder().decode(T.self, from: data) }

    /// The API error body; fails the test when the body is not one.
    func apiError() throws -> APIError.Body.Detail { try decode(APIError.Body.self).error }
}

extension TestClientProtocol {
    func post(_ uri: String, body: Data, headers: HTTPFields = [.contentType: "application/octet-stream"]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    func get(_ uri: String) async throws -> TestResponse { try await execute(uri: uri, method: .get) }
}

/// Decodes a base64 PNG from a response.
func decodePNG(_ base64: String?) throws -> Image {
    let b64 = try #require(base64)
    return try ImageCodec.decode(try #require(Data(base64Encoded: b64)))
}
