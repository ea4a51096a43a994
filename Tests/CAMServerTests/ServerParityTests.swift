import CAMKit
import Foundation
import HummingbirdTesting
import TestSupport
import Testing
import Torch

@testable import CAMServer

/// The web app and `camkit explain` share one renderer: the same upload gives the same pixels.
@Suite struct ServerParityTests {
    @Test func webMapsAndOverlaysEqualTheCLIsBitForBit() async throws {
        let (png, _) = try ServerFixture.samplePNG(2)
        let dir = try Fixtures.temporaryDirectory("camserver-parity")
        let file = dir.appendingPathComponent("img.png")
        try png.write(to: file)
        var options = ExplainOptions(methods: [.gradCAM, .cam], layers: ["layer3", "layer4"])
        options.writeRaw = true
        let cli = try ExplainJob.run(images: [file], model: ServerFixture.loadModel(), options: options, outputDirectory: dir)
        let rendering = options.rendering
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.post("/api/explain?methods=gradcam,cam&layers=layer3,layer4&overlay=true", body: png)
            #expect(r.status == .ok)
            let body = try r.decode(ExplainResponseJSON.self)
            #expect(body.skipped == cli.skipped)
            #expect(body.predictions == cli.images[0].top5)
            #expect(body.maps.count == 3)
            for map in body.maps {
                let method = try #require(CAMMethod(rawValue: map.method))
                let stem = ExplainJob.fileName(image: file, method: method, layer: map.layer, classIndex: map.classIndex, ext: "")
                // The overlay the CLI wrote, and the one the server sent: identical pixels.
                let written = try ImageCodec.decode(contentsOf: dir.appendingPathComponent(stem + "png"))
                let served = try decodePNG(map.overlayPNG)
                #expect(served == written, "\(map.method) \(map.layer)")
                // The grey map: the CLI's raw map through the same renderer, truncated to 8 bits.
                let raw = try FloatMap(npy: NPY.read(contentsOf: dir.appendingPathComponent(stem + "npy")))
                let display = try rendering.displayMap(raw.tensor(), height: written.height, width: written.width)
                #expect(try decodePNG(map.png).channel(0).pixels == display.toImage().pixels, "\(map.method) \(map.layer)")
            }
        }
    }

    /// `faithfulness=true`: each map's drop, increase and deletion curve equal `camkit faithfulness`'s
    /// on the same file, and survive a re-render from the cache.
    @Test func webFaithfulnessEqualsTheCLIs() async throws {
        let (png, _) = try ServerFixture.samplePNG(1)
        let dir = try Fixtures.temporaryDirectory("camserver-faith")
        let file = dir.appendingPathComponent("img.png")
        try png.write(to: file)
        var options = FaithfulnessOptions(
            methods: [.gradCAM, .layerCAM], layers: ["layer4"], settings: FaithfulnessSettings(metrics: [.drop, .increase, .deletion]))
        options.progress = false
        let cli = try FaithfulnessJob.run(images: [file], model: ServerFixture.loadModel(), options: options, outputDirectory: dir)
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.post("/api/explain?methods=gradcam,layercam&layers=layer4&faithfulness=true", body: png)
            #expect(r.status == .ok)
            let body = try r.decode(ExplainResponseJSON.self)
            #expect(body.maps.count == 2)
            for map in body.maps {
                let f = try #require(map.faithfulness, "\(map.method): no faithfulness")
                let entry = try #require(cli.maps.first { $0.method == map.method && $0.classIndex == map.classIndex })
                #expect(entry.metrics["drop"] == .scalar(f.drop) && entry.metrics["increase"] == .scalar(f.increase), "\(map.method)")
                #expect(entry.metrics["deletion"] == .scalar(f.deletion) && entry.score == f.score, "\(map.method)")
                #expect(f.deletionCurve.count == f.fractions.count && f.fractions.first == 0 && f.fractions.last == 1)
            }
            let again = try await client.get("/api/results/\(body.id)?normalize=minMax&maps=none")
            #expect(try again.decode(ExplainResponseJSON.self).maps.map(\.faithfulness) == body.maps.map(\.faithfulness))
            // Without the flag nothing is scored.
            let plain = try await client.post("/api/explain?methods=gradcam&layers=layer4", body: png)
            #expect(try plain.decode(ExplainResponseJSON.self).maps.allSatisfy { $0.faithfulness == nil })
            #expect(try await client.post("/api/explain?faithfulness=maybe", body: png).status == .badRequest)
        }
    }

    /// A listed layer without a spatial map is a 400 naming the problem, not a 500 (#20).
    @Test func aLayerWithoutASpatialMapIsABadRequest() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.post("/api/explain?methods=gradcam&layers=fc", body: png)
            #expect(r.status == .badRequest)
            let text = String(decoding: r.data, as: UTF8.self)
            #expect(text.contains("layer_not_spatial") && text.contains("convolutional layer"), "\(text)")
        }
    }

    @Test func errorKindsAnswerWithTheirStatus() throws {
        let expected: [(ErrorKind, Int)] = [(.badInput, 400), (.tooLarge, 413), (.unprocessable, 422), (.notFound, 404), (.internal, 500)]
        for (kind, status) in expected {
            let e = APIError.from(CAMError("decode", "why", path: "x.png", kind: kind))
            #expect(e.status.code == status && e.code == kind.defaultCode && e.message == "decode 'x.png': why")
        }
        #expect(APIError.from(CAMError("decode", "bad", kind: .unprocessable, code: "undecodable_image")).code == "undecodable_image")
        let layer = APIError.from(UnknownLayerError(unknown: ["layer9"], valid: ["layer3", "layer4"]))
        #expect(layer.status == .badRequest && layer.code == "unknown_layer" && layer.valid == ["layer3", "layer4"])
        let missing = APIError.from(DataError(.missingFile, "no such file", path: "a.jpg"))
        #expect(missing.status == .notFound && missing.code == "dataset_error")
        #expect(APIError.from(DataError(.corruptRecord, "bad crc")).status == .unprocessableContent)
        #expect(APIError.from(ModelError.unknownArchitecture("vgg", known: ["resnet50"])).valid == ["resnet50"])
        struct Unexpected: Error {}
        #expect(APIError.from(Unexpected()).status == .internalServerError)
    }
}
