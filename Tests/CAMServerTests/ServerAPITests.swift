import CAMKit
import Foundation
import HummingbirdTesting
import TestSupport
import Testing
import Torch

@testable import CAMServer

/// The JSON API end to end, in process: what it returns, and that it agrees with the CLI's pipeline.
@Suite struct ServerAPITests {
    @Test func pageAndAssetsAreServed() async throws {
        try await withServer(ServerFixture.service()) { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = String(decoding: page.data, as: UTF8.self)
            #expect(html.contains("<script src=\"/app.js\"></script>"))
            #expect(!html.contains("http://") && !html.contains("https://"), "the page loads nothing from elsewhere")
            for (path, type) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
                let r = try await client.get(path)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix(type) == true)
                #expect(r.data.count > 1000)
            }
        }
    }

    @Test func openAPIDocumentParsesAndCoversEveryRoute() async throws {
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.get("/openapi.json")
            #expect(r.status == .ok)
            let doc = try #require(try JSONSerialization.jsonObject(with: r.data) as? [String: Any])
            #expect((doc["openapi"] as? String)?.hasPrefix("3.") == true)
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let served = Set(CAMServer.routeList.map { "\($0.method) \($0.path)" })
            #expect(documented == served)
            // Every $ref points at a component that exists.
            let text = String(decoding: r.data, as: UTF8.self)
            let components = try #require(doc["components"] as? [String: [String: Any]])
            let refs = text.components(separatedBy: "\"$ref\": \"#/components/").dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(!refs.isEmpty)
            for ref in refs {
                let parts = ref.split(separator: "/")
                #expect(components[String(parts[0])]?[String(parts[1])] != nil, "dangling $ref \(ref)")
            }
        }
    }

    @Test func modelLayersColormapsAndHealth() async throws {
        try await withServer(ServerFixture.service()) { client in
            let model = try await client.get("/api/model").decode(ModelJSON.self)
            #expect(model.classes == 8)
            #expect(model.lastFeatureLayer == "layer4")
            #expect(model.methods == CAMMethod.allCases.map(\.rawValue))
            #expect(model.dataset?.count == 12)
            #expect(model.limits.queueDepth == ServerSettings().queueDepth)
            let layers = try await client.get("/api/layers").decode(LayersJSON.self)
            #expect(layers.default == "layer4")
            #expect(layers.layers.map(\.name).contains("layer3"))
            let layer4 = try #require(layers.layers.first { $0.name == "layer4" })
            #expect(layer4.shape.count == 4 && layer4.shape[1] == 128)
            let maps = try JSONSerialization.jsonObject(with: try await client.get("/api/colormaps").data) as? [String: Any]
            let tables = try #require(maps?["colormaps"] as? [String: [Int]])
            #expect(tables.count == ColorMap.allCases.count)
            // The page colours with OpenCV's own table: jet maps 0 to dark blue and 255 to dark red (RGB).
            let jet = try #require(tables["jet"])
            #expect(jet.count == 768)
            #expect(Array(jet[0..<3]) == [0, 0, 128] && Array(jet[765..<768]) == [128, 0, 0])
            let health = try await client.get("/api/health").decode(HealthJSON.self)
            #expect(health.capacity == ServerSettings().queueDepth + 1 && health.admitted == 0)
        }
    }

    /// The upload path gives what `camkit explain` gives for the same file: same top-5, same map.
    @Test func explainUploadMatchesTheCLIPipeline() async throws {
        let (png, truth) = try ServerFixture.samplePNG(1)
        let dir = try Fixtures.temporaryDirectory("camserver-cli")
        let file = dir.appendingPathComponent("img.png")
        try png.write(to: file)
        let options = ExplainOptions(methods: [.gradCAM], layers: ["layer3"])
        let cli = try ExplainJob.run(images: [file], model: ServerFixture.loadModel(), options: options, outputDirectory: dir)
        // The CLI's map, recomputed as it draws it (displayMap), for a pixel comparison.
        let loaded = try ServerFixture.loadModel()
        let image = try ImageCodec.decode(png)
        let batch = try loaded.info.preprocessing.apply(pixels: image.tensor(), size: loaded.info.inputSize).unsqueeze(0)
        let e = try Explainer(model: loaded.model).explain(batch, methods: [.gradCAM], layers: ["layer3"])
        let cliMap = try ExplainJob.displayMap(e.maps[0].raw, size: (image.height, image.width), options: options).toImage()

        let t = truth.map { $0.values.map { String($0) }.joined(separator: ",") }.joined(separator: ";")
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.post("/api/explain?methods=gradcam&layers=layer3&truth=\(t)", body: png)
            #expect(r.status == .ok)
            let body = try r.decode(ExplainResponseJSON.self)
            #expect(body.image == ImageSizeJSON(width: 96, height: 96, mapWidth: 96, mapHeight: 96))
            #expect(body.predictions.count == 5)
            let reference = cli.images[0].top5
            for (p, q) in zip(body.predictions, reference) {
                #expect(p.classIndex == q.classIndex && p.name == q.name)
                #expect(abs(p.probability - q.probability) < 1e-6 && abs(p.logit - q.logit) < 1e-5)
            }
            #expect(body.maps.count == 1)
            let map = body.maps[0]
            #expect(map.method == "gradcam" && map.layer == "layer3" && map.classIndex == reference[0].classIndex)
            let layer3 = try #require(try await client.get("/api/layers").decode(LayersJSON.self).layers.first { $0.name == "layer3" })
            #expect(map.featureShape == layer3.shape.suffix(2).map { $0! })
            let gray = try decodePNG(map.png).channel(0)
            #expect(gray.width == 96 && gray.height == 96)
            // OpenCV's bilinear resize (the server) and libtorch's (the CLI) agree to rounding.
            let worst = zip(gray.pixels, cliMap.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 99
            #expect(worst <= 1)
            #expect(body.truth == truth)
            #expect(map.iou != nil)
            for b in map.boxes {
                #expect(b.box.isValid() && b.ious.count == truth.count)
                #expect(map.iou! >= b.ious.max()!)
            }
        }
    }

    @Test func explainDatasetSampleScoresAgainstItsBoxes() async throws {
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.execute(uri: "/api/explain?sample=4&methods=cam,gradcam&normalize=tutorial", method: .post)
            #expect(r.status == .ok)
            let body = try r.decode(ExplainResponseJSON.self)
            let sample = try ServerFixture.dataset().sample(at: 4)
            #expect(body.sample == CAMService.sampleJSON(4, sample))
            #expect(body.truth == sample.boxes && !body.truth.isEmpty)
            #expect(body.maps.map(\.method) == ["cam", "gradcam"])
            for m in body.maps {
                let iou = try #require(m.iou)
                #expect((0...1).contains(iou))
                #expect(m.boxes.isEmpty == (m.noBox != nil))
            }
        }
    }

    /// A new threshold or normalisation re-boxes the cached maps: no network pass, consistent boxes.
    @Test func resultsReRenderWithoutANetworkPass() async throws {
        let (png, _) = try ServerFixture.samplePNG(2)
        try await withServer(ServerFixture.service()) { client in
            let first = try await client.post("/api/explain?threshold=0.1", body: png).decode(ExplainResponseJSON.self)
            let again = try await client.get("/api/results/\(first.id)?threshold=0.1").decode(ExplainResponseJSON.self)
            #expect(again.timing.networkMs == 0)
            #expect(again.maps[0].png == first.maps[0].png)
            #expect(again.maps[0].boxes.map(\.box) == first.maps[0].boxes.map(\.box))
            let high = try await client.get("/api/results/\(first.id)?threshold=0.9&maps=none").decode(ExplainResponseJSON.self)
            #expect(high.threshold == 0.9 && high.maps[0].png == nil)
            let areaLow = first.maps[0].boxes.map(\.box.area).max() ?? 0
            let areaHigh = high.maps[0].boxes.map(\.box.area).max() ?? 0
            #expect(areaHigh <= areaLow)
            let tutorial = try await client.get("/api/results/\(first.id)?normalize=tutorial").decode(ExplainResponseJSON.self)
            #expect(tutorial.normalize == "tutorial")
            #expect(tutorial.predictions == first.predictions)
            let expired = try await client.get("/api/results/00000000-0000-0000-0000-000000000000")
            #expect(expired.status == .notFound)
            #expect(try expired.apiError().code == "result_expired")
            let overlayHere = try await client.get("/api/results/\(first.id)?overlay=true")
            #expect(overlayHere.status == .badRequest)
        }
    }

    /// CAM among several layers is made at the last one only, as `Explainer` does; the others are listed as skipped.
    @Test func camAmongSeveralLayersIsMadeAtTheLastOnly() async throws {
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.execute(uri: "/api/explain?sample=2&methods=cam,gradcam&layers=layer3,layer4", method: .post)
            #expect(r.status == .ok)
            let body = try r.decode(ExplainResponseJSON.self)
            #expect(body.maps.map { "\($0.method)@\($0.layer)" } == ["gradcam@layer3", "cam@layer4", "gradcam@layer4"])
            #expect(body.skipped.map { "\($0.method)@\($0.layer)" } == ["cam@layer3"])
        }
    }

    @Test func rawMapsAndOverlays() async throws {
        let (png, _) = try ServerFixture.samplePNG(3)
        try await withServer(ServerFixture.service()) { client in
            let raw = try await client.post("/api/explain?maps=raw&layers=layer2,layer4", body: png).decode(ExplainResponseJSON.self)
            #expect(raw.maps.map(\.layer) == ["layer2", "layer4"])
            for m in raw.maps {
                let r = try #require(m.raw)
                #expect(r.shape == m.featureShape && r.values.count == r.shape[0] * r.shape[1])
                #expect(m.png == nil)
            }
            let over = try await client.post("/api/explain?overlay=true&colormap=viridis&alpha=0.7", body: png)
                .decode(ExplainResponseJSON.self)
            let image = try decodePNG(over.maps[0].overlayPNG)
            #expect(image.width == 96 && image.height == 96 && image.channels == 3)
        }
    }

    /// A large image is explained from its full pixels but mapped and boxed at `maxMapSide`.
    @Test func largeImagesAreMappedAtTheCappedSide() async throws {
        let big = try Image(width: 300, height: 150, channels: 3, repeating: 90).encoded(as: .png)
        try await withServer(ServerFixture.service { $0.maxMapSide = 100 }) { client in
            let body = try await client.post("/api/explain", body: big).decode(ExplainResponseJSON.self)
            #expect(body.image == ImageSizeJSON(width: 300, height: 150, mapWidth: 100, mapHeight: 50))
            let gray = try decodePNG(body.maps[0].png)
            #expect(gray.width == 100 && gray.height == 50)
        }
    }

    @Test func datasetBrowsing() async throws {
        try await withServer(ServerFixture.service()) { client in
            let d = try await client.get("/api/dataset").decode(DatasetJSON.self)
            #expect(d.count == 12 && d.classNames.count == 8)
            let page = try await client.get("/api/dataset/samples?offset=10&limit=5").decode(SamplePageJSON.self)
            #expect(page.total == 12 && page.samples.map(\.index) == [10, 11])
            let past = try await client.get("/api/dataset/samples?offset=50").decode(SamplePageJSON.self)
            #expect(past.samples.isEmpty)
            let one = try await client.get("/api/dataset/samples/7").decode(SampleJSON.self)
            #expect(one == CAMService.sampleJSON(7, try ServerFixture.dataset().sample(at: 7)))
            let image = try await client.get("/api/dataset/samples/7/image")
            #expect(image.status == .ok && image.headers[.contentType] == "image/png")
            let decoded = try ImageCodec.decode(image.data)
            #expect(decoded.width == one.width && decoded.height == one.height)
            let thumb = try await client.get("/api/dataset/samples/7/thumbnail?size=48")
            #expect(thumb.headers[.contentType] == "image/jpeg")
            let small = try ImageCodec.decode(thumb.data)
            #expect(max(small.width, small.height) == 48)
        }
    }
}
