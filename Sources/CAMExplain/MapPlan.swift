import CAMModels

/// Which method/layer pairs an explanation makes: every method at every layer, except CAM, which
/// is defined only at the layer feeding global average pooling. Among several layers that include
/// that one, CAM is made there only and its other pairs are `skipped`; without it, asking for CAM
/// is an error. The one place this rule lives (the explainer, evaluation and the server ask it).
public struct MapPlan: Sendable {
    /// The pairs to make, methods outer, layers inner, in the order asked.
    public let pairs: [(method: CAMMethod, layer: String)]
    public let skipped: [SkippedPair]

    /// `camOnlyAtLastLayer` false: CAM at any other layer is an error even when the last is asked.
    /// `camUnavailable`: why the network has no GAP + linear head, making CAM an error at any layer.
    public init(
        methods: [CAMMethod], layers: [String], lastLayer last: String, camOnlyAtLastLayer: Bool = true, camUnavailable: String? = nil
    ) throws {
        if methods.contains(.cam), let reason = camUnavailable { throw ExplainError.camUnavailable(reason: reason) }
        if methods.contains(.cam), let other = layers.first(where: { $0 != last }),
            !(camOnlyAtLastLayer && layers.contains(last))
        {
            throw ExplainError.camNeedsLastLayer(layer: other, lastLayer: last)
        }
        pairs = methods.flatMap { m in layers.compactMap { l in m == .cam && l != last ? nil : (m, l) } }
        skipped =
            methods.contains(.cam)
            ? layers.filter { $0 != last }.map {
                SkippedPair(
                    method: CAMMethod.cam.rawValue, layer: $0,
                    reason: "CAM is defined only at the layer feeding global average pooling ('\(last)')")
            } : []
    }

    /// The plan for `network`: CAM at the layer feeding its GAP + linear head, an error without one.
    public init(methods: [CAMMethod], layers: [String], for network: any Network, camOnlyAtLastLayer: Bool = true) throws {
        let head = network.camHead
        try self.init(
            methods: methods, layers: layers, lastLayer: head?.featureLayer ?? network.lastFeatureLayer,
            camOnlyAtLastLayer: camOnlyAtLastLayer, camUnavailable: head == nil ? network.camUnavailableDescription : nil)
    }
}
