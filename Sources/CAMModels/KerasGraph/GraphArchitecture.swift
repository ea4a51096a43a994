import CAMFormats

/// What a graph network is rebuilt from: the source model's own configuration. A checkpoint of a
/// graph network stores it (in `ModelInfo.graph`) next to the weights, so that the checkpoint
/// alone opens the model.
public struct GraphArchitecture: Codable, Sendable, Equatable {
    /// The framework the configuration comes from (`keras`).
    public var format: String
    /// The Keras major version whose semantics the configuration has (2 or 3).
    public var kerasMajor: Int
    /// The model's `{"class_name", "config"}` as Keras writes it (`model_config`, `config.json`).
    public var config: KerasJSON

    public init(kerasMajor: Int, config: KerasJSON) {
        format = "keras"
        self.kerasMajor = kerasMajor
        self.config = config
    }
}
