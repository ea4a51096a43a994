import CAMKit
import Foundation
import HummingbirdTesting
import TestSupport
import Testing

@testable import CAMServer

/// Every limit and bad input gets its documented answer: status, code, a message that says what
/// to do, and the valid values where a name was wrong.
@Suite struct ServerLimitTests {
    // MARK: uploads

    @Test func uploadOverTheSizeCapIs413() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        try await withServer(ServerFixture.service { $0.maxUploadBytes = 1000 }) { client in
            #expect(png.count > 1000)
            let r = try await client.post("/api/explain", body: png)
            #expect(r.status == .contentTooLarge)
            let e = try r.apiError()
            #expect(e.code == "upload_too_large" && e.message.contains("1000"))
            // A declared Content-Length over the cap is refused before the body is read.
            let declared = try await client.post(
                "/api/explain", body: png,
                headers: [.contentType: "image/png", .contentLength: String(png.count)])
            #expect(declared.status == .contentTooLarge)
        }
    }

    @Test func imageOverThePixelCapIs413BeforeDecoding() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        // A PNG whose header claims 100000 x 100000 pixels (a decompression bomb): refused from the header.
        let bomb = Data(
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
                + [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0] + [UInt8](repeating: 0, count: 64))
        try await withServer(ServerFixture.service { $0.maxPixels = 96 * 96 - 1 }) { client in
            let r = try await client.post("/api/explain", body: png)
            #expect(r.status == .contentTooLarge)
            let e = try r.apiError()
            #expect(e.code == "too_many_pixels" && e.message.contains("96x96"))
            let b = try await client.post("/api/explain", body: bomb)
            #expect(b.status == .contentTooLarge)
            #expect(try b.apiError().message.contains("100000x100000"))
        }
    }

    @Test func emptyNonImageAndUndecodableUploadsAre400WithTheReason() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        try await withServer(ServerFixture.service()) { client in
            let empty = try await client.post("/api/explain", body: Data())
            #expect(empty.status == .badRequest)
            #expect(try empty.apiError().code == "empty_body")

            let text = try await client.post("/api/explain", body: Data("hello, not an image".utf8), headers: [.contentType: "text/plain"])
            #expect(text.status == .badRequest)
            let e = try text.apiError()
            #expect(e.code == "not_an_image" && e.message.contains("68 65 6c 6c 6f"))

            // A real PNG header followed by garbage: OpenCV's refusal comes back as the reason.
            let broken = Data(png.prefix(40)) + Data(repeating: 0xAB, count: 200)
            let bad = try await client.post("/api/explain", body: broken)
            #expect(bad.status == .badRequest)
            let b = try bad.apiError()
            #expect(b.code == "undecodable_image" && b.message.contains("does not decode"))

            // The server keeps working afterwards.
            #expect(try await client.post("/api/explain", body: png).status == .ok)
        }
    }

    // MARK: names and parameters

    @Test func unknownMethodIs400ListingTheValidOnes() async throws {
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.execute(uri: "/api/explain?sample=0&methods=gradcam,smoothgrad", method: .post)
            #expect(r.status == .badRequest)
            let e = try r.apiError()
            #expect(e.code == "unknown_method" && e.message.contains("smoothgrad"))
            #expect(e.valid == CAMMethod.allCases.map(\.rawValue))
        }
    }

    @Test func unknownLayerIs400ListingTheValidOnes() async throws {
        let service = try ServerFixture.service()
        let names = service.facts.layers.map(\.name)
        try await withServer(service) { client in
            let r = try await client.execute(uri: "/api/explain?sample=0&layers=layer4,conv5_block3_out", method: .post)
            #expect(r.status == .badRequest)
            let e = try r.apiError()
            #expect(e.code == "unknown_layer" && e.message.contains("conv5_block3_out") && !e.message.contains("'layer4'"))
            #expect(e.valid == names)
        }
    }

    @Test func otherBadParametersAre400() async throws {
        let cases: [(String, String)] = [
            ("methods=cam&layers=layer3", "cam_needs_last_layer"),
            ("methods=cam,gradcam&layers=layer2,layer3", "cam_needs_last_layer"),
            ("methods=cam,gradcam,layercam,hirescam&layers=layer1,layer2,layer3,layer4", "too_many_maps"),
            ("methods=gradcam,layercam,hirescam,xgradcam&layers=layer1,layer2,layer3,layer4", "too_many_maps"),
            ("class=8", "class_out_of_range"),
            ("class=-1", "class_out_of_range"),
            ("class=dog", "class_out_of_range"),
            ("threshold=1.5", "bad_parameter"),
            ("threshold=nan", "bad_parameter"),
            ("normalize=sigmoid", "unknown_normalization"),
            ("colormap=rainbowish&overlay=1", "unknown_colormap"),
            ("maps=jpeg", "bad_parameter"),
            ("score=prob", "bad_parameter"),
            ("layer4=1", "bad_parameter"),
            ("truth=0.5,0.5,0.2,0.2", "bad_parameter")
        ]
        try await withServer(ServerFixture.service()) { client in
            let (png, _) = try ServerFixture.samplePNG(0)
            for (query, code) in cases {
                let r = try await client.post("/api/explain?\(query)", body: png)
                #expect(r.status == .badRequest, "\(query)")
                #expect(try r.apiError().code == code, "\(query)")
            }
            let both = try await client.post("/api/explain?sample=1", body: png)
            #expect(both.status == .badRequest)
            #expect(try both.apiError().message.contains("not both"))
        }
    }

    // MARK: queue and timeout

    /// One job runs, `queueDepth` wait, the rest are refused at once with 503 and Retry-After.
    @Test func fullQueueIs503WithRetryAfter() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        let service = try ServerFixture.service {
            $0.queueDepth = 1
            $0.simulatedWork = .milliseconds(1500)
        }
        try await withServer(service) { client in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
                for i in 0..<4 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(60 * i))
                        let r = try await client.post("/api/explain", body: png)
                        let code = r.status == .ok ? nil : try r.apiError().code
                        return (r.status.code, code, r.headers[.retryAfter])
                    }
                }
                var out: [(Int, String?, String?)] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 2)
            let refused = statuses.filter { $0.0 == 503 }
            #expect(refused.count == 2)
            for r in refused {
                #expect(r.1 == "queue_full")
                let seconds = try #require(r.2.flatMap { Int($0) })
                #expect(seconds >= 1)
            }
            // Light requests are not queued behind the model.
            #expect(try await client.get("/api/health").status == .ok)
        }
    }

    @Test func slowExplanationIs504AndTheServerRecovers() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        let service = try ServerFixture.service {
            $0.requestTimeout = 0.4
            $0.simulatedWork = .milliseconds(1500)
        }
        try await withServer(service) { client in
            let start = ContinuousClock.now
            let r = try await client.post("/api/explain", body: png)
            let elapsed = ContinuousClock.now - start
            #expect(r.status == .gatewayTimeout)
            let e = try r.apiError()
            #expect(e.code == "timeout" && e.message.contains("0.40"))
            #expect(elapsed < .milliseconds(1400), "answered at the deadline, not when the pass ended")
            // Once the pass that overran ends, the slot and the model are free again.
            try await waitUntilIdle(service)
            let health = try await client.get("/api/health").decode(HealthJSON.self)
            #expect(health.admitted == 0 && !health.running)
            #expect(try await client.post("/api/explain?timeout=1", body: png).status == .badRequest)
        }
    }

    @Test func queuedJobsPastTheirDeadlineNeverRun() async throws {
        let (png, _) = try ServerFixture.samplePNG(0)
        let service = try ServerFixture.service {
            $0.queueDepth = 3
            $0.requestTimeout = 1.5
            $0.simulatedWork = .milliseconds(1000)
        }
        try await withServer(service) { client in
            let codes = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<3 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(30 * i))
                        return try await client.post("/api/explain", body: png).status.code
                    }
                }
                var out: [Int] = []
                for try await c in group { out.append(c) }
                return out.sorted()
            }
            // The first finishes in time; the second is still running at its deadline (or waiting,
            // on a very slow machine); the third times out waiting and is skipped: it never runs.
            #expect(codes == [200, 504, 504])
            try await waitUntilIdle(service)
            #expect(service.worker.jobsRun <= 2)
            let health = try await client.get("/api/health").decode(HealthJSON.self)
            #expect(health.waiting == 0 && !health.running && health.admitted == 0)
        }
    }

    /// Waits (at most 10 s) until the model thread has nothing running or waiting.
    private func waitUntilIdle(_ service: CAMService) async throws {
        for _ in 0..<200 {
            let load = service.worker.load
            if !load.running && load.waiting == 0 && load.admitted == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the model thread did not become idle")
    }

    // MARK: dataset

    @Test func datasetIdsAreIndicesOnly() async throws {
        try await withServer(ServerFixture.service()) { client in
            for path in ["12", "-1", "1e3", "0x1", "+3", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "3%00", "99999999999999999999", "%20%31"] {
                for suffix in ["", "/image", "/thumbnail"] {
                    let r = try await client.get("/api/dataset/samples/\(path)\(suffix)")
                    #expect(r.status == .notFound, "\(path)\(suffix)")
                    #expect(try r.apiError().code == "unknown_sample", "\(path)\(suffix)")
                }
            }
            let r = try await client.get("/api/dataset/samples/../../../etc/passwd")
            #expect(r.status == .notFound)
            #expect(try await client.execute(uri: "/api/explain?sample=12", method: .post).status == .notFound)
            #expect(try await client.execute(uri: "/api/explain?sample=..%2Fx", method: .post).status == .notFound)
            let page = try await client.get("/api/dataset/samples?limit=1000")
            #expect(page.status == .badRequest)
            #expect(try await client.get("/api/dataset/samples/3/thumbnail?size=4096").status == .badRequest)
        }
    }

    @Test func withoutADatasetTheDatasetRoutesSayHowToGetOne() async throws {
        try await withServer(ServerFixture.service(dataset: false)) { client in
            for uri in ["/api/dataset", "/api/dataset/samples", "/api/dataset/samples/0", "/api/dataset/samples/0/image"] {
                let r = try await client.get(uri)
                #expect(r.status == .notFound)
                let e = try r.apiError()
                #expect(e.code == "no_dataset" && e.message.contains("--dataset"))
            }
            let model = try await client.get("/api/model").decode(ModelJSON.self)
            #expect(model.dataset == nil)
        }
    }

    @Test func unknownRoutesAreJSON404s() async throws {
        try await withServer(ServerFixture.service()) { client in
            let r = try await client.get("/api/nothing")
            #expect(r.status == .notFound)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try r.apiError().code == "not_found")
        }
    }
}
