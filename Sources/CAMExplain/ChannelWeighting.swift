import Torch

/// The per-method arithmetic that turns activations (and gradients) into raw maps.
///
/// Shapes: activations `A` and gradients `G` are [N, C, h, w]; maps come back [N, h, w].
enum ChannelWeighting {
    /// eps of pytorch-grad-cam's XGrad-CAM denominator (torchcam: 1e-8).
    static let xGradCAMEps = 1e-7
    /// eps of pytorch-grad-cam's Grad-CAM++ denominator. It is absolute, so it matters when gradients
    /// are small (g² near 1e-6, as with softmax targets): keep the peer's value.
    static let gradCAMPlusPlusEps = 1e-6
    /// eps of both peers' per-channel min-max scaling of Score-CAM masks.
    static let scoreCAMMaskEps = 1e-8

    /// Σ_k weights[n, k] · A[n, k] as one batched matmul; weights [N, C].
    static func weightedSum(_ a: Tensor, weights: Tensor) throws -> Tensor {
        let s = a.shape
        let flat = try a.reshape([s[0], s[1], s[2] * s[3]])
        return try weights.unsqueeze(1).matmul(flat).reshape([s[0], s[2], s[3]])
    }

    static func gradCAM(_ a: Tensor, _ g: Tensor) throws -> Tensor {
        try weightedSum(a, weights: g.mean(dims: [2, 3]))
    }

    static func hiResCAM(_ a: Tensor, _ g: Tensor) throws -> Tensor {
        try (g * a).sum(dims: [1])
    }

    static func layerCAM(_ a: Tensor, _ g: Tensor) throws -> Tensor {
        try (g.relu() * a).sum(dims: [1])
    }

    static func xGradCAM(_ a: Tensor, _ g: Tensor) throws -> Tensor {
        let weights = try (g * a).sum(dims: [2, 3]) / (a.sum(dims: [2, 3]) + xGradCAMEps)
        return try weightedSum(a, weights: weights)
    }

    /// Grad-CAM++ as in the paper (α = g² / (2g² + Σ_ab A_ab · g³), zero where g = 0; weights
    /// Σ_ij α · ReLU(g)), the form pytorch-grad-cam uses.
    ///
    /// torchcam (0.5) differs and is not reproduced: its `alpha[idx][mask].div_(...)` divides a copy
    /// made by boolean indexing, so α stays g² and its weights are Σ_ij ReLU(g)³; the denominator it
    /// intended, 2g² + Σ_ab A_ab g³_ab, also differs from the paper's where gradients vary in space.
    static func gradCAMPlusPlus(_ a: Tensor, _ g: Tensor) throws -> Tensor {
        let g2 = try g.square()
        let g3 = try g2 * g
        let sumA = try a.sum(dims: [2, 3], keepDim: true)
        let alpha = try g2 / ((g2 * 2.0) + (sumA * g3) + gradCAMPlusPlusEps)
        let alphaMasked = try Tensor.where(g.ne(0), alpha, Tensor.zeros([], dtype: alpha.dtype))
        let weights = try (g.relu() * alphaMasked).sum(dims: [2, 3])
        return try weightedSum(a, weights: weights)
    }

    /// First principal component of each image's activations (pytorch-grad-cam's 2-D projection).
    ///
    /// The SVD's sign is arbitrary; CAMKit orients each map so that it correlates positively with
    /// the channel-mean activation, so that "high" means "strongly activated".
    static func eigenCAM(_ a: Tensor) throws -> Tensor {
        let s = a.shape
        var maps: [Tensor] = []
        for n in 0..<s[0] {
            let x = try a[n].reshape([s[1], s[2] * s[3]]).transposed(0, 1)  // [hw, C]
            let centred = try x - x.mean(dims: [0], keepDim: true)
            let vh = try centred.svd().vh
            let projection = try centred.matmul(vh[0])  // [hw]
            let reference = try x.mean(dims: [1])
            let agreement = try (projection * (reference - reference.mean())).sum().item()
            maps.append(try (agreement < 0 ? projection.neg() : projection).reshape([s[2], s[3]]))
        }
        return try Tensor.stack(maps)
    }
}
