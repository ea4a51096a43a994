import Foundation
import Testing
import TestSupport
import CAMKit

/// `camkit data inspect`'s library side: the JSON contract, the summary, drawn samples.
@Suite struct DataInspectTests {
    @Test func jsonHasExactlyTheContractKeysInSourceOrder() throws {
        let ds = try DatasetSpec.parse("wsol:\(DataExpected.url("wsol").path)").open()
        let data = try DataInspect.json(of: ds)
        let array = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let expected = DataExpected.doc.wsol
        #expect(array.count == expected.count)
        for (obj, e) in zip(array, expected) {
            #expect(Set(obj.keys) == ["id", "label", "class_name", "boxes", "width", "height"])
            #expect(obj["id"] as? String == e.id)
            #expect(obj["label"] as? Int == e.label)
            #expect(obj["width"] as? Int == e.width && obj["height"] as? Int == e.height)
            let boxes = try #require(obj["boxes"] as? [[Double]])
            #expect(boxes.count == e.boxes.count)
            for (b, v) in zip(boxes, e.boxes) { #expect(zip(b, v).allSatisfy { abs($0 - $1) < 1e-12 }) }
        }
        #expect(array[1]["class_name"] as? String == "002.Coupe")
        // Decodes back into records, and `limit` cuts the list.
        let records = try JSONDecoder().decode([DataInspect.Record].self, from: data)
        #expect(records == (try DataInspect.records(of: ds)))
        #expect(try DataInspect.records(of: ds, limit: 2).count == 2)
    }

    @Test func tfdsJSONKeepsFloat32Boxes() throws {
        let ds = try DatasetSpec.parse("tfds:\(DataExpected.url("tfds/cars196/2.1.0").path):test").open()
        let records = try JSONDecoder().decode([DataInspect.Record].self, from: DataInspect.json(of: ds))
        #expect(records.map(\.id) == DataExpected.doc.tfds["test"]!.map(\.id))
        #expect(records.map { $0.boxes.map(\.values) } == DataExpected.doc.tfds["test"]!.map(\.boxes))
    }

    @Test func summaryCountsAndBoxStatistics() throws {
        let ds = try DatasetSpec.parse("folder:\(DataExpected.url("folder").path)").open()
        let s = try DataInspect.summary(of: ds)
        #expect(s.count == 3)
        #expect(s.classCounts == [1, 2])
        #expect(s.boxCount == 4)
        #expect(s.maxBoxesPerSample == 2)
        #expect(s.samplesWithoutBoxes == 0)
        let areas = DataExpected.doc.folder.flatMap(\.boxes).map { ($0[2] - $0[0]) * ($0[3] - $0[1]) }
        #expect(abs(s.boxAreaMean - areas.reduce(0, +) / 4) < 1e-12)
        #expect(abs(s.boxAreaMax - areas.max()!) < 1e-12)
        #expect(s.fullImageIoUMean > 0 && s.fullImageIoUMean < 1)
        #expect(s.text.contains("3 samples, 2 classes"))

        let synth = try DataInspect.summary(of: DatasetSpec.parse("synthetic:train=200,test=1,size=64").open())
        #expect(synth.fullImageIoUMean < 0.35)  // the trivial whole-image box localises poorly
    }

    @Test func runPrintsAndDrawsSamples() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-inspect")
        defer { try? FileManager.default.removeItem(at: tmp) }
        var printed: [String] = []
        let summary = try DataInspect.run(
            spec: "stanford-cars:\(DataExpected.url("stanford-cars").path):test", samplesDirectory: tmp,
            drawCount: 2
        ) { printed.append($0) }
        #expect(summary?.count == 3)
        #expect(printed.first?.contains("stanford-cars test: 3 samples, 196 classes") == true)
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted()
        #expect(files == ["000_00001.png", "001_00002.png"])
        let drawn = try Image(contentsOf: tmp.appendingPathComponent(files[0]))
        #expect(drawn.width == 50 && drawn.height == 42)
        var green = 0
        for y in 0..<drawn.height { for x in 0..<drawn.width where drawn.pixel(x: x, y: y) == [0, 255, 0] { green += 1 } }
        #expect(green > 50)

        var json: [String] = []
        _ = try DataInspect.run(spec: "voc:\(DataExpected.url("voc").path):test", json: true) { json.append($0) }
        #expect(json.count == 1 && json[0].hasPrefix("[{"))

        #expect(throws: DataError.self) { try DataInspect.run(spec: "bogus:/x") { _ in } }
    }
}
