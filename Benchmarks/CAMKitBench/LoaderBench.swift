// camkit-bench loader: CAMKit's DataLoader throughput (decode + resize + to float NCHW batches).
// Usage: camkit-bench loader --spec folder:DIR --batch 32 --size 224 --workers 2 --epochs 3
import CAMKit
import Foundation
import Torch

/// Runs `epochs` epochs over the dataset and prints one JSON line per epoch with images/s.
func loaderBenchmark() throws {
    let spec = argument("spec", "synthetic:train=512,size=256")
    let epochs = Int(argument("epochs", "3"))!
    let options = DataLoader.Options(
        batchSize: Int(argument("batch", "32"))!, imageSize: Int(argument("size", "224"))!,
        workers: Int(argument("workers", "2"))!, prefetch: Int(argument("prefetch", "4"))!,
        interpolation: Interpolation(name: argument("interpolation", "linear")) ?? .linear)
    let dataset = try DatasetSpec.parse(spec).open()
    let loader = try DataLoader(dataset: dataset, options: options)
    for epoch in 0..<epochs {
        var images = 0
        let ms = milliseconds {
            for batch in loader.batches(epoch: epoch) { images += batch.indices.count }
        }
        print(
            String(
                format: "{\"impl\":\"camkit\",\"epoch\":%d,\"images\":%d,\"seconds\":%.3f,\"images_per_s\":%.1f}",
                epoch, images, ms / 1000, Double(images) / (ms / 1000)))
    }
}
