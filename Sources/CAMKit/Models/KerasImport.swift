import Foundation
import Torch

/// Builds Keras-layout ResNets from Keras `.h5` files.
public enum KerasImport {
    public static func load(_ url: URL, arch: String?, classes: Int?) throws -> LoadedModel {
        throw ModelError.incompatibleWeights(file: url.path, reason: "Keras import is not available yet")
    }
}
