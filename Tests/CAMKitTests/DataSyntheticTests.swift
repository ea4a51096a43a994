import Foundation
import Testing
import TestSupport
import CAMKit
@testable import CAMCore
@testable import CAMImaging
@testable import CAMFormats
@testable import CAMModels
@testable import CAMData
@testable import CAMExplain
@testable import CAMLocalize
@testable import CAMTrain
@testable import CAMReport
@testable import CAMJobs

/// The synthetic localisation dataset: determinism, ground truth, statistics and caching.
@Suite struct DataSyntheticTests {
    static let small = SyntheticConfig(seed: 7, classes: 8, trainCount: 64, testCount: 16, size: 64)

    @Test func sameSeedSameImagesInAnyOrder() throws {
        let a = try SyntheticDataset(config: Self.small, split: "train")
        let b = try SyntheticDataset(config: Self.small, split: "train")
        let forward = try (0..<6).map { try a.render($0) }
        let backward = try (0..<6).reversed().map { try b.render($0) }.reversed()
        #expect(Array(forward) == Array(backward))
        for i in 0..<6 { #expect(try a.sample(at: i).boxes == (try b.sample(at: i)).boxes) }
        // Rendering on several threads at once gives the same pixels.
        let parallel = LockedBox<[Int: Image]>([:])
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            let img = try! a.render(i)
            parallel.update { $0[i] = img }
        }
        #expect((0..<6).map { parallel.value[$0]! } == forward)
        // Known pixels of this config: a regression guard on the generator itself (a change to
        // the generator must bump SyntheticDataset.CacheInfo.currentVersion and these sums).
        let sums = forward.map(pixelSum)
        #expect(sums == [1_455_594, 1_517_949, 1_687_631, 1_555_597, 1_414_328, 881_970])
    }

    @Test func seedsAndSplitsDiffer() throws {
        let train = try SyntheticDataset(config: Self.small, split: "train")
        let test = try SyntheticDataset(config: Self.small, split: "test")
        var other = Self.small
        other.seed = 8
        let reseeded = try SyntheticDataset(config: other, split: "train")
        #expect(try train.render(0) != test.render(0))
        #expect(try train.render(0) != reseeded.render(0))
        #expect(try train.sample(at: 0).boxes != (try test.sample(at: 0)).boxes)
    }

    @Test func labelsAreBalancedAndBoxesReasonable() throws {
        let config = SyntheticConfig(seed: 1, classes: 8, trainCount: 400, testCount: 8, size: 96)
        let ds = try SyntheticDataset(config: config, split: "train")
        var counts = [Int](repeating: 0, count: 8)
        var areas: [Double] = []
        for i in 0..<ds.count {
            let s = try ds.sample(at: i)
            counts[s.label] += 1
            #expect(s.boxes.count == 1)
            let b = s.boxes[0]
            #expect(b.isValid(tolerance: 0))
            #expect(b.xmin > 0 && b.ymin > 0 && b.xmax < 1 && b.ymax < 1)  // never touches the border
            areas.append(b.area)
            #expect(s.width == 96 && s.height == 96)
            #expect(s.id == String(format: "train_%06d", i))
        }
        #expect(counts.allSatisfy { $0 == 50 })
        let mean = areas.reduce(0, +) / Double(areas.count)
        #expect(mean > 0.10 && mean < 0.35, "mean box area \(mean)")
        #expect(areas.min()! > 0.02 && areas.max()! < 0.6)
        #expect(ds.classNames == Array(SyntheticShape.allCases.prefix(8).map(\.name)))
    }

    @Test func boxIsTheObjectsExtent() throws {
        // Without noise and clutter colours, pixels inside the object differ from a render where
        // the object is moved away; their extent is the box.
        let config = SyntheticConfig(seed: 5, classes: 10, trainCount: 20, testCount: 1, size: 80, distractors: 0, noise: 0)
        let ds = try SyntheticDataset(config: config, split: "train")
        for i in 0..<10 {
            var layout = ds.layout(i)
            let with = SyntheticRenderer(config: config).render(layout)
            layout.cx = -1000  // the object leaves the image, everything else stays
            let without = SyntheticRenderer(config: config).render(layout)
            var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
            for y in 0..<80 {
                for x in 0..<80 {
                    let o = (y * 80 + x) * 3
                    let d = (0..<3).map { abs(Int(with[o + $0]) - Int(without[o + $0])) }.max()!
                    if d > 0 { minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y) }
                }
            }
            let b = try ds.sample(at: i).boxes[0]
            // The box holds the pixels the object covers at least half; antialiased edge pixels
            // (coverage below 0.5) change too, up to 2 pixels further out at sharp tips.
            let tol = 2.0 / 80 + 1e-9
            #expect(Double(minX) / 80 <= b.xmin + 1e-9 && b.xmin - Double(minX) / 80 <= tol, "sample \(i)")
            #expect(Double(maxX + 1) / 80 >= b.xmax - 1e-9 && Double(maxX + 1) / 80 - b.xmax <= tol, "sample \(i)")
            #expect(Double(minY) / 80 <= b.ymin + 1e-9 && b.ymin - Double(minY) / 80 <= tol, "sample \(i)")
            #expect(Double(maxY + 1) / 80 >= b.ymax - 1e-9 && Double(maxY + 1) / 80 - b.ymax <= tol, "sample \(i)")
        }
    }

    @Test func cacheRoundTripsThroughTheFolderReader() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-synth")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let live = try SyntheticDataset(config: Self.small, split: "test")
        let cached = try SyntheticDataset(config: Self.small, split: "test", cache: tmp)
        let dir = try #require(cached.cacheDirectory)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("synthetic.json").path))
        let folder = try AnnotatedImageDataset.folder(dir)
        #expect(folder.count == live.count)
        #expect(folder.classNames == live.classNames)
        for i in 0..<live.count {
            let a = try live.sample(at: i), b = try cached.sample(at: i), c = try folder.sample(at: i)
            #expect(a.id == b.id && a.id == c.id && a.label == c.label && a.boxes == c.boxes && a.boxes == b.boxes)
            #expect(try a.loadImage() == b.loadImage())  // PNG is lossless
        }
        // A second open reuses the cache (the files are not rewritten).
        let stamp = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("annotations.json").path)[.modificationDate] as? Date
        _ = try SyntheticDataset(config: Self.small, split: "test", cache: tmp)
        let again = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("annotations.json").path)[.modificationDate] as? Date
        #expect(stamp == again)
    }

    @Test func invalidConfigsAreRejected() {
        var c = SyntheticConfig()
        c.classes = 1
        #expect(throws: DataError.self) { try SyntheticDataset(config: c, split: "train") }
        #expect(throws: DataError.self) { try SyntheticDataset(config: SyntheticConfig(), split: "val") }
        let e = dataError { _ = try SyntheticDataset(config: SyntheticConfig(trainCount: 3), split: "train").sample(at: 3) }
        #expect(e?.kind == .outOfRange)
    }
}
