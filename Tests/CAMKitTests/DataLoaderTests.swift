import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// A tiny in-memory dataset whose images show one white rectangle (the box) on black.
struct RectangleDataset: Dataset {
    let name = "rectangles"
    let classNames = ["a", "b", "c"]
    let count: Int
    var missingAt: Int? = nil

    func rect(_ i: Int) -> (w: Int, h: Int, x0: Int, y0: Int, x1: Int, y1: Int) {
        var rng = SplitMix64(seed: 99, keys: UInt64(i))
        let w = 40 + rng.below(40), h = 30 + rng.below(40)
        let x0 = rng.below(w / 2), y0 = rng.below(h / 2)
        return (w, h, x0, y0, x0 + 6 + rng.below(w / 2 - 6), y0 + 6 + rng.below(h / 2 - 6))
    }

    func sample(at i: Int) throws -> Sample {
        try checkIndex(i)
        let r = rect(i)
        if i == missingAt {
            return Sample(
                id: "r\(i)", label: i % 3, className: classNames[i % 3], boxes: [], width: r.w, height: r.h,
                image: .file(URL(fileURLWithPath: "/nonexistent/r\(i).png")))
        }
        let box = BoundingBox(x0: Double(r.x0), y0: Double(r.y0), x1: Double(r.x1), y1: Double(r.y1), width: r.w, height: r.h)
        return Sample(
            id: "r\(i)", label: i % 3, className: classNames[i % 3], boxes: [box], width: r.w, height: r.h,
            image: .generated {
                var img = try Image(width: r.w, height: r.h, channels: 3, repeating: 0)
                for y in r.y0..<r.y1 { for x in r.x0..<r.x1 { for c in 0..<3 { img[x, y, c] = 255 } } }
                return img
            })
    }
}

@Suite struct DataLoaderTests {
    static func bytes(_ b: Batch) throws -> [UInt8] { try b.images.bytes() }

    @Test func batchesAreNCHWFloatsWithLabels() throws {
        let ds = try SyntheticDataset(config: SyntheticConfig(seed: 2, classes: 4, trainCount: 10, testCount: 2, size: 48), split: "train")
        let loader = try DataLoader(dataset: ds, options: .init(batchSize: 4, imageSize: 32, workers: 2))
        #expect(loader.batchCount == 3)
        var seen: [Int] = []
        for batch in loader.batches(epoch: 0) {
            #expect(batch.images.shape == [batch.indices.count, 3, 32, 32])
            #expect(batch.images.dtype == .float32)
            #expect(try batch.labels.scalars(as: Int64.self) == batch.indices.map { Int64($0 % 4) })
            let v = try batch.images.floats()
            #expect(v.min()! >= 0 && v.max()! <= 1)
            seen += batch.indices
        }
        #expect(seen == Array(0..<10))  // no shuffle: dataset order, last batch of 2
        let dropping = try DataLoader(dataset: ds, options: .init(batchSize: 4, imageSize: 32, dropLast: true))
        #expect(dropping.batchCount == 2)
    }

    @Test func sameSeedAndEpochGiveTheSameBatchesWhateverTheThreads() throws {
        let ds = try SyntheticDataset(config: SyntheticConfig(seed: 4, classes: 5, trainCount: 37, testCount: 1, size: 40), split: "train")
        func run(workers: Int, prefetch: Int, epoch: Int, seed: UInt64 = 11) throws -> [(indices: [Int], bytes: [UInt8], boxes: [[BoundingBox]])] {
            let options = DataLoader.Options(
                batchSize: 8, imageSize: 32, shuffle: true, seed: seed, workers: workers, prefetch: prefetch,
                augmentation: .standard)
            let loader = try DataLoader(dataset: ds, options: options)
            let it = loader.batches(epoch: epoch)
            var out: [([Int], [UInt8], [[BoundingBox]])] = []
            while let b = try it.nextBatch() { out.append((b.indices, try Self.bytes(b), b.boxes)) }
            return out
        }
        let a = try run(workers: 1, prefetch: 1, epoch: 3)
        let b = try run(workers: 4, prefetch: 6, epoch: 3)
        #expect(a.count == 5)
        #expect(a.map(\.indices) == b.map(\.indices))
        #expect(a.map(\.bytes) == b.map(\.bytes))
        #expect(a.map(\.boxes) == b.map(\.boxes))
        #expect(Set(a.flatMap(\.indices)) == Set(0..<37))
        let other = try run(workers: 2, prefetch: 2, epoch: 4)
        #expect(other.map(\.indices) != a.map(\.indices))
        let reseeded = try run(workers: 2, prefetch: 2, epoch: 3, seed: 12)
        #expect(reseeded.map(\.indices) != a.map(\.indices))

        // Resuming at batch 2 (and building one batch directly) gives the same batches.
        let loader = try DataLoader(
            dataset: ds,
            options: .init(
                batchSize: 8, imageSize: 32, shuffle: true, seed: 11, workers: 2,
                augmentation: .standard))
        let resumed = loader.batches(epoch: 3, startingAt: 2)
        var k = 2
        while let batch = try resumed.nextBatch() {
            #expect(batch.index == k)
            #expect(batch.indices == a[k].indices)
            #expect(try Self.bytes(batch) == a[k].bytes)
            k += 1
        }
        #expect(k == 5)
        #expect(try Self.bytes(loader.batch(epoch: 3, index: 4)) == a[4].bytes)
    }

    @Test func augmentationMovesBoxesWithThePixels() throws {
        let ds = RectangleDataset(count: 40)
        for seed in UInt64(0)..<3 {
            for i in 0..<ds.count {
                let s = try ds.sample(at: i)
                let image = try s.loadImage()
                var rng = SplitMix64(seed: seed, keys: UInt64(i))
                let aug = Augmentation(crop: .init(scale: 0.2...1.0), flipProbability: 0.5)
                let (out, boxes) = try aug.apply(to: image, boxes: s.boxes, rng: &rng)
                // The white pixels' extent in the output is the mapped box.
                var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
                for y in 0..<out.height {
                    for x in 0..<out.width where out[x, y, 0] == 255 {
                        minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                    }
                }
                if maxX < 0 {
                    #expect(boxes.isEmpty, "seed \(seed) sample \(i): no rectangle left but a box")
                    continue
                }
                let b = try #require(boxes.first, "seed \(seed) sample \(i): rectangle visible but no box")
                let w = Double(out.width), h = Double(out.height)
                #expect(abs(b.xmin * w - Double(minX)) < 1e-6 && abs(b.xmax * w - Double(maxX + 1)) < 1e-6, "seed \(seed) sample \(i)")
                #expect(abs(b.ymin * h - Double(minY)) < 1e-6 && abs(b.ymax * h - Double(maxY + 1)) < 1e-6, "seed \(seed) sample \(i)")
            }
        }
    }

    @Test func flipAndCropHelpers() throws {
        let img = try Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
        #expect(try img.flippedHorizontally().pixels == [3, 2, 1, 6, 5, 4])
        #expect(try img.cropped(to: Rect2i(x: 1, y: 1, width: 2, height: 1)).pixels == [5, 6])
        #expect(throws: CAMError.self) { try img.cropped(to: Rect2i(x: 2, y: 0, width: 2, height: 1)) }
        let b = BoundingBox(ymin: 0.1, xmin: 0.2, ymax: 0.5, xmax: 0.6)
        #expect(zip(b.flippedHorizontally.flippedHorizontally.values, b.values).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(b.flippedHorizontally.values.map { ($0 * 1e9).rounded() / 1e9 } == [0.1, 0.4, 0.5, 0.8])
        #expect(b.mapped(into: Rect2i(x: 0, y: 0, width: 10, height: 10), imageWidth: 10, imageHeight: 10) == b)
        #expect(b.mapped(into: Rect2i(x: 7, y: 0, width: 3, height: 10), imageWidth: 10, imageHeight: 10) == nil)
    }

    @Test func aFailingSampleThrowsAtItsBatchOnly() throws {
        let ds = RectangleDataset(count: 12, missingAt: 6)
        let loader = try DataLoader(dataset: ds, options: .init(batchSize: 4, imageSize: 16, workers: 3))
        let it = loader.batches(epoch: 0)
        let first = try it.nextBatch()
        #expect(first?.indices == [0, 1, 2, 3])
        let e = dataError { _ = try it.nextBatch() }
        #expect(e?.kind == .missingFile)
        #expect(e?.path == "/nonexistent/r6.png")
        #expect(try it.nextBatch()?.indices == [8, 9, 10, 11])
        #expect(try it.nextBatch() == nil)
        // Through the Sequence interface iteration stops and keeps the error.
        let seq = loader.batches(epoch: 0)
        var count = 0
        for _ in seq { count += 1 }
        #expect(count == 1)
        #expect(seq.error is DataError)
    }

    @Test func preprocessingClosureAndResizeOption() throws {
        let ds = RectangleDataset(count: 3)
        // The closure does the resizing itself (like Preprocessing.apply with resize: false).
        let preprocess: PreprocessFunction = { pixels, size in
            let chw = try pixels.to(.float32).permute([2, 0, 1]).unsqueeze(0)
            let resized = try Functional.interpolate(chw, size: (size, size), mode: .bilinear, alignCorners: false)
            return try resized[0] / 255.0
        }
        let loader = try DataLoader(dataset: ds, options: .init(batchSize: 3, imageSize: 20, resize: false), preprocess: preprocess)
        let batch = try loader.batch(epoch: 0, index: 0)
        #expect(batch.images.shape == [3, 3, 20, 20])
        let wrong: PreprocessFunction = { pixels, _ in try pixels.to(.float32) }
        let bad = try DataLoader(dataset: ds, options: .init(batchSize: 3, imageSize: 20), preprocess: wrong)
        let e = dataError { _ = try bad.batch(epoch: 0, index: 0) }
        #expect(e?.message.contains("expected [3, 20, 20]") == true)
    }

    @Test func cancellingStopsEarly() throws {
        let ds = try SyntheticDataset(config: SyntheticConfig(trainCount: 200, testCount: 1, size: 32), split: "train")
        let loader = try DataLoader(dataset: ds, options: .init(batchSize: 4, imageSize: 32, workers: 2, prefetch: 2))
        var it: BatchIterator? = loader.batches(epoch: 0)
        _ = try it?.nextBatch()
        it?.cancel()
        #expect(try it?.nextBatch() == nil)
        it = nil  // workers finish their current batch and exit
    }
}
