import CAMKit
import Foundation
import Testing
import TestSupport

/// The README's library example, run as written (file names under a temporary folder).
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-readme")
        try Runtime.manualSeed(7)
        let spec = try ResNetSpec.named("small", classes: 4)
        let model = try ResNet(spec)
        let info = ModelInfo(spec: spec, classNames: ["sedan", "coupe", "van", "truck"], preprocessing: .seed, inputSize: 96)
        let modelFile = dir.appendingPathComponent("model.safetensors"), imageFile = dir.appendingPathComponent("car.png")
        try Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: model.stateDict())).write(to: modelFile)
        try DatasetSpec.parse("synthetic:seed=1,classes=4,train=0,test=1,size=96:test").open().sample(at: 0).loadImage().write(to: imageFile)
        func file(_ name: String) -> URL { dir.appendingPathComponent(name) }

        // README, "Using the library":
        let loaded = try ModelLoader.load(file("model.safetensors"))
        let image = try ImageCodec.decode(contentsOf: file("car.png"))
        let batch = try loaded.info.preprocessing.apply(pixels: image.tensor(), size: loaded.info.inputSize).unsqueeze(0)
        let e = try Explainer(model: loaded.model).explain(batch, methods: [.cam, .gradCAM], layers: ["layer4", "layer3"])
        print(try e.topClasses(image: 0, k: 3, names: loaded.info.classNames).map(\.name))
        for m in e.maps {
            let map = try MapRendering().displayMap(m.raw, height: image.height, width: image.width)
            let boxes = try BoxExtractor.boxes(in: map, rule: .camkit).boxes
            try Overlay.blend(map, over: image).write(to: file("car.\(m.method.rawValue).\(m.layer).png"))
            print(m.method.rawValue, m.layer, boxes.map(\.normalized))
        }
        print(e.skipped.map(\.reason))

        #expect(e.maps.map { "\($0.method.rawValue).\($0.layer)" }.sorted() == ["cam.layer4", "gradcam.layer3", "gradcam.layer4"])
        for name in ["car.cam.layer4.png", "car.gradcam.layer3.png", "car.gradcam.layer4.png"] {
            #expect(try ImageCodec.decode(contentsOf: dir.appendingPathComponent(name)).width == 96)
        }
        #expect(e.skipped.count == 1)
    }

    /// Two images with one stem (`a/car.png`, `b/car.png`) get outputs of their own (#20).
    @Test func imagesSharingAStemDoNotOverwriteEachOther() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-same-stem")
        try Runtime.manualSeed(3)
        let spec = try ResNetSpec.named("small", classes: 4)
        let info = ModelInfo(spec: spec, preprocessing: .seed, inputSize: 64)
        let modelFile = dir.appendingPathComponent("m.safetensors")
        try Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: ResNet(spec).stateDict())).write(to: modelFile)
        let data = try DatasetSpec.parse("synthetic:seed=4,classes=4,train=0,test=2,size=64:test").open()
        var images: [URL] = []
        for (i, folder) in ["a", "b"].enumerated() {
            let sub = dir.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            images.append(sub.appendingPathComponent("car.png"))
            try data.sample(at: i).loadImage().write(to: images[i])
        }
        let out = dir.appendingPathComponent("out")
        let model = try ModelLoader.load(modelFile)
        let report = try ExplainJob.run(
            images: images, model: model, options: ExplainOptions(methods: [.gradCAM], layers: ["layer4"]), outputDirectory: out)
        let files = report.images.flatMap(\.files)
        #expect(files.count == 2 && Set(files).count == 2, "\(files)")
        #expect(files.allSatisfy { FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path) })
        #expect(report.images.map(\.image) == images.map(\.path))
        let boxes = try LocalizeJob.run(
            images: images, truths: nil, model: model, options: LocalizeOptions(methods: [.gradCAM], layers: ["layer4"]), outputDirectory: out)
        #expect(Set(boxes.images.flatMap { $0.maps.map(\.file) }).count == 2)
    }
}
