import Foundation
import Torch

/// A `model.summary()`-style listing: each tappable layer, its output shape and its parameters.
public struct LayerSummary {
    public struct Row: Codable, Equatable {
        public let name: String
        /// Output shape in the layout's convention: Keras NHWC with a null batch, torchvision NCHW with -1.
        public let shape: [Int?]
        public let parameters: Int
    }

    public let rows: [Row]
    public let trainableParameters: Int
    /// BatchNorm moving statistics, which Keras counts as non-trainable parameters.
    public let nonTrainableParameters: Int

    public init(model: any Network, inputSize: Int) throws {
        let keras = model.shapeConvention == .keras
        rows = try model.layerShapes(inputSize: inputSize).map { name, shape in
            let counts = model.parameterCounts(ofLayer: name)
            var dims: [Int?] = shape.dropFirst().map { $0 }
            if keras && dims.count == 3 { dims = [dims[1], dims[2], dims[0]] }
            return Row(name: name, shape: [keras ? nil : -1] + dims, parameters: counts.trainable + (keras ? counts.nonTrainable : 0))
        }
        trainableParameters = model.parameterCount
        let statistics = model.namedBuffers().filter { !$0.0.hasSuffix("num_batches_tracked") }.reduce(0) { $0 + $1.1.count }
        nonTrainableParameters = keras ? statistics : 0
    }

    /// A fixed-width text table.
    public func table() -> String {
        func shapeText(_ s: [Int?]) -> String { "(" + s.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")" }
        let width = max(28, (rows.map(\.name.count).max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("Layer", width) + pad("Output shape", 26) + "Param #", String(repeating: "=", count: width + 36)]
        for r in rows { lines.append(pad(r.name, width) + pad(shapeText(r.shape), 26) + String(r.parameters)) }
        lines.append(String(repeating: "=", count: width + 36))
        lines.append("Total params: \(trainableParameters + nonTrainableParameters)")
        lines.append("Trainable params: \(trainableParameters)")
        lines.append("Non-trainable params: \(nonTrainableParameters)")
        return lines.joined(separator: "\n")
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }
}
