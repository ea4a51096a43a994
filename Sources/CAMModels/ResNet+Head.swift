import Torch

extension ResNet {
    /// Loads `state` strictly for everything but the head, which keeps its own (fresh) weights:
    /// the model's head entries replace any of the same name in `state`. For starting weights
    /// without a head, or with one for other classes (drop those keys first).
    public func loadStateDictKeepingHead(_ state: [String: Tensor], source: String) throws {
        var state = state
        for (k, t) in stateDict() where k.hasPrefix(spec.headName + ".") { state[k] = t }
        try loadStateDict(state, source: source)
    }
}
