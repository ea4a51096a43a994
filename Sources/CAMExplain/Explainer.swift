import Torch
import CAMModels

/// One map: an image, a method, a layer and a class.
public struct ClassActivationMap {
    public let image: Int
    public let method: CAMMethod
    public let layer: String
    public let classIndex: Int
    /// The map at feature resolution [h, w], before ReLU and normalisation.
    public let raw: Tensor
}

/// A method/layer pair that was asked for and not computed, and why.
public struct SkippedPair: Codable, Sendable, Equatable {
    public var method: String
    public var layer: String
    public var reason: String
}

/// One class with its score (`explain.json`'s `top5`, the API's `predictions`).
public struct ClassScore: Codable, Sendable, Equatable {
    public var classIndex: Int
    public var name: String
    public var probability: Double
    public var logit: Double
    enum CodingKeys: String, CodingKey { case classIndex = "class", name, probability, logit }

    /// The name of class `c`: `names[c]`, or `class_<c>` past the end of `names`.
    public static func name(_ c: Int, in names: [String]) -> String { c >= 0 && c < names.count ? names[c] : "class_\(c)" }
}

/// The result of `Explainer.explain`: the network's outputs and every requested map.
public struct Explanation {
    /// [N, classes] head outputs before any softmax.
    public let logits: Tensor
    /// [N, classes] softmax of `logits`.
    public let probabilities: Tensor
    /// The explained classes of each image.
    public let targets: [[Int]]
    public let maps: [ClassActivationMap]
    /// Method/layer pairs asked for and not computed, and why (CAM at layers other than the one
    /// feeding global average pooling, when that one was asked too).
    public let skipped: [SkippedPair]

    /// The `k` most probable classes of image `image`, most probable first (ties: lower index
    /// first), named from `names` (`class_<i>` past its end).
    public func topClasses(image: Int, k: Int = 5, names: [String]) throws -> [ClassScore] {
        let p = try probabilities[image].to(.float32).scalars(as: Float.self)
        let l = try logits[image].to(.float32).scalars(as: Float.self)
        let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
        return order.prefix(Swift.max(0, k)).map { c in
            ClassScore(classIndex: c, name: ClassScore.name(c, in: names), probability: Double(p[c]), logit: Double(l[c]))
        }
    }

    /// The map for one combination, if it was requested.
    public func map(image: Int, method: CAMMethod, layer: String, classIndex: Int) -> ClassActivationMap? {
        maps.first { $0.image == image && $0.method == method && $0.layer == layer && $0.classIndex == classIndex }
    }
}

/// Computes class activation maps for any `Network` (a ResNet, a Keras graph).
///
/// One forward pass serves every method and layer; all gradient methods and layers share one
/// backward per target rank that stops at the earliest requested layer and never reaches the
/// parameters. At the layer that feeds global average pooling the gradient is closed form
/// (head weight / hw for a logit), so no backward is needed there.
///
/// Every method follows pytorch-grad-cam's arithmetic (eps values included; Eigen-CAM up to sign),
/// which is the papers' where they are precise; `scoreCAMMasking` and `MapNormalization.minMax`
/// reproduce torchcam where it differs (not its Grad-CAM++: see `ChannelWeighting.gradCAMPlusPlus`).
/// Tests/CAMKitTests/ExplainParityTests.swift checks both against the libraries.
///
/// ```swift
/// let explainer = Explainer(model: model)
/// let e = try explainer.explain(batch, methods: [.cam, .gradCAM],
///                               layers: ["conv4_block3_out", "conv5_block3_out"], targets: .predicted)
/// ```
public final class Explainer {
    public let model: any Network
    /// Images per masked forward pass in Score-CAM.
    public var scoreCAMBatchSize = 32
    /// How Score-CAM builds its masks: pytorch-grad-cam's order (the default, the paper's) or torchcam's.
    public var scoreCAMMasking: ScoreCAMMasking = .upsampleThenScale

    public init(model: any Network) {
        self.model = model
    }

    /// Explains a preprocessed NCHW batch.
    ///
    /// CAM is defined only at the layer feeding the GAP + linear head (`model.camHead`), and is an
    /// error for a network without one. With `camOnlyAtLastLayer` (the default) and
    /// the last layer among `layers`, CAM is computed there only and its other pairs are left out
    /// (the tutorial's "CAM, and Grad-CAM at three layers" in one request); otherwise asking for CAM
    /// at another layer is an error.
    public func explain(
        _ batch: Tensor, methods: [CAMMethod], layers: [String], targets: TargetSelection = .predicted,
        score: ScoreKind = .logit, camOnlyAtLastLayer: Bool = true
    ) throws -> Explanation {
        guard !methods.isEmpty, !layers.isEmpty else { throw ExplainError.invalidRequest("at least one method and one layer are needed") }
        let valid = try model.layerNames
        let unknown = layers.filter { !valid.contains($0) }
        guard unknown.isEmpty else { throw UnknownLayerError(unknown: unknown, valid: valid) }
        let head = model.camHead
        let plan = try MapPlan(methods: methods, layers: layers, for: model, camOnlyAtLastLayer: camOnlyAtLastLayer)

        // Layers whose gradients need a real backward: every gradient layer except the one feeding
        // the GAP + linear head, where the gradient is closed form.
        let needsBackward = methods.contains { $0.needsGradients } ? layers.filter { $0 != head?.featureLayer } : []
        let earliest = valid.first { needsBackward.contains($0) }
        let taps = Array(Set(layers))
        let (logits, activations) = try forward(batch, taps: taps, gradientsFrom: earliest)
        try Self.requireFinite(logits)
        if let flat = layers.first(where: { activations[$0]!.rank != 4 }) {
            throw ExplainError.notSpatial(layer: flat, shape: activations[flat]!.shape)
        }
        let probabilities = try withNoGrad { try Functional.softmax(logits.detach(), dim: 1) }
        let targetMatrix = try resolveTargets(targets, probabilities: probabilities)
        let n = batch.shape[0]
        let ranks = targetMatrix.first?.count ?? 0

        var maps: [ClassActivationMap] = []
        for rank in 0..<ranks {
            let classes = targetMatrix.map { $0[rank] }
            let classTensor = try Tensor(classes.map(Int64.init), shape: [n, 1])
            var gradients: [String: Tensor] = [:]
            if !needsBackward.isEmpty {
                // Grad mode on whatever the caller's mode, so that the softmax and gather are recorded.
                let grads = try withGrad {
                    let scores = score == .logit ? logits : try Functional.softmax(logits, dim: 1)
                    let objective = try scores.gather(dim: 1, index: classTensor).sum()
                    let inputs = needsBackward.map { activations[$0]! }
                    return try Autograd.gradients(of: [objective], wrt: inputs, retainGraph: rank < ranks - 1)
                }
                for (name, g) in zip(needsBackward, grads) { gradients[name] = g }
            }
            try withNoGrad {
                for layer in layers {
                    let a = try activations[layer]!.detach()
                    for method in methods where plan.pairs.contains(where: { $0.method == method && $0.layer == layer }) {
                        let raw = try rawMaps(
                            method, layer: layer, activations: a, gradient: gradients[layer],
                            classes: classTensor, probabilities: probabilities, batch: batch, score: score)
                        for i in 0..<n {
                            maps.append(ClassActivationMap(image: i, method: method, layer: layer, classIndex: classes[i], raw: try raw[i]))
                        }
                    }
                }
            }
        }
        return Explanation(
            logits: try logits.detach(), probabilities: probabilities, targets: targetMatrix, maps: maps,
            skipped: plan.skipped)
    }

    /// CAM for every class at once: [N, classes, h, w] from one matmul with the head weights.
    public func camForAllClasses(_ batch: Tensor) throws -> (logits: Tensor, maps: Tensor) {
        let head = try camHead()
        return try withInferenceMode {
            let out = try model.forward(batch, tapping: [head.featureLayer], gradientsFrom: nil)
            try Self.requireFinite(out.logits)
            let a = out.activations[head.featureLayer]!
            let s = a.shape
            let maps = try head.weight.matmul(a.reshape([s[0], s[1], s[2] * s[3]]))
            return (out.logits, try maps.reshape([s[0], model.classes, s[2], s[3]]))
        }
    }

    // MARK: internals

    /// Throws `ExplainError.nonFiniteLogits` when any image's scores hold NaN or infinity: no class,
    /// map or JSON number made from them would mean anything.
    static func requireFinite(_ logits: Tensor) throws {
        let scores = try logits.detach().to(.float32).scalars(as: Float.self)
        let perImage = Swift.max(1, logits.shape.dropFirst().reduce(1, *))
        let broken = stride(from: 0, to: scores.count, by: perImage).enumerated().compactMap { image, start in
            scores[start..<Swift.min(start + perImage, scores.count)].allSatisfy(\.isFinite) ? nil : image
        }
        if !broken.isEmpty { throw ExplainError.nonFiniteLogits(images: broken) }
    }

    /// The GAP + linear head, or the error saying why CAM is unavailable.
    private func camHead() throws -> CAMHead {
        guard let head = model.camHead else {
            throw ExplainError.camUnavailable(reason: model.camUnavailableDescription)
        }
        return head
    }

    /// The forward pass: inference mode when no backward is needed; otherwise autograd from
    /// `gradientsFrom` on, with the parameters frozen so that nothing is recorded for them.
    private func forward(_ batch: Tensor, taps: [String], gradientsFrom: String?) throws -> (Tensor, [String: Tensor]) {
        guard let gradientsFrom else {
            return try withInferenceMode {
                let out = try model.forward(batch, tapping: taps, gradientsFrom: nil)
                return (out.logits, out.activations)
            }
        }
        let parameters = model.parameters()
        let trainable = parameters.map(\.requiresGrad)
        for p in parameters { try p.requiringGrad(false) }
        defer { for (p, flag) in zip(parameters, trainable) { _ = try? p.requiringGrad(flag) } }
        return try withGrad {
            let out = try model.forward(batch, tapping: taps, gradientsFrom: gradientsFrom)
            return (out.logits, out.activations)
        }
    }

    /// The classes each image is explained for under `selection`, given the batch's [N, classes]
    /// probabilities (`.predicted`: the argmax); classes out of range are errors.
    public func resolveTargets(_ selection: TargetSelection, probabilities: Tensor) throws -> [[Int]] {
        let n = probabilities.shape[0], classes = model.classes
        func checked(_ c: Int) throws -> Int {
            guard (0..<classes).contains(c) else { throw ExplainError.classOutOfRange(c, classes: classes) }
            return c
        }
        switch selection {
        case .predicted:
            return try probabilities.argmax(dim: 1).scalars(as: Int64.self).map { [Int($0)] }
        case let .topK(k):
            guard k >= 1, k <= classes else { throw ExplainError.invalidRequest("top-k needs 1 <= k <= \(classes)") }
            let idx = try probabilities.topk(k, dim: 1).indices.scalars(as: Int64.self).map(Int.init)
            return (0..<n).map { Array(idx[$0 * k..<($0 + 1) * k]) }
        case let .classes(list):
            guard !list.isEmpty else { throw ExplainError.invalidRequest("no classes given") }
            let checkedList = try list.map(checked)
            return Array(repeating: checkedList, count: n)
        case let .perImage(list):
            guard list.count == n else { throw ExplainError.invalidRequest("\(list.count) classes given for \(n) images") }
            return try list.map { [try checked($0)] }
        }
    }

    /// The gradient of the score at the layer feeding global average pooling, in closed form: [N, C, 1, 1].
    private func closedFormGradient(classes: Tensor, probabilities: Tensor, spatial: Int, score: ScoreKind) throws -> Tensor {
        let w = try camHead().weight.detach()  // [K, C]
        let wc = try w.indexSelect(dim: 0, index: classes.flatten())  // [N, C]
        var g = wc
        if score == .softmax {
            let pc = try probabilities.gather(dim: 1, index: classes)  // [N, 1]
            let expected = try probabilities.matmul(w)  // [N, C] = Σ_j p_j W_j
            g = try pc * (wc - expected)
        }
        return try (g / Double(spatial)).unsqueeze(2).unsqueeze(3)
    }

    private func rawMaps(
        _ method: CAMMethod, layer: String, activations a: Tensor, gradient: Tensor?, classes: Tensor,
        probabilities: Tensor, batch: Tensor, score: ScoreKind
    ) throws -> Tensor {
        let s = a.shape
        func grad() throws -> Tensor {
            if let gradient { return gradient }
            let g = try closedFormGradient(classes: classes, probabilities: probabilities, spatial: s[2] * s[3], score: score)
            return try g.expand(s)
        }
        switch method {
        case .cam:
            let weights = try camHead().weight.detach().indexSelect(dim: 0, index: classes.flatten())
            return try ChannelWeighting.weightedSum(a, weights: weights)
        case .gradCAM: return try ChannelWeighting.gradCAM(a, grad())
        case .gradCAMPlusPlus: return try ChannelWeighting.gradCAMPlusPlus(a, grad())
        case .xGradCAM: return try ChannelWeighting.xGradCAM(a, grad())
        case .layerCAM: return try ChannelWeighting.layerCAM(a, grad())
        case .hiResCAM: return try ChannelWeighting.hiResCAM(a, grad())
        case .eigenCAM: return try ChannelWeighting.eigenCAM(a)
        case .scoreCAM: return try scoreCAM(a, classes: classes, batch: batch, score: score)
        }
    }

    /// Score-CAM: each channel, upsampled and min-max scaled (in the order `scoreCAMMasking` says),
    /// masks the input; the target's score on each masked image, softmaxed over channels, weights the channels.
    private func scoreCAM(_ a: Tensor, classes: Tensor, batch: Tensor, score: ScoreKind) throws -> Tensor {
        let s = a.shape, size = (batch.shape[2], batch.shape[3])
        let classList = try classes.flatten().scalars(as: Int64.self)
        /// Per-channel min-max of [C, h, w] to [0, 1], with both peers' eps.
        func scaled(_ x: Tensor) throws -> Tensor {
            let lo = try x.min(dims: [1, 2], keepDim: true), hi = try x.max(dims: [1, 2], keepDim: true)
            return try (x - lo) / (hi - lo + ChannelWeighting.scoreCAMMaskEps)
        }
        var weights: [Tensor] = []
        try withInferenceMode {
            for n in 0..<s[0] {
                let masks: Tensor  // [C, H, W]
                switch scoreCAMMasking {
                case .upsampleThenScale:
                    masks = try scaled(Functional.interpolate(a[n].unsqueeze(0), size: size, mode: .bilinear, alignCorners: true)[0])
                case .scaleThenUpsample:
                    masks = try Functional.interpolate(scaled(a[n]).unsqueeze(0), size: size, mode: .bilinear, alignCorners: false)[0]
                }
                let image = try batch[n]
                var scores: [Tensor] = []
                var start = 0
                while start < s[1] {
                    let end = Swift.min(start + scoreCAMBatchSize, s[1])
                    let m = try masks.slice(dim: 0, start: start, end: end).unsqueeze(1)  // [B, 1, H, W]
                    let logits = try model(m * image.unsqueeze(0))
                    let out = score == .logit ? logits : try Functional.softmax(logits, dim: 1)
                    scores.append(try out.select(dim: 1, index: Int(classList[n])))
                    start = end
                }
                weights.append(try Functional.softmax(Tensor.cat(scores), dim: 0))
            }
        }
        return try ChannelWeighting.weightedSum(a, weights: Tensor.stack(weights))
    }
}
