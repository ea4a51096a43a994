import Foundation
import Testing
import TestSupport
@testable import Torch

/// Tolerance of every parity check. The error of one element is
/// `|swift - pytorch| / max(1, |pytorch|)`: absolute for values up to 1 in magnitude, relative above.
let parityTolerance = 1e-5

/// The largest per-element parity error between two tensors (infinity when shapes differ).
func parityError(_ actual: Tensor, _ expected: Tensor) throws -> Double {
    guard actual.shape == expected.shape else { return .infinity }
    let a = try actual.to(.float64).scalars(as: Double.self)
    let e = try expected.to(.float64).scalars(as: Double.self)
    var worst = 0.0
    for i in a.indices {
        if a[i] == e[i] { continue }  // also equal infinities
        let err = Swift.abs(a[i] - e[i]) / Swift.max(1, Swift.abs(e[i]))
        worst = Swift.max(worst, err.isNaN ? .infinity : err)
    }
    return worst
}

/// One fixture of `Tests/Fixtures/foundation` written by tools/make_foundation_fixtures.py:
/// tensors named `<case>.<role>` and the cases' parameters in the metadata key "cases".
struct ParityFixture {
    let name: String
    let file: SafeTensorsFile
    /// Case name → parameters, sorted by case name.
    let cases: [(name: String, params: [String: Any])]

    init(_ name: String) throws {
        self.name = name
        file = try SafeTensors.read(contentsOf: Fixtures.url("foundation/\(name).safetensors"))
        let json = try #require(file.metadata["cases"], "\(name) has no 'cases' metadata")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
        cases = object.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func tensor(_ caseName: String, _ role: String) throws -> Tensor { try file.tensor("\(caseName).\(role)") }
    func optional(_ caseName: String, _ role: String) -> Tensor? { file["\(caseName).\(role)"] }

    /// Checks each case with `body`, which returns (label, actual, expected) triples; prints and
    /// returns the largest error of the whole file.
    @discardableResult
    func check(_ body: (String, [String: Any]) throws -> [(String, Tensor, Tensor)]) throws -> Double {
        #expect(!cases.isEmpty)
        var worst = 0.0
        for (caseName, params) in cases {
            for (label, actual, expected) in try body(caseName, params) {
                let err = try parityError(actual, expected)
                #expect(actual.shape == expected.shape, "\(name)/\(caseName) \(label): shape \(actual.shape) vs \(expected.shape)")
                #expect(err <= parityTolerance, "\(name)/\(caseName) \(label): error \(err)")
                worst = Swift.max(worst, err)
            }
        }
        print("parity \(name): \(cases.count) cases, largest error \(worst)")
        return worst
    }
}

extension Double {
    func isApproximatelyEqual(_ other: Double, _ tolerance: Double) -> Bool { Swift.abs(self - other) <= tolerance }
}

// JSON values of the "cases" metadata.
private func ints(_ v: Any?) -> [Int] { (v as? [Any] ?? []).map { ($0 as! NSNumber).intValue } }
private func pair(_ v: Any?) -> (Int, Int) { let a = ints(v); return (a[0], a[1]) }
private func bool(_ v: Any?) -> Bool { (v as? NSNumber)?.boolValue ?? false }
private func double(_ v: Any?) -> Double { (v as! NSNumber).doubleValue }
private func string(_ v: Any?) -> String { v as! String }

@Suite struct ParityTests {
    @Test func parityErrorIsAbsoluteBelowOneAndRelativeAbove() throws {
        let e = try Tensor([0.5, -200, 3] as [Double])
        #expect(try parityError(Tensor([0.5 + 1e-6, -200.002, 3] as [Double]), e).isApproximatelyEqual(1e-5, 1e-9))
        #expect(try parityError(Tensor([0.5, -200, 3.00003] as [Double]), e).isApproximatelyEqual(1e-5, 1e-9))
        #expect(try parityError(Tensor([0.5, -200, .nan] as [Double]), e) == .infinity)
        #expect(try parityError(Tensor([0.5, -200] as [Double]), e) == .infinity)
    }

    @Test func conv2d() throws {
        let f = try ParityFixture("conv2d")
        try f.check { c, p in
            let y = try Functional.conv2d(
                f.tensor(c, "input"), weight: f.tensor(c, "weight"), bias: f.optional(c, "bias"),
                stride: pair(p["stride"]), padding: pair(p["padding"]), dilation: pair(p["dilation"]),
                groups: ints([p["groups"]!])[0])
            #expect((f.optional(c, "bias") != nil) == bool(p["bias"]))
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    @Test func batchNorm() throws {
        let f = try ParityFixture("batch_norm")
        try f.check { c, p in
            // The running stats are updated in place: work on copies.
            let mean = try f.tensor(c, "running_mean").clone()
            let variance = try f.tensor(c, "running_var").clone()
            let training = bool(p["training"])
            let y = try Functional.batchNorm(
                f.tensor(c, "input"), weight: f.optional(c, "weight"), bias: f.optional(c, "bias"),
                runningMean: mean, runningVar: variance, training: training,
                momentum: double(p["momentum"]), eps: double(p["eps"]))
            var checks = [("output", y, try f.tensor(c, "output"))]
            if training {
                checks.append(("running_mean", mean, try f.tensor(c, "running_mean_after")))
                checks.append(("running_var", variance, try f.tensor(c, "running_var_after")))
            } else {
                #expect(try mean.bytes() == f.tensor(c, "running_mean").bytes(), "eval mode must not touch running stats")
            }
            return checks
        }
    }

    @Test func reluAndPooling() throws {
        let f = try ParityFixture("pooling")
        try f.check { c, p in
            let x = try f.tensor(c, "input")
            let y: Tensor
            switch string(p["op"]) {
            case "relu":
                y = try Functional.relu(x)
            case "max_pool2d":
                y = try Functional.maxPool2d(
                    x, kernel: pair(p["kernel"]), stride: pair(p["stride"]),
                    padding: pair(p["padding"]), ceilMode: bool(p["ceil_mode"]))
            case "adaptive_avg_pool2d":
                y = try Functional.adaptiveAvgPool2d(x, outputSize: pair(p["output_size"]))
            case let op:
                Issue.record("unknown op \(op)")
                return []
            }
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    @Test func linear() throws {
        let f = try ParityFixture("linear")
        try f.check { c, _ in
            let y = try Functional.linear(f.tensor(c, "input"), weight: f.tensor(c, "weight"), bias: f.optional(c, "bias"))
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    @Test func softmaxAndLogSoftmax() throws {
        let f = try ParityFixture("softmax")
        try f.check { c, p in
            let x = try f.tensor(c, "input")
            let dim = ints([p["dim"]!])[0]
            let y = string(p["op"]) == "softmax" ? try Functional.softmax(x, dim: dim) : try Functional.logSoftmax(x, dim: dim)
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    @Test func crossEntropyWithLabelSmoothing() throws {
        let f = try ParityFixture("cross_entropy")
        #expect(f.cases.count == 6)  // label smoothing 0 and 0.1 × none, mean, sum
        try f.check { c, p in
            let reduction: Reduction =
                switch string(p["reduction"]) {
                case "none": .none
                case "sum": .sum
                default: .mean
                }
            let logits = try f.tensor(c, "logits").clone().requiringGrad()
            let target = try f.tensor(c, "target")
            #expect(target.dtype == .int64)
            let loss = try Functional.crossEntropy(logits, target: target, labelSmoothing: double(p["label_smoothing"]), reduction: reduction)
            var checks = [("output", loss, try f.tensor(c, "output"))]
            if let expectedGrad = f.optional(c, "grad") {
                let grad = try Autograd.gradients(of: loss, wrt: [logits])[0]
                checks.append(("grad", grad, expectedGrad))
            }
            return checks
        }
    }

    @Test func interpolate() throws {
        let f = try ParityFixture("interpolate")
        #expect(f.cases.count == 12)  // nearest, area: up/down; bilinear, bicubic: up/down × align_corners
        try f.check { c, p in
            let mode: InterpolationMode =
                switch string(p["mode"]) {
                case "nearest": .nearest
                case "bilinear": .bilinear
                case "bicubic": .bicubic
                default: .area
                }
            let alignCorners: Bool? = p["align_corners"] is NSNull ? nil : bool(p["align_corners"])
            let y = try Functional.interpolate(f.tensor(c, "input"), size: pair(p["size"]), mode: mode, alignCorners: alignCorners)
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    @Test func pad() throws {
        let f = try ParityFixture("pad")
        try f.check { c, p in
            let mode: PadMode =
                switch string(p["mode"]) {
                case "reflect": .reflect
                case "replicate": .replicate
                default: .constant
                }
            let y = try Functional.pad(f.tensor(c, "input"), ints(p["pads"]), mode: mode, value: double(p["value"]))
            return [("output", y, try f.tensor(c, "output"))]
        }
    }

    /// conv → relu → max pool → conv → relu → GAP → linear → cross entropy; one `Autograd.gradients`
    /// call to the input and to the second conv's output, as Grad-CAM uses it.
    @Test func convNetGradientsWrtInputAndActivation() throws {
        let f = try SafeTensors.read(contentsOf: Fixtures.url("foundation/grad.safetensors"))
        let x = try f.tensor("input").clone().requiringGrad()
        let h = try Functional.maxPool2d(
            Functional.relu(Functional.conv2d(x, weight: f.tensor("conv1.weight"), bias: f.tensor("conv1.bias"), padding: (1, 1))),
            kernel: (2, 2))
        let act = try Functional.conv2d(h, weight: f.tensor("conv2.weight"), bias: f.tensor("conv2.bias"), padding: (1, 1))
        let logits = try Functional.linear(act.relu().mean(dims: [2, 3]), weight: f.tensor("fc.weight"), bias: f.tensor("fc.bias"))
        let loss = try Functional.crossEntropy(logits, target: f.tensor("target"))
        let grads = try Autograd.gradients(of: loss, wrt: [x, act])

        var worst = 0.0
        for (label, actual, expected) in [
            ("loss", loss, try f.tensor("loss")),
            ("grad_input", grads[0], try f.tensor("grad_input")),
            ("grad_act", grads[1], try f.tensor("grad_act"))
        ] {
            let err = try parityError(actual, expected)
            #expect(err <= parityTolerance, "\(label): error \(err)")
            worst = Swift.max(worst, err)
        }
        // The gradient is not trivially zero.
        #expect(try grads[0].abs().max().item() > 1e-4)
        #expect(try x.grad == nil, "autograd.grad must not accumulate into .grad")
        print("parity grad: largest error \(worst)")
    }
}
