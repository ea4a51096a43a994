// camkit-bench: timing runs that the scripts in Benchmarks/ compare side by side with peers.
// Usage: camkit-bench MODE [--model FILE | --arch NAME] [--input FILE] [--batch 16] [--iters 10] [--threads 2]
// Modes: forward, explain (--methods cam,gradcam --layers layer4,layer3,layer2), pipeline (--images DIR),
// boxes (--maps FILE.npy --truths FILE.json), train-step, loader, road (ROAD MoRF + LeRF of Grad-CAM at --layer). Benchmarks/peers.py runs them against the peers.
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
let batch = Int(argument("batch", "16"))!
let iters = Int(argument("iters", "10"))!
try Runtime.setThreads(Int(argument("threads", "2")))
if argument("allocator", "retain") == "retain" { try Runtime.retainFreedMemory() }
try Runtime.manualSeed(0)
let size = Int(argument("size", "224"))!
let classes = Int(argument("classes", "1000"))!

/// `--model FILE` (any file `camkit` loads), else a seeded `--arch` network.
func benchModel() throws -> (model: any Network, info: ModelInfo) {
    let path = argument("model", "")
    if !path.isEmpty {
        let loaded = try ModelLoader.load(URL(fileURLWithPath: path), preprocessing: .imagenet)
        return (loaded.model, loaded.info)
    }
    let model = try ResNet(ResNetSpec.named(argument("arch", "resnet50"), classes: classes))
    return (model, ModelInfo(spec: model.spec, preprocessing: .imagenet, inputSize: size))
}

/// `--input FILE` (safetensors with an "input" tensor, first `batch` images), else N(0, 1).
func benchInput() throws -> Tensor {
    let path = argument("input", "")
    if path.isEmpty { return try Tensor.randn([batch, 3, size, size]) }
    let file = try SafeTensors.read(contentsOf: URL(fileURLWithPath: path))
    guard let x = file.tensors["input"] else { throw BenchError("\(path) has no tensor 'input'") }
    return try x.slice(dim: 0, start: 0, end: batch)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func json(_ fields: [String: Any]) -> String {
    String(data: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), encoding: .utf8)!
}

switch mode {
case "forward":
    let loaded = try benchModel()
    loaded.model.eval()
    loaded.model.optimizesEvalForward = argument("optimize", "on") == "on"
    let x = try benchInput()
    let t = try measure(iters: iters) { _ = try withInferenceMode { try loaded.model(x) } }
    print(json(["impl": "camkit", "mode": "forward", "batch": batch, "median_ms": t.median, "min_ms": t.min]))
case "explain":
    // Maps as the peers return them: normalised and upsampled to the input size.
    let loaded = try benchModel()
    loaded.model.eval()
    loaded.model.optimizesEvalForward = argument("optimize", "on") == "on"
    let x = try benchInput()
    let explainer = Explainer(model: loaded.model)
    let methods = try argument("methods", "cam,gradcam").split(separator: ",").map { name in
        guard let m = CAMMethod(rawValue: String(name)) else { throw BenchError("unknown method \(name)") }
        return m
    }
    let layers = argument("layers", "layer4,layer3,layer2").split(separator: ",").map(String.init)
    let t = try measure(iters: iters) {
        let e = try explainer.explain(x, methods: methods, layers: layers)
        for method in methods {
            for layer in layers {
                let raws = e.maps.filter { $0.method == method && $0.layer == layer }.map(\.raw)
                guard !raws.isEmpty else { continue }
                _ = try MapPostprocessing.upsample(MapPostprocessing.normalize(Tensor.stack(raws), mode: .standard), to: (size, size))
            }
        }
    }
    print(json(["impl": "camkit", "mode": "explain", "batch": batch, "median_ms": t.median, "min_ms": t.min]))
case "pipeline":
    try pipelineBenchmark(try benchModel())
case "boxes":
    try boxesBenchmark()
case "train-step":
    let model = try benchModel().model
    model.train()
    let x = try benchInput()
    let labels = try Tensor.randint(0, classes, shape: [batch])
    let optimizer = SGD(parameters: model.namedParameters(), learningRate: 0.01, momentum: 0.9)
    let t = try measure(iters: iters) {
        let loss = try Functional.crossEntropy(model(x), target: labels)
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
    }
    print(json(["impl": "camkit", "mode": "train-step", "batch": batch, "median_ms": t.median, "images_per_s": Double(batch) / t.median * 1000]))
case "loader":
    try loaderBenchmark()
case "road":
    // ROAD MoRF and LeRF at 9 percentiles (pytorch-grad-cam's defaults, noise 0.01) of Grad-CAM maps
    // made once beforehand, as the peer's ROAD classes take them; the time is the metric's alone.
    let loaded = try benchModel()
    loaded.model.eval()
    let x = try benchInput()
    let layer = argument("layer", "layer4")
    let e = try Explainer(model: loaded.model).explain(x, methods: [.gradCAM], layers: [layer])
    let maps = try e.maps.map { m in try FaithfulnessMap(m, size: size, source: "map\(m.image)") }
    var settings = FaithfulnessSettings(metrics: [.roadMoRF, .roadLeRF])
    settings.batchSize = batch
    let scorer = try FaithfulnessScorer(model: loaded.model, settings: settings)
    let t = try measure(iters: iters) { _ = try scorer.score(x, maps: maps) }
    print(json(["impl": "camkit", "mode": "road", "batch": batch, "median_ms": t.median, "min_ms": t.min]))
default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
