import Foundation
import Torch
import CAMModels
import CAMData

/// One perturbed copy of an image: which image, which class is read, and how it is made.
struct Perturbation: Sendable {
    enum Kind: Sendable {
        /// The image multiplied by the map (drop, increase).
        case multiply
        /// ROAD: the image with the pixels not kept at one percentile imputed.
        case road(ROADOrder, percentile: Int)
        /// Deletion: the `count` most relevant pixels set to the baseline.
        case deletion(count: Int)
        /// Insertion: the baseline with the `count` most relevant pixels restored.
        case insertion(count: Int)
    }
    let map: Int
    let kind: Kind
}

/// What the perturbations are made from, read by many threads at once (never written while scoring).
final class PerturbationSource: @unchecked Sendable {
    let input: [Float]
    let channels: Int, height: Int, width: Int
    let maps: [FaithfulnessMap]
    let settings: FaithfulnessSettings
    /// ROAD thresholds per map, order and percentile (empty when ROAD is not asked for).
    let thresholds: [[[Float]]]
    /// Pixels per map from the most to the least relevant, ties in raster order (deletion, insertion).
    let rankings: [[Int32]]

    var plane: Int { height * width }
    var imageSize: Int { channels * plane }

    init(input: [Float], shape: [Int], maps: [FaithfulnessMap], settings: FaithfulnessSettings, road: Bool, ranks: Bool) {
        self.input = input
        channels = shape[1]
        height = shape[2]
        width = shape[3]
        self.maps = maps
        self.settings = settings
        thresholds =
            road
            ? maps.map { map in
                ROADOrder.allCases.map { order in
                    let sorted = ROADMasks.ranked(map.values, order: order).sorted()
                    return settings.percentiles.map { ROADMasks.percentile(sorted: sorted, $0) }
                }
            } : []
        rankings = ranks ? maps.map { Self.ranking($0.values) } : []
    }

    /// torchcam's `argsort(cam, descending=True, stable=True)`.
    static func ranking(_ values: [Float]) -> [Int32] {
        values.indices.map(Int32.init).sorted { a, b in
            let va = values[Int(a)], vb = values[Int(b)]
            return va > vb || (va == vb && a < b)
        }
    }

    /// Writes the perturbed image of `job` (C×H×W) into `out`.
    func fill(_ job: Perturbation, into out: UnsafeMutableBufferPointer<Float>) throws {
        let map = maps[job.map]
        try input.withUnsafeBufferPointer { all in
            let image = UnsafeBufferPointer(rebasing: all[(map.image * imageSize)..<((map.image + 1) * imageSize)])
            switch job.kind {
            case .multiply:
                map.values.withUnsafeBufferPointer { m in
                    for c in 0..<channels {
                        let base = c * plane
                        for p in 0..<plane { out[base + p] = image[base + p] * m[p] }
                    }
                }
            case let .road(order, j):
                let threshold = thresholds[job.map][order.rawValue][j]
                let ranked = ROADMasks.ranked(map.values, order: order)
                let known = ranked.map { $0 < threshold ? UInt8(1) : 0 }
                let p = settings.percentiles[j]
                var rng = SplitMix64(seed: settings.seed, keys: map.noiseKey, UInt64(order.rawValue), p.bitPattern)
                try NoisyLinearImputer.impute(
                    image, channels: channels, height: height, width: width, known: known,
                    noise: Float(settings.imputationNoise), rng: &rng, into: out,
                    source:
                        "map '\(map.source)', \(order == .mostRelevantFirst ? "road-morf" : "road-lerf") at percentile \(FaithfulnessSettings.key(p))"
                )
            case let .deletion(count):
                _ = out.update(fromContentsOf: image)
                for r in 0..<count {
                    let p = Int(rankings[job.map][r])
                    for c in 0..<channels { out[c * plane + p] = 0 }
                }
            case let .insertion(count):
                out.update(repeating: 0)
                for r in 0..<count {
                    let p = Int(rankings[job.map][r])
                    for c in 0..<channels { out[c * plane + p] = image[c * plane + p] }
                }
            }
        }
    }
}

/// Scores perturbed copies in forward passes of `batchSize` images, inference mode, no backward:
/// the softmax probability of each job's class. Within a batch the copies are made on all cores.
struct PerturbedScoring {
    let model: any Network
    let source: PerturbationSource
    let batchSize: Int
    var progress: ((Int, Int) -> Void)?

    func scores(_ jobs: [Perturbation]) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(jobs.count)
        let size = source.imageSize
        for start in stride(from: 0, to: jobs.count, by: batchSize) {
            let chunk = Array(jobs[start..<min(jobs.count, start + batchSize)])
            var buffer = [Float](repeating: 0, count: chunk.count * size)
            try buffer.withUnsafeMutableBufferPointer { buf in
                let failures = Failures(chunk.count)
                let base = SharedPointer(base: buf.baseAddress!)
                let source = source
                DispatchQueue.concurrentPerform(iterations: chunk.count) { i in
                    let slice = UnsafeMutableBufferPointer(start: base.base + i * size, count: size)
                    do { try source.fill(chunk[i], into: slice) } catch { failures.record(i, error) }
                }
                if let error = failures.first { throw error }
            }
            let x = try Tensor(buffer, shape: [chunk.count, source.channels, source.height, source.width])
            let classes = try Tensor(chunk.map { Int64(source.maps[$0.map].classIndex) }, shape: [chunk.count, 1])
            let probabilities = try withInferenceMode { try Functional.softmax(model(x), dim: 1) }
            out += try probabilities.gather(dim: 1, index: classes).floats()
            progress?(out.count, jobs.count)
        }
        return out
    }
}

/// A buffer's base address, shared by the threads that fill disjoint slices of it.
private struct SharedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// The errors of concurrent work, by position; the first in order wins.
private final class Failures: @unchecked Sendable {
    private var errors: [Error?]
    private let lock = NSLock()
    init(_ n: Int) { errors = Array(repeating: nil, count: n) }
    func record(_ i: Int, _ error: Error) {
        lock.lock()
        errors[i] = error
        lock.unlock()
    }
    var first: Error? { errors.lazy.compactMap { $0 }.first }
}
