import CAMKit
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import CAMServer

/// A dataset whose sample 3 is a corrupt record and whose sample 5 holds bytes that are no image.
private struct FaultyDataset: Dataset {
    let base: any Dataset
    var name: String { "faulty \(base.name)" }
    var count: Int { base.count }
    var classNames: [String] { base.classNames }

    func sample(at index: Int) throws -> Sample {
        if index == 3 { throw DataError(.corruptRecord, "record 3 has a bad checksum", path: "/srv/data/shard-00000.tfrecord") }
        var s = try base.sample(at: index)
        if index == 5 { s.image = .encoded(Data("not an image".utf8), source: "shard-00000.tfrecord record 5") }
        return s
    }
}

/// One bad sample fails that sample's requests with 422 and nothing else (#20): the page around it,
/// the other samples and explanations keep being served; a 500's message shows no server paths.
@Suite struct ServerFaultTests {
    @Test func aBadSampleIsA422AndTheServerGoesOn() async throws {
        let service = try CAMService(
            model: ServerFixture.loadModel(), dataset: FaultyDataset(base: ServerFixture.dataset()), settings: ServerSettings())
        try await withServer(service) { client in
            let page = try await client.get("/api/dataset/samples?offset=0&limit=6").decode(SamplePageJSON.self)
            #expect(page.samples.map(\.index) == [0, 1, 2, 4, 5])
            #expect(page.unreadable?.map(\.index) == [3] && page.unreadable?[0].code == "dataset_error")
            let corrupt = try await client.get("/api/dataset/samples/3")
            #expect(corrupt.status == .unprocessableContent)
            let image = try await client.get("/api/dataset/samples/5/thumbnail?size=48")
            #expect(image.status == .unprocessableContent)
            #expect(try image.apiError().code == "dataset_error")
            let explain = try await client.post("/api/explain?sample=5&methods=gradcam&layers=layer4", body: Data())
            #expect(explain.status == .unprocessableContent, "\(String(decoding: explain.data, as: UTF8.self))")
            let fine = try await client.get("/api/dataset/samples/4/thumbnail?size=48")
            #expect(fine.status == .ok)
        }
    }

    @Test func serverFailuresDoNotShowServerPaths() {
        let e = APIError(.internalServerError, "internal", "could not write /var/lib/camkit/cache/run-7/map.png: no space (from '/opt/models/m.h5')")
        #expect(e.publicMessage == "could not write …/map.png: no space (from '…/m.h5')")
        let client = APIError(.badRequest, "bad_parameter", "no such file /tmp/x/y.png")
        #expect(client.publicMessage == client.message)
    }
}
