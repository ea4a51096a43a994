import Foundation
import Testing
import TestSupport
import CAMKit

/// Dataset metrics against the Python references of tools/make_localize_fixtures.py: a
/// reimplementation of wsolevaluation's BoxEvaluator, and CAMKit's protocol computed with
/// cv2.connectedComponentsWithStats at every threshold.
@Suite struct LocalizeMetricsTests {
    static func evaluate(_ p: EvaluationProtocol) throws -> (LocalizationMetrics, [Double]) {
        let config = try SweepConfiguration.standard(p)
        let scorer = try MapScorer(rule: .camkit, sweep: config)
        var acc = MetricsAccumulator(configuration: config, classNames: (0..<5).map { "c\($0)" })
        var ruleIoUs: [Double] = []
        for (map, s) in zip(LocalizeFixture.randomMaps, LocalizeFixture.samples) {
            let truth = s.truth
            let scored = try scorer.score(map, truth: truth, source: s.id)
            ruleIoUs.append(scored.ruleIoU)
            try acc.add(
                SampleEvaluation(
                    sampleID: s.id, label: s.label, predictions: s.predictions, ruleIoU: scored.ruleIoU,
                    sweep: try #require(scored.sweep), truth: truth.boxes))
        }
        return (try acc.metrics(boxRule: BoxRule.camkit.description), ruleIoUs)
    }

    static func check(_ p: EvaluationProtocol) throws {
        let (m, ruleIoUs) = try evaluate(p)
        let e = LocalizeFixture.expected[p.rawValue] as! [String: Any]
        let n = 200.0
        #expect(m.samples == 200)
        // Per-threshold correct counts, one box and all boxes, at every IoU threshold.
        let single = e["single"] as! [String: [String: Any]], multi = e["multi"] as! [String: [String: Any]]
        var mismatches = 0
        for (k, d) in [0.3, 0.5, 0.7].enumerated() {
            let es = single["\(d)"]!, em = multi["\(d)"]!
            let oneCurve = m.oneBoxAcc.firstIndex { $0.iou == d }!
            let mineSingle = (d == 0.5 ? m.oneBoxCurve : nil)
            if let mineSingle {
                let counts = (es["counts"] as! [Any]).map(int)
                let mine = mineSingle.map { Int(($0 * n / 100).rounded()) }
                mismatches += zip(mine, counts).filter { $0 != $1 }.count
                #expect(mineSingle == counts.map { Double($0) * 100.0 / n })
            }
            #expect(m.oneBoxAcc[oneCurve].accuracy == double(es["accuracy"]!), "\(p) one box @\(d)")
            #expect(m.oneBoxAcc[oneCurve].index == int(es["index"]!), "\(p) one box best index @\(d)")
            let counts = (em["counts"] as! [Any]).map(int)
            #expect(m.allBoxCurves[k] == counts.map { Double($0) * 100.0 / n }, "\(p) all boxes @\(d)")
            mismatches += zip(m.allBoxCurves[k].map { Int(($0 * n / 100).rounded()) }, counts).filter { $0 != $1 }.count
            #expect(m.maxBoxAccV2PerIoU[k].accuracy == double(em["accuracy"]!))
            #expect(m.maxBoxAccV2PerIoU[k].index == int(em["index"]!))
            #expect(m.maxBoxAccV2PerIoU[k].threshold == double(em["threshold"]!))
        }
        #expect(mismatches == 0)
        #expect(m.maxBoxAcc.accuracy == double(e["max_box_acc"]!))
        #expect(m.maxBoxAccV2 == double(e["max_box_acc_v2"]!))
        // The fixed rule (20 % of max): per-map IoUs bit for bit, then the dataset numbers.
        #expect(ruleIoUs == doubles(e["rule_ious"]!))
        #expect(m.meanIoU == double(e["mean_iou"]!))
        #expect(m.gtKnownLoc == double(e["gt_known_loc"]!))
        #expect(m.top1Cls == double(e["top1_cls"]!))
        #expect(m.top5Cls == double(e["top5_cls"]!))
        #expect(m.top1Loc == double(e["top1_loc"]!))
        #expect(m.top5Loc == double(e["top5_loc"]!))
        #expect(m.top1LocAtBestThreshold == double(e["top1_loc_at_best_threshold"]!))
        let perClass = e["per_class"] as! [String: [String: Any]]
        #expect(m.perClass.count == perClass.count)
        for c in m.perClass {
            let ec = perClass["\(c.label)"]!
            #expect(c.samples == int(ec["samples"]!))
            #expect(abs(c.meanIoU - double(ec["mean_iou"]!)) < 1e-12)
            #expect(c.gtKnownLoc == double(ec["gt_known_loc"]!))
            #expect(c.top1Loc == double(ec["top1_loc"]!))
            #expect(c.top5Loc == double(ec["top5_loc"]!))
            #expect(c.boxAccAtBestThreshold == double(ec["box_acc_at_best_threshold"]!))
            #expect(abs(c.boxAccV2AtBestThresholds - double(ec["box_acc_v2_at_best_thresholds"]!)) < 1e-12)
        }
        let baselines = e["baselines"] as! [String: [String: Any]]
        for b in m.baselines {
            let eb = baselines[b.name]!
            #expect(b.box.values == doubles(eb["box"]!), "\(b.name)")
            #expect(abs(b.meanIoU - double(eb["mean_iou"]!)) < 1e-12, "\(b.name)")
            #expect(b.accuracy == doubles(eb["accuracy"]!), "\(b.name)")
        }
        print(
            "\(p.rawValue): MaxBoxAcc \(m.maxBoxAcc.accuracy) at \(m.maxBoxAcc.threshold), MaxBoxAccV2 \(m.maxBoxAccV2), mean IoU \(m.meanIoU), GT-known \(m.gtKnownLoc), top-1 loc \(m.top1Loc!); per-threshold count mismatches vs Python: \(mismatches)"
        )
    }

    @Test func wsolevaluationProtocolMatchesPythonBoxEvaluator() throws { try Self.check(.wsolevaluation) }

    @Test func camkitProtocolMatchesConnectedComponentsReference() throws { try Self.check(.camkit) }

    @Test func thresholdGridIsNumpyArange() throws {
        let t = try WSOLProtocol.thresholds()
        #expect(t.count == int(LocalizeFixture.expected["threshold_count"]!))
        for (k, v) in LocalizeFixture.expected["threshold_samples"] as! [String: Any] {
            #expect(t[Int(k)!] == double(v), "threshold \(k)")
        }
    }

    @Test func wsolProtocolRejectsMapsOutsideUnitRange() throws {
        let scorer = try MapScorer(rule: .camkit, sweep: .standard(.wsolevaluation))
        let truth = GroundTruth(boxes: [.fullImage], imageWidth: 10, imageHeight: 10)
        let bad = try ScoreMap(width: 2, height: 2, values: [0, 0.5, 1.5, 1])
        #expect(throws: CAMError.self) { try scorer.score(bad, truth: truth, source: "x.npy") }
        let nan = try ScoreMap(width: 2, height: 2, values: [0, .nan, 1, 1])
        #expect(throws: CAMError.self) { try scorer.score(nan, truth: truth) }
        #expect(throws: CAMError.self) { try MapScorer(rule: BoxRule(parsing: "camkit:absolute=0.2"), sweep: .standard(.wsolevaluation)) }
        // A zero map: wsolevaluation's (0, 0, 0, 0) box, scored with +1 against pixels 0...9.
        let corner = GroundTruth(boxes: [BoundingBox(ymin: 0, xmin: 0, ymax: 0.9, xmax: 0.9)], imageWidth: 10, imageHeight: 10)
        let zero = try scorer.score(try ScoreMap(width: 10, height: 10, values: [Double](repeating: 0, count: 100)), truth: corner)
        #expect(zero.ruleIoU == 0.01 && zero.noBox == .nothingAboveThreshold)
        // CAMKit: no box at all, IoU 0.
        let camkit = try MapScorer(rule: .camkit, sweep: .standard(.camkit))
        let z = try camkit.score(try ScoreMap(width: 10, height: 10, values: [Double](repeating: 0, count: 100)), truth: truth)
        #expect(z.ruleIoU == 0 && z.noBox == .emptyMap && z.boxes.isEmpty)
        #expect(try #require(z.sweep).single.allSatisfy { $0.words.allSatisfy { $0 == 0 } })
    }

    @Test func bitSetRoundTrip() {
        var b = BitSet(count: 1000)
        for i in [0, 1, 63, 64, 500, 999] { b[i] = true }
        let back = BitSet(count: 1000, data: b.data)
        #expect(back == b)
        #expect(BitSet(count: 999, data: Data(count: 3)) == nil)
    }
}
