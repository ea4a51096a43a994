import Foundation
import Testing
import TestSupport
@testable import Torch

/// torch.optim steps from `Tests/Fixtures/foundation/optim.safetensors` (see
/// tools/make_foundation_fixtures.py): two steps from fixed weights with fixed gradients, then the
/// weights after each step and the optimizer's buffers, to `parityTolerance`.
@Suite struct OptimizerParityTests {
    static let parameterNames = ["w", "b"]

    let fixture: SafeTensorsFile
    let hyper: [String: [String: Any]]

    init() throws {
        fixture = try SafeTensors.read(contentsOf: Fixtures.url("foundation/optim.safetensors"))
        let json = try #require(fixture.metadata["cases"])
        hyper = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
    }

    func number(_ c: String, _ key: String) throws -> Double {
        try #require(hyper[c]?[key] as? NSNumber, "\(c).\(key)").doubleValue
    }

    /// Fresh leaf copies of the initial weights.
    func parameters() throws -> [(String, Tensor)] {
        try Self.parameterNames.map { ($0, try fixture.tensor("sgd.\($0)").clone().requiringGrad()) }
    }

    /// Runs the fixture's two steps, feeding each parameter the stored gradient through
    /// `backward` of `sum(p * g)`, and returns the largest error against PyTorch.
    func run(_ c: String, _ optimizer: any Optimizer, _ params: [(String, Tensor)], slots: [String]) throws -> Double {
        var worst = 0.0
        func compare(_ actual: Tensor, _ key: String) throws {
            let err = try parityError(actual, fixture.tensor(key))
            #expect(err <= parityTolerance, "\(key): error \(err)")
            worst = Swift.max(worst, err)
        }
        for step in 1...2 {
            try optimizer.zeroGrad()
            var loss = try Tensor.zeros([])
            for (name, p) in params { loss = try loss + (p * fixture.tensor("sgd.grad\(step).\(name)")).sum() }
            try loss.backward()
            for (name, p) in params { #expect(try p.grad?.bytes() == fixture.tensor("sgd.grad\(step).\(name)").bytes()) }
            try optimizer.step()
            for (name, p) in params { try compare(p.detach(), "\(c).step\(step).\(name)") }
        }
        let state = try optimizer.stateDict()
        for (name, _) in params {
            for slot in slots {
                let buffer = try #require(state["\(name).\(slot)"], "optimizer state has no \(name).\(slot)")
                try compare(buffer, "\(c).\(slot).\(name)")
            }
        }
        print("parity optimizer \(c): largest error \(worst)")
        return worst
    }

    @Test func sgdWithMomentumAndWeightDecayMatchesTorchOptim() throws {
        let c = "sgd_momentum"
        let params = try parameters()
        let sgd = SGD(
            parameters: params, learningRate: try number(c, "lr"), momentum: try number(c, "momentum"),
            weightDecay: try number(c, "weight_decay"))
        try run(c, sgd, params, slots: ["momentum_buffer"])
    }

    @Test func sgdWithNesterovMatchesTorchOptim() throws {
        let c = "sgd_nesterov"
        let params = try parameters()
        let sgd = SGD(
            parameters: params, learningRate: try number(c, "lr"), momentum: try number(c, "momentum"),
            dampening: try number(c, "dampening"), weightDecay: try number(c, "weight_decay"), nesterov: true)
        try run(c, sgd, params, slots: ["momentum_buffer"])
    }

    @Test func adamWMatchesTorchOptim() throws {
        let c = "adamw"
        let betas = try #require(hyper[c]?["betas"] as? [NSNumber]).map(\.doubleValue)
        let params = try parameters()
        let adamw = AdamW(
            parameters: params, learningRate: try number(c, "lr"), beta1: betas[0], beta2: betas[1],
            eps: try number(c, "eps"), weightDecay: try number(c, "weight_decay"))
        try run(c, adamw, params, slots: ["exp_avg", "exp_avg_sq"])
    }
}
