import Foundation
import SwiftProtobuf
import CAMImaging

/// Which `tf.train.Example` features hold the image, the label, the boxes and the id.
///
/// The defaults are tfds' flattened feature names for Cars196 (`image`, `label`, `bbox`, `id`);
/// `objectDetection` names the TF object-detection API layout.
public struct ExampleFeatureNames: Sendable, Hashable {
    /// How the boxes are stored.
    public enum Boxes: Sendable, Hashable {
        /// One float list of `4 * n` values, box after box in `[ymin, xmin, ymax, xmax]` order:
        /// tfds' `BBoxFeature` (n = 1) and `Sequence(BBoxFeature())` (any n).
        case packed(String)
        /// Four float lists of n values each (`image/object/bbox/ymin` ...).
        case components(ymin: String, xmin: String, ymax: String, xmax: String)
        /// The records carry no boxes.
        case none
    }

    /// Bytes feature with the encoded image (JPEG, PNG, ...).
    public var image: String
    /// Int64 feature with the class index (the first value when there are several).
    public var label: String
    public var boxes: Boxes
    /// Bytes feature with the sample id; when nil or absent the id is `"<split>/<index>"`.
    public var id: String?

    public init(image: String = "image", label: String = "label", boxes: Boxes = .packed("bbox"), id: String? = "id") {
        self.image = image
        self.label = label
        self.boxes = boxes
        self.id = id
    }

    /// tfds' Cars196 layout: `image`, `label`, `bbox`, `id`.
    public static let tfds = ExampleFeatureNames()

    /// The TF object-detection API layout (`image/encoded`, `image/object/class/label`,
    /// `image/object/bbox/{ymin,xmin,ymax,xmax}`, `image/filename`).
    public static let objectDetection = ExampleFeatureNames(
        image: "image/encoded", label: "image/object/class/label",
        boxes: .components(
            ymin: "image/object/bbox/ymin", xmin: "image/object/bbox/xmin",
            ymax: "image/object/bbox/ymax", xmax: "image/object/bbox/xmax"),
        id: "image/filename")
}

/// The fields of one decoded `tf.train.Example`.
public struct ExampleRecord: Sendable {
    public var image: Data
    public var label: Int
    public var boxes: [BoundingBox]
    public var id: String?
}

extension ExampleRecord {
    /// Decodes a serialized `tf.train.Example` and pulls out the named features.
    /// Errors (not a protobuf, missing feature, wrong kind, bad box) name `path` and `record`.
    public init(serialized data: Data, names: ExampleFeatureNames, path: String, record: Int) throws {
        let example: TFExample
        do {
            example = try TFExample(serializedBytes: data)
        } catch {
            throw DataError(.corruptRecord, "not a tf.train.Example: \(error)", path: path, record: record)
        }
        let features = example.features.feature
        func fail(_ message: String) -> DataError { DataError(.corruptRecord, message, path: path, record: record) }
        func feature(_ name: String) throws -> TFFeature {
            guard let f = features[name] else {
                let known = features.keys.sorted().joined(separator: ", ")
                throw fail("feature '\(name)' is missing (the record has: \(known.isEmpty ? "no features" : known))")
            }
            return f
        }
        func floats(_ name: String) throws -> [Float] {
            let f = try feature(name)
            guard case .floatList(let list)? = f.kind else { throw fail("feature '\(name)' is \(Self.kindName(f)), expected a float list") }
            return list.value
        }

        let imageFeature = try feature(names.image)
        guard case .bytesList(let imageList)? = imageFeature.kind else {
            throw fail("feature '\(names.image)' is \(Self.kindName(imageFeature)), expected a bytes list")
        }
        guard let image = imageList.value.first, !image.isEmpty else {
            throw fail("feature '\(names.image)' holds no image bytes")
        }

        let labelFeature = try feature(names.label)
        guard case .int64List(let labelList)? = labelFeature.kind else {
            throw fail("feature '\(names.label)' is \(Self.kindName(labelFeature)), expected an int64 list")
        }
        guard let label = labelList.value.first else { throw fail("feature '\(names.label)' is empty") }

        var boxes: [BoundingBox] = []
        switch names.boxes {
        case .none:
            break
        case .packed(let name):
            if features[name] != nil {
                let v = try floats(name)
                guard v.count % 4 == 0 else {
                    throw fail("feature '\(name)' has \(v.count) values; boxes need a multiple of 4 ([ymin, xmin, ymax, xmax] each)")
                }
                for k in stride(from: 0, to: v.count, by: 4) {
                    boxes.append(BoundingBox(ymin: Double(v[k]), xmin: Double(v[k + 1]), ymax: Double(v[k + 2]), xmax: Double(v[k + 3])))
                }
            }
        case .components(let ymin, let xmin, let ymax, let xmax):
            if features[ymin] != nil || features[xmin] != nil || features[ymax] != nil || features[xmax] != nil {
                let ys = try floats(ymin), xs = try floats(xmin), ye = try floats(ymax), xe = try floats(xmax)
                guard ys.count == xs.count, xs.count == ye.count, ye.count == xe.count else {
                    throw fail("box coordinate lists differ in length (\(ys.count), \(xs.count), \(ye.count), \(xe.count))")
                }
                for k in ys.indices {
                    boxes.append(BoundingBox(ymin: Double(ys[k]), xmin: Double(xs[k]), ymax: Double(ye[k]), xmax: Double(xe[k])))
                }
            }
        }
        for (k, b) in boxes.enumerated() where !b.isValid(tolerance: 1e-4) {
            throw DataError(
                .badAnnotation, "box \(k) \(b) is outside the image or inverted (normalised boxes need 0 <= min <= max <= 1)",
                path: path, record: record)
        }

        var id: String?
        if let idName = names.id, let f = features[idName] {
            guard case .bytesList(let list)? = f.kind, let first = list.value.first else {
                throw fail("feature '\(idName)' is \(Self.kindName(f)), expected a bytes list")
            }
            id = String(decoding: first, as: UTF8.self)
        }
        guard label >= Int64(Int32.min), label <= Int64(Int32.max) else { throw fail("label \(label) is out of range") }
        self.init(image: image, label: Int(label), boxes: boxes.map { $0.clamped }, id: id)
    }

    private static func kindName(_ f: TFFeature) -> String {
        switch f.kind {
        case .bytesList?: "a bytes list"
        case .floatList?: "a float list"
        case .int64List?: "an int64 list"
        case nil: "empty"
        }
    }
}
