import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// CAMKit's faithfulness metrics against the peers' own metric classes (fixtures from
/// tools/make_faithfulness_fixtures.py: the explain fixtures' bottleneck ResNet and 2 images of
/// 48x64, 5 maps: 3 Grad-CAM maps of pytorch-grad-cam with ties at 0, a random field and a half-zero
/// one that MoRF imputes whole at the low percentiles).
/// pytorch-grad-cam 1.5.7 for drop, increase, ROAD (imputation noise 0) and its imputer; torchcam
/// 0.5.0 for deletion/insertion. Tolerance: 1e-4 absolute per map.
@Suite struct FaithfulnessParityTests {
    static let tolerance: Float = 1e-4

    struct Setup {
        let model: any Network
        let input: Tensor
        let maps: [FaithfulnessMap]
        let expected: SafeTensorsFile
    }

    static func setup() throws -> Setup {
        let expected = try SafeTensors.read(contentsOf: Fixtures.url("faithfulness/metrics.safetensors"))
        let inputs = try SafeTensors.read(contentsOf: Fixtures.url(try #require(expected.metadata["input"])))
        let modelFile = try #require(expected.metadata["model"])
        let model = try ExplainParityTests.fixtureModel(modelFile)
        let input = try inputs.tensor("input")
        let stack = try expected.tensor("maps")
        let (h, w) = (stack.shape[1], stack.shape[2])
        let images = try expected.tensor("images").scalars(as: Int64.self)
        let classes = try expected.tensor("classes").scalars(as: Int64.self)
        let maps = try (0..<stack.shape[0]).map { m in
            FaithfulnessMap(
                image: Int(images[m]), classIndex: Int(classes[m]), height: h, width: w, values: try stack[m].floats(), source: "map\(m)")
        }
        return Setup(model: model, input: input, maps: maps, expected: expected)
    }

    static func run(_ setup: Setup, _ metrics: [FaithfulnessMetric], configure: (inout FaithfulnessSettings) -> Void = { _ in })
        throws -> [MapFaithfulness]
    {
        var settings = FaithfulnessSettings(metrics: metrics)
        settings.imputationNoise = 0
        settings.batchSize = 7  // not a divisor of any job count: batches mix maps and kinds
        configure(&settings)
        return try FaithfulnessScorer(model: setup.model, settings: settings).score(setup.input, maps: setup.maps)
    }

    /// Worst |ours - peer| over maps (and percentiles), checked against the tolerance and printed.
    @discardableResult
    static func check(_ name: String, _ ours: [Float], _ fixture: SafeTensorsFile, _ key: String) throws -> Float {
        let peer = try fixture.tensor(key).floats()
        let worst = maxAbsDifference(ours, peer)
        print("faithfulness parity \(name): worst abs difference \(worst) over \(peer.count) values")
        #expect(worst <= tolerance, "\(name): \(ours) vs \(peer)")
        return worst
    }

    @Test func dropAndIncreaseMatchPytorchGradCAM() throws {
        let s = try Self.setup()
        let r = try Self.run(s, [.drop, .increase])
        try Self.check("score", r.map(\.score), s.expected, "score")
        try Self.check("drop", r.map { $0.drop! }, s.expected, "drop")
        try Self.check("increase", r.map { $0.increase! }, s.expected, "increase")
    }

    @Test func roadMatchesPytorchGradCAMAtNinePercentiles() throws {
        let s = try Self.setup()
        let r = try Self.run(s, [.roadMoRF, .roadLeRF, .roadCombined])
        #expect(r.allSatisfy { $0.roadMoRF?.count == 9 && $0.roadLeRF?.count == 9 })
        try Self.check("road-morf", r.flatMap { $0.roadMoRF! }, s.expected, "road_morf")
        try Self.check("road-lerf", r.flatMap { $0.roadLeRF! }, s.expected, "road_lerf")
        try Self.check("road-morf average", r.map { $0.roadMoRFMean! }, s.expected, "road_morf_average")
        try Self.check("road-lerf average", r.map { $0.roadLeRFMean! }, s.expected, "road_lerf_average")
        try Self.check("road-combined", r.map { $0.roadCombined! }, s.expected, "road_combined")
        // Only what was asked for is computed.
        let morf = try Self.run(s, [.roadMoRF])
        #expect(morf.allSatisfy { $0.roadLeRF == nil && $0.roadCombined == nil && $0.drop == nil })
        try Self.check("road-morf alone", morf.flatMap { $0.roadMoRF! }, s.expected, "road_morf")
    }

    @Test func deletionAndInsertionMatchTorchcam() throws {
        let s = try Self.setup()
        let r = try Self.run(s, [.deletion, .insertion])
        try Self.check("deletion (20 steps)", r.map { $0.deletion! }, s.expected, "deletion")
        try Self.check("insertion (20 steps)", r.map { $0.insertion! }, s.expected, "insertion")
        // 48 x 64 = 3072 pixels, step ceil(3072 / 20) = 154: points 0, 154, ..., 2926, 3072.
        #expect(r[0].fractions?.count == 21 && r[0].deletionCurve?.first == r[0].score && r[0].insertionCurve?.last == r[0].score)
        let seven = try Self.run(s, [.deletion, .insertion]) { $0.steps = 7 }
        try Self.check("deletion (7 steps)", seven.map { $0.deletion! }, s.expected, "deletion_steps7")
        try Self.check("insertion (7 steps)", seven.map { $0.insertion! }, s.expected, "insertion_steps7")
    }

    /// The pointing games through the scorer (the maps with the fixture's boxes) against TorchRay's
    /// PointingGame (tolerance 15 and 3) and Score-CAM's energy-based pointing game.
    @Test func pointingGamesMatchTorchRayAndScoreCAM() throws {
        var setup = try Self.setup()
        let pointing = try SafeTensors.read(contentsOf: Fixtures.url("faithfulness/pointing.safetensors"))
        let boxes = try pointing.tensor("boxes").scalars(as: Double.self)
        let counts = try pointing.tensor("box_count").scalars(as: Int64.self)
        setup = Setup(
            model: setup.model, input: setup.input,
            maps: setup.maps.enumerated().map { m, map in
                var map = map
                map.boxes = (0..<Int(counts[m])).map { b in BoundingBox(Array(boxes[(m * 8 + b * 4)..<(m * 8 + b * 4 + 4)]))! }
                return map
            }, expected: setup.expected)
        for tolerance in [15, 3] {
            let ours = try Self.run(setup, [.pointingGame, .energyPointingGame]) { $0.pointingTolerance = tolerance }
            try Self.check("pointing game, tolerance \(tolerance)", ours.map { $0.pointingGame! }, pointing, "hit_t\(tolerance)")
            try Self.check("energy pointing game", ours.map { $0.energyPointingGame! }, pointing, "energy")
        }
    }

    @Test func imputerMatchesNoisyLinearImputer() throws {
        let cases = try SafeTensors.read(contentsOf: Fixtures.url("faithfulness/imputer.safetensors"))
        for k in 0..<4 {
            let image = try cases.tensor("case\(k).image")
            let known = try cases.tensor("case\(k).known").scalars(as: UInt8.self)
            let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
            let ours = try NoisyLinearImputer.impute(try image.floats(), channels: c, height: h, width: w, known: known)
            try Self.check("imputer case \(k) (\(h)x\(w), \(known.filter { $0 == 0 }.count) imputed)", ours, cases, "case\(k).imputed")
        }
    }

    @Test func noiseIsSeededAndIndependentOfBatching() throws {
        let s = try Self.setup()
        func noisy(seed: UInt64, batch: Int) throws -> [Float] {
            try Self.run(s, [.roadMoRF, .roadLeRF]) {
                $0.imputationNoise = 0.05
                $0.seed = seed
                $0.percentiles = [30, 70]
                $0.batchSize = batch
            }.flatMap { $0.roadMoRF! + $0.roadLeRF! }
        }
        let a = try noisy(seed: 3, batch: 7), b = try noisy(seed: 3, batch: 7)
        #expect(a == b)
        let c = try noisy(seed: 3, batch: 2)
        #expect(maxAbsDifference(a, c) < 1e-5)
        let d = try noisy(seed: 4, batch: 7)
        #expect(a != d)
        let quiet = try Self.run(s, [.roadMoRF, .roadLeRF]) { $0.percentiles = [30, 70] }.flatMap { $0.roadMoRF! + $0.roadLeRF! }
        #expect(a != quiet)
    }

    @Test func badMapsAndSettingsAreClearErrors() throws {
        let s = try Self.setup()
        let scorer = try FaithfulnessScorer(model: s.model, settings: FaithfulnessSettings(metrics: [.drop]))
        var small = s.maps[0]
        small.height = 24
        small.values = Array(small.values.prefix(24 * 64))
        #expect(throws: FaithfulnessError.mapSize(source: "map0", shape: [24, 64], expected: [48, 64])) {
            _ = try scorer.score(s.input, maps: [small])
        }
        var nan = s.maps[1]
        nan.values[5] = .nan
        #expect(throws: FaithfulnessError.nonFiniteMap(source: "map1")) { _ = try scorer.score(s.input, maps: [nan]) }
        var badClass = s.maps[0]
        badClass.classIndex = 99
        #expect(throws: FaithfulnessError.self) { _ = try scorer.score(s.input, maps: [badClass]) }

        #expect(throws: FaithfulnessError.unknownMetric("road", valid: FaithfulnessMetric.allCases.map(\.rawValue))) {
            _ = try FaithfulnessMetric(name: "road")
        }
        for p in [0.0, 100, -5, 150, .nan] {
            var settings = FaithfulnessSettings(metrics: [.roadCombined])
            settings.percentiles = [10, p]
            #expect(throws: FaithfulnessError.self) { try settings.validate() }
        }
        for (steps, batch) in [(0, 8), (1001, 8), (20, 0), (20, 2000)] {
            var settings = FaithfulnessSettings(metrics: [.deletion])
            settings.steps = steps
            settings.batchSize = batch
            #expect(throws: FaithfulnessError.self) { _ = try FaithfulnessScorer(model: s.model, settings: settings) }
        }
        var noisy = FaithfulnessSettings(metrics: [.roadMoRF])
        noisy.imputationNoise = -1
        #expect(throws: FaithfulnessError.self) { try noisy.validate() }
    }

    @Test func percentileIsNumpysLinear() {
        // np.percentile(np.float32([0, 0, 0, 0.25, 1]), p) for p = 10, 50, 62.5, 90.
        let sorted: [Float] = [0, 0, 0, 0.25, 1]
        #expect(ROADMasks.percentile(sorted: sorted, 10) == 0)
        #expect(ROADMasks.percentile(sorted: sorted, 50) == 0)
        #expect(ROADMasks.percentile(sorted: sorted, 62.5) == 0.125)
        #expect(ROADMasks.percentile(sorted: sorted, 90) == 0.7)
        // Ties at the threshold are imputed: nothing is below 0.
        #expect(ROADMasks.masks([0, 0, 0, 0.25, 1], order: .mostRelevantFirst, percentiles: [10]) == [[0, 0, 0, 0, 0]])
    }
}
