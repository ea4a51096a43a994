import Foundation
import Testing
@testable import Torch

/// SplitMix64: deterministic test values without touching libtorch's global generator, which
/// tests running in parallel share.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
    mutating func values(_ n: Int, _ low: Double, _ high: Double) -> [Double] { (0..<n).map { _ in uniform(low, high) } }
}

/// conv(3→4, 3×3, pad 1) → batch norm (eval) → relu → max pool 2 → flatten → linear(36→5) → cross entropy,
/// in float64. Input and every trainable parameter are differentiated; running stats are constants.
private struct SmallConvNet {
    static let shapes: [(name: String, shape: [Int])] = [
        ("input", [2, 3, 6, 6]),
        ("conv.weight", [4, 3, 3, 3]), ("conv.bias", [4]),
        ("bn.weight", [4]), ("bn.bias", [4]),
        ("fc.weight", [5, 36]), ("fc.bias", [5])
    ]
    let runningMean: [Double]
    let runningVar: [Double]
    let target: [Int64] = [3, 1]

    init(rng: inout SplitMix64) {
        runningMean = rng.values(4, -0.3, 0.3)
        runningVar = rng.values(4, 0.5, 1.5)
    }

    func initialValues(rng: inout SplitMix64) -> [[Double]] {
        Self.shapes.map { name, shape in
            let n = shape.reduce(1, *)
            switch name {
            case "bn.weight": return rng.values(n, 0.5, 1.5)
            case "input": return rng.values(n, -1, 1)
            default: return rng.values(n, -0.5, 0.5)
            }
        }
    }

    /// The pre-relu activations and the loss, for tensors in `shapes` order.
    func forward(_ t: [Tensor]) throws -> (preReLU: Tensor, loss: Tensor) {
        let conv = try Functional.conv2d(t[0], weight: t[1], bias: t[2], padding: (1, 1))
        let bn = try Functional.batchNorm(
            conv, weight: t[3], bias: t[4],
            runningMean: Tensor(runningMean), runningVar: Tensor(runningVar), training: false)
        let pooled = try Functional.maxPool2d(bn.relu(), kernel: (2, 2))
        let logits = try Functional.linear(pooled.flatten(from: 1), weight: t[5], bias: t[6])
        return (bn, try Functional.crossEntropy(logits, target: Tensor(target)))
    }

    func tensors(_ values: [[Double]]) throws -> [Tensor] {
        try zip(values, Self.shapes).map { try Tensor($0, shape: $1.shape) }
    }

    func loss(_ values: [[Double]]) throws -> Double { try forward(tensors(values)).loss.item() }
}

@Suite struct GradientCheckTests {
    /// Analytic gradients (one `Autograd.gradients` call) against central finite differences.
    /// Error of a tensor: max |analytic − numeric| / max |numeric|; required below 1e-6.
    @Test func smallConvNetGradientsMatchFiniteDifferences() throws {
        var rng = SplitMix64(state: 20_240_611)
        let net = SmallConvNet(rng: &rng)
        var values = net.initialValues(rng: &rng)

        let leaves = try net.tensors(values).map { try $0.requiringGrad() }
        let (preReLU, loss) = try net.forward(leaves)
        #expect(loss.dtype == .float64)
        // Finite differences are meaningless across a relu kink: keep every pre-activation clear of 0.
        let nearestKink = try preReLU.abs().min().item()
        #expect(nearestKink > 1e-3, "a pre-relu value is \(nearestKink) from the kink; pick another seed")
        let analytic = try Autograd.gradients(of: loss, wrt: leaves).map { try $0.scalars(as: Double.self) }

        let h = 1e-6
        for (k, (name, _)) in SmallConvNet.shapes.enumerated() {
            var numeric = [Double](repeating: 0, count: values[k].count)
            for i in values[k].indices {
                let x = values[k][i]
                values[k][i] = x + h
                let up = try net.loss(values)
                values[k][i] = x - h
                let down = try net.loss(values)
                values[k][i] = x
                numeric[i] = (up - down) / (2 * h)
            }
            let scale = numeric.map(Swift.abs).max() ?? 0
            let worst = zip(analytic[k], numeric).map { Swift.abs($0 - $1) }.max() ?? 0
            let relative = worst / scale
            #expect(scale > 1e-4, "\(name): gradient is (nearly) zero, the check would be vacuous")
            #expect(relative < 1e-6, "\(name): relative error \(relative)")
            print("gradient check \(name): max |grad| \(scale), relative error \(relative)")
        }
    }
}
