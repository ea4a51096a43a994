// camkit-bench pipeline / boxes: the tutorial's per-image work and its box + IoU step alone.
import CAMKit
import Foundation
import Torch

/// The tutorial's per-image pipeline over the first 16 images of `--images DIR` (a folder
/// dataset with annotations.csv): decode, resize and preprocess, CAM and Grad-CAM at the last
/// stage, each normalised as the tutorial does, resized to the image, boxed by its rule and
/// scored against the ground truth. Prints the median time per image.
func pipelineBenchmark(_ loaded: (model: any Network, info: ModelInfo)) throws {
    let dataset = try DatasetSpec.parse("folder:" + argument("images", "")).open()
    let samples = try (0..<min(16, dataset.count)).map { try dataset.sample(at: $0) }
    loaded.model.eval()
    let explainer = Explainer(model: loaded.model)
    let last = loaded.model.lastFeatureLayer
    let t = try measure(iters: iters) {
        for sample in samples {
            let image = try sample.loadImage()
            let x = try loaded.info.preprocessing.apply(pixels: image.tensor(), size: loaded.info.inputSize).unsqueeze(0)
            let e = try explainer.explain(x, methods: [.cam, .gradCAM], layers: [last])
            for m in e.maps {
                let up = try MapPostprocessing.upsample(MapPostprocessing.normalize(m.raw, mode: .tutorial), to: (image.height, image.width))
                _ = try BoxExtractor.boxes(in: FloatMap(tensor: up), rule: .tutorial).bestMatch(sample.boxes)
            }
        }
    }
    print(json(["impl": "camkit", "mode": "pipeline", "images": samples.count, "per_image_ms": t.median / Double(samples.count)]))
}

/// The tutorial's box rule and IoU on every map of `--maps FILE.npy` [N, H, W] against
/// `--truths FILE.json` (N boxes, normalised [ymin, xmin, ymax, xmax]). Prints the time per map.
func boxesBenchmark() throws {
    let array = try NPY.read(contentsOf: URL(fileURLWithPath: argument("maps", "")))
    let truths = try JSONDecoder().decode([[Double]].self, from: Data(contentsOf: URL(fileURLWithPath: argument("truths", ""))))
    let (n, h, w) = (array.shape[0], array.shape[1], array.shape[2])
    let values = array.floatValues()
    let maps = try (0..<n).map { i in try FloatMap(width: w, height: h, values: Array(values[(i * h * w)..<((i + 1) * h * w)])) }
    let boxes = truths.map { BoundingBox($0)! }
    let t = try measure(iters: iters) {
        for (map, truth) in zip(maps, boxes) {
            _ = try BoxExtractor.boxes(in: map, rule: .tutorial).bestMatch([truth])
        }
    }
    print(json(["impl": "camkit", "mode": "boxes", "maps": n, "per_map_ms": t.median / Double(n)]))
}
