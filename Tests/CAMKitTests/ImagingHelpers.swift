import Foundation
import TestSupport
import CAMKit

/// Fixtures made by tools/make_imaging_fixtures.py (OpenCV 4.6 in Python).
enum ImagingFixture {
    static func url(_ name: String) -> URL { Fixtures.url("imaging/\(name)") }

    static func npy(_ name: String) throws -> NPYArray { try NPY.read(contentsOf: url(name)) }

    /// A uint8 array as an image (H x W gray or H x W x C).
    static func image(_ name: String) throws -> Image { try Image(npy: npy(name)) }

    /// A float array as a map.
    static func map(_ name: String) throws -> FloatMap { try FloatMap(npy: npy(name)) }

    /// Slice `index` of a stacked uint8 array (N x H x W [x C]).
    static func image(_ name: String, index: Int) throws -> Image {
        let a = try npy(name)
        let s = Array(a.shape.dropFirst())
        let n = s.reduce(1, *)
        let bytes = a.data.subdata(in: (index * n)..<((index + 1) * n))
        return try Image(npy: NPYArray(dtype: .uint8, shape: s, data: bytes))
    }

    /// Slice `index` of a stacked float32 array (N x H x W).
    static func map(_ name: String, index: Int) throws -> FloatMap {
        let a = try npy(name)
        let s = Array(a.shape.dropFirst())
        let n = s.reduce(1, *)
        let v = try a.scalars(as: Float.self)
        return try FloatMap(width: s[1], height: s[0], values: Array(v[(index * n)..<((index + 1) * n)]))
    }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static var expected: [String: Any] { get throws { try json("expected.json") } }
}

/// Largest absolute difference between two images' samples (Int.max when shapes differ).
func maxSampleDifference(_ a: Image, _ b: Image) -> Int {
    guard a.width == b.width, a.height == b.height, a.channels == b.channels else { return Int.max }
    var worst = 0
    for i in a.pixels.indices { worst = max(worst, abs(Int(a.pixels[i]) - Int(b.pixels[i]))) }
    return worst
}

/// `[[x, y], ...]` from JSON as points.
func jsonPoints2i(_ any: Any) -> [Point2i] {
    (any as! [[Any]]).map { Point2i(($0[0] as! NSNumber).intValue, ($0[1] as! NSNumber).intValue) }
}

func jsonPoints2f(_ any: Any) -> [Point2f] {
    (any as! [[Any]]).map { Point2f(($0[0] as! NSNumber).floatValue, ($0[1] as! NSNumber).floatValue) }
}

func jsonFloats(_ any: Any) -> [Float] { (any as! [Any]).map { ($0 as! NSNumber).floatValue } }
func jsonInts(_ any: Any) -> [Int] { (any as! [Any]).map { ($0 as! NSNumber).intValue } }

func jsonRotatedRect(_ any: Any) -> RotatedRect {
    let v = jsonFloats(any)
    return RotatedRect(center: Point2f(v[0], v[1]), width: v[2], height: v[3], angle: v[4])
}
