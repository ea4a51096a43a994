import Foundation
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

/// Fixtures made by tools/make_localize_fixtures.py (OpenCV 4.6 + NumPy in Python).
enum LocalizeFixture {
    static func url(_ name: String) -> URL { Fixtures.url("localize/\(name)") }

    /// The JSON file as `[String: Any]` with numbers as exact doubles (`JSONSerialization` on
    /// Linux reads them as `NSDecimalNumber`, whose `doubleValue` is not always the nearest double).
    static func json(_ name: String) throws -> [String: Any] {
        try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url(name))).any as! [String: Any]
    }

    nonisolated(unsafe) static let expected: [String: Any] = try! json("expected.json")

    /// A special map (float32 .npy).
    static func special(_ name: String) throws -> FloatMap {
        try FloatMap(npy: NPY.read(contentsOf: url("special/\(name).npy")))
    }

    /// The 200 random maps (float16 stacked N x H x W), as double-precision score maps.
    static let randomMaps: [ScoreMap] = {
        let a = try! NPY.read(contentsOf: url("random_maps.npy"))
        let (n, h, w) = (a.shape[0], a.shape[1], a.shape[2])
        let v = a.floatValues()
        return (0..<n).map { i in try! ScoreMap(width: w, height: h, values: v[(i * h * w)..<((i + 1) * h * w)].map(Double.init)) }
    }()

    struct SampleInfo {
        let id: String
        let width: Int
        let height: Int
        let boxes: [PixelBox]
        let label: Int
        let predictions: [Int]
        var truth: GroundTruth {
            GroundTruth(
                boxes: boxes.map {
                    BoundingBox(
                        ymin: Double($0.y0) / Double(height), xmin: Double($0.x0) / Double(width),
                        ymax: Double($0.y1) / Double(height), xmax: Double($0.x1) / Double(width))
                }, imageWidth: width, imageHeight: height)
        }
    }

    static let samples: [SampleInfo] = {
        let j = try! json("samples.json")
        return (j["samples"] as! [[String: Any]]).map { s in
            SampleInfo(
                id: s["id"] as! String, width: int(s["width"]!), height: int(s["height"]!),
                boxes: (s["boxes"] as! [[Any]]).map { b in PixelBox(x0: int(b[0]), y0: int(b[1]), x1: int(b[2]), y1: int(b[3])) },
                label: int(s["label"]!), predictions: (s["predictions"] as! [Any]).map(int))
        }
    }()
}

func int(_ any: Any) -> Int { (any as! NSNumber).intValue }
func double(_ any: Any) -> Double { (any as! NSNumber).doubleValue }
func doubles(_ any: Any) -> [Double] { (any as! [Any]).map(double) }

/// The components of `mask` by breadth-first flood fill (8-connectivity): an independent
/// reference for the union-find. Each component's inclusive box, pixel count and first raster pixel.
func floodFillComponents(_ mask: [Bool], width: Int, height: Int) -> [ComponentStats] {
    var seen = [Bool](repeating: false, count: mask.count)
    var out: [ComponentStats] = []
    var queue = [Int]()
    for start in mask.indices where mask[start] && !seen[start] {
        seen[start] = true
        queue.removeAll(keepingCapacity: true)
        queue.append(start)
        var head = 0
        var box = PixelBox(x0: start % width, y0: start / width, x1: start % width, y1: start / width)
        while head < queue.count {
            let p = queue[head]; head += 1
            let x = p % width, y = p / width
            box.x0 = min(box.x0, x); box.x1 = max(box.x1, x); box.y0 = min(box.y0, y); box.y1 = max(box.y1, y)
            for dy in -1...1 {
                for dx in -1...1 where dx != 0 || dy != 0 {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                    let q = ny * width + nx
                    if mask[q] && !seen[q] { seen[q] = true; queue.append(q) }
                }
            }
        }
        out.append(ComponentStats(box: box, pixelCount: queue.count, firstPixel: start))
    }
    return out
}

/// A JSON document decoded with `JSONDecoder` (exact doubles).
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    var any: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let d): return NSNumber(value: d)
        case .string(let s): return s
        case .array(let a): return a.map(\.any)
        case .object(let o): return o.mapValues(\.any)
        }
    }
}
