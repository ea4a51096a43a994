import CAMKit
import Foundation
import Testing
import TestSupport

/// An evaluation folder as `camkit evaluate` writes it (the `results.sqlite` schema and the
/// `metrics.json` keys of 72ca906, unchanged since) must stay readable: reports, `storedRun` and
/// resumes depend on it. The fixture was written by:
///
///     camkit evaluate --model <the demo's best.safetensors> \
///       --dataset "synthetic:seed=2,classes=8,train=0,test=16,size=96:test" \
///       --method cam gradcam --layer layer4 layer3 --threshold-interval 0.01 --out DIR
///
/// (DIR/metrics.json and DIR/results.sqlite, copied to Tests/Fixtures/localize/results-v1).
@Suite struct ResultStoreCompatibilityTests {
    static func folder() throws -> URL {
        let dir = try Fixtures.temporaryDirectory("camkit-results-v1")
        for name in ["metrics.json", "results.sqlite"] {
            try FileManager.default.copyItem(at: Fixtures.url("localize/results-v1/\(name)"), to: dir.appendingPathComponent(name))
        }
        return dir
    }

    @Test func storedSamplesMapsAndBoxesAreReadBack() throws {
        let store = try ResultStore(url: Self.folder().appendingPathComponent("results.sqlite"), readOnly: true)
        let (settings, samples) = try store.storedRun()
        #expect(settings["maps"] == "cam/layer4,gradcam/layer4,gradcam/layer3")
        #expect(samples.map(\.index) == Array(0..<16))
        #expect(samples.allSatisfy { $0.maps.map { "\($0.method)/\($0.layer)" }.sorted() == ["cam/layer4", "gradcam/layer3", "gradcam/layer4"] })
        #expect(samples.allSatisfy { $0.predictions?.isEmpty == false && !$0.truth.isEmpty })
        let maps = samples.flatMap(\.maps)
        #expect(maps.reduce(0) { $0 + $1.scored.boxes.count } == 47)
        for (s, m) in samples.flatMap({ s in s.maps.map { (s, $0) } }) {
            #expect(m.scored.boxes.isEmpty == (m.scored.noBox != nil))
            for b in m.scored.boxes {
                #expect(b.polygon.count == 4 && b.ious.count == s.truth.count && b.normalized.isValid())
                #expect(b.bestIoU! <= m.scored.ruleIoU + 1e-12)
            }
        }
    }

    /// The metrics recomputed from the stored sweeps equal the stored metrics.json, and a report
    /// reads the folder without a problem.
    @Test func metricsRecomputedFromTheStoreEqualTheStoredOnes() throws {
        let dir = try Self.folder()
        let stored = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: dir.appendingPathComponent("metrics.json")))
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"), readOnly: true)
        let sweep = try SweepConfiguration.standard(.camkit, interval: 0.01)
        #expect(stored.thresholdCount == sweep.thresholds.count)
        let classNames = try DatasetSpec.parse(stored.dataset).open().classNames
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(stored.results.count == 3)
        for r in stored.results {
            let method = try #require(r.method), layer = try #require(r.layer)
            var acc = MetricsAccumulator(configuration: sweep, classNames: classNames)
            for e in try store.evaluations(method: method, layer: layer, configuration: sweep) { try acc.add(e) }
            let again = try acc.metrics(method: method, layer: layer, boxRule: stored.boxRule)
            #expect(try encoder.encode(again) == encoder.encode(r), "\(method)/\(layer)")
        }
        let run = try EvaluationRun.read(dir)
        #expect(run.resultsProblem == nil && run.samples.count == 16)
    }
}
