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
}
