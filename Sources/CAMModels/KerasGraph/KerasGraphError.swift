import CAMCore

/// Why a Keras model could not be built as a graph network; each names the file and the layer.
public enum KerasGraphError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A layer class the importer does not build (`Lambda`, a custom class).
    case unsupportedLayer(file: String, layer: String, className: String, supported: [String])
    /// A supported layer with a configuration it cannot run.
    case badLayer(file: String, layer: String, className: String, detail: String)
    /// A weight the layer needs is not in the file.
    case missingWeight(file: String, layer: String, weight: String, present: [String])
    /// A weight of the wrong shape.
    case wrongShape(file: String, layer: String, weight: String, shape: [Int], expected: String)
    /// The model config itself is unusable (no layers, a dangling input, several inputs).
    case badConfig(file: String, detail: String)

    public var description: String {
        switch self {
        case let .unsupportedLayer(file, layer, className, _):
            return "\(file): layer '\(layer)' is a \(className), which CAMKit cannot run"
                + (className == "Lambda"
                    ? " (a Lambda holds Python code; rebuild the model with standard layers)" : " (a custom or unknown layer class)")
                + "; supported layers: see `camkit layers --help`"
        case let .badLayer(file, layer, className, detail):
            return "\(file): layer '\(layer)' (\(className)): \(detail)"
        case let .missingWeight(file, layer, weight, present):
            return "\(file): layer '\(layer)' has no weight '\(weight)'"
                + (present.isEmpty ? " (it has no weights)" : " (it has \(present.joined(separator: ", ")))")
        case let .wrongShape(file, layer, weight, shape, expected):
            return "\(file): layer '\(layer)' weight '\(weight)' has shape \(shape), expected \(expected)"
        case let .badConfig(file, detail):
            return "\(file): \(detail)"
        }
    }
}

extension KerasGraphError: UserFacingError {
    public var errorKind: ErrorKind { .badInput }
    public var errorCode: String {
        switch self {
        case .unsupportedLayer: "unsupported_layer"
        case .badLayer: "unsupported_layer_config"
        case .missingWeight: "missing_weight"
        case .wrongShape: "wrong_weight_shape"
        case .badConfig: "bad_model_config"
        }
    }
    public var validValues: [String]? {
        if case .unsupportedLayer(_, _, _, let supported) = self { return supported }
        return nil
    }
}
