// camkit-bench: timing runs that the scripts in Benchmarks/ compare side by side with peers.
// Usage: camkit-bench forward --arch resnet50 --batch 16 --iters 10 --threads 2
import CAMKit
import Foundation
import Torch

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// Median and minimum of `iters` timed runs after one warm-up.
func measure(iters: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    try body()
    var times: [Double] = []
    for _ in 0..<iters { times.append(try milliseconds(body)) }
    times.sort()
    return (times[times.count / 2], times[0])
}

let mode = CommandLine.arguments.dropFirst().first ?? "forward"
let batch = Int(argument("batch", "1"))!
let iters = Int(argument("iters", "10"))!
try Runtime.setThreads(Int(argument("threads", "2")))
if argument("allocator", "retain") == "retain" { try Runtime.retainFreedMemory() }
Runtime.manualSeed(0)
let size = Int(argument("size", "224"))!
let classes = Int(argument("classes", "1000"))!
let model = try ResNet(ResNetSpec.named(argument("arch", "resnet50"), classes: classes))
model.eval()
model.optimizesEvalForward = argument("optimize", "on") == "on"
let x = try Tensor.randn([batch, 3, size, size])

switch mode {
case "forward":
    let t = try measure(iters: iters) { _ = try withInferenceMode { try model(x) } }
    print(String(format: "{\"impl\":\"swift\",\"batch\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f}", batch, t.median, t.min))
case "explain":
    // CAM + Grad-CAM at three layers (one forward, one backward from the earliest) vs one plain forward.
    let explainer = Explainer(model: model)
    let layers = argument("layers", "layer4,layer3,layer2").split(separator: ",").map(String.init)
    let forward = try measure(iters: iters) { _ = try withInferenceMode { try model(x) } }
    let explain = try measure(iters: iters) { _ = try explainer.explain(x, methods: [.cam, .gradCAM], layers: layers) }
    print(String(format: "{\"impl\":\"swift\",\"mode\":\"explain\",\"batch\":%d,\"forward_ms\":%.1f,\"explain_ms\":%.1f,\"ratio\":%.3f}",
                 batch, forward.median, explain.median, explain.median / forward.median))
case "train-step":
    model.train()
    let labels = try Tensor.randint(0, classes, shape: [batch])
    let optimizer = SGD(parameters: model.namedParameters(), learningRate: 0.01, momentum: 0.9)
    let t = try measure(iters: iters) {
        let loss = try Functional.crossEntropy(model(x), target: labels)
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
    }
    print(String(format: "{\"impl\":\"swift\",\"mode\":\"train-step\",\"batch\":%d,\"median_ms\":%.3f,\"images_per_s\":%.1f}", batch, t.median, Double(batch) / t.median * 1000))
case "loader":
    try loaderBenchmark()
default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
