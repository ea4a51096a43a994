import Foundation
import Testing
import TestSupport
import Torch
import CAMKit
@testable import CAMCore
@testable import CAMImaging
@testable import CAMFormats
@testable import CAMModels
@testable import CAMData
@testable import CAMExplain
@testable import CAMLocalize
@testable import CAMTrain
@testable import CAMReport
@testable import CAMJobs

/// Panels: layout, captions, tile contents, and the model-driven builder.
struct ReportPanelTests {
    /// Whether the caption strip above `frame` has dark (text) pixels.
    static func hasCaptionText(_ image: Image, above frame: Rect2i, height: Int) -> Bool {
        for y in Swift.max(0, frame.y - height)..<frame.y {
            for x in frame.x..<(frame.x + frame.width) where image.pixel(x: x, y: y)[0] < 120 { return true }
        }
        return false
    }

    static func maps(_ n: Int) throws -> [PanelMap] {
        let names = [("cam", "layer4"), ("gradcam", "layer4"), ("gradcam", "layer3"), ("gradcam", "layer2")]
        return try (0..<n).map { i in
            PanelMap(
                method: names[i].0, layer: names[i].1, classIndex: 1,
                map: try ReportOverlayTests.ramp(width: 16, height: 8),
                boxes: [OverlayBox(BoundingBox(ymin: 0.1, xmin: 0.5, ymax: 0.9, xmax: 0.95), iou: 0.5 + Double(i) / 10)],
                bestIoU: 0.5 + Double(i) / 10)
        }
    }

    /// Photo plus one column per map, one row per requested row, every tile the same size, a
    /// caption over each, sizes from the layout rule.
    @Test func layoutHasATilePerRowAndColumnWithCaptions() throws {
        let photo = try Image(width: 100, height: 50, channels: 3, repeating: 230)
        var options = PanelOptions(layers: ["layer4"])
        options.tileHeight = 64
        let truth = [BoundingBox(ymin: 0.2, xmin: 0.1, ymax: 0.8, xmax: 0.6)]
        let panel = try PanelBuilder.compose(original: photo, truth: truth, maps: Self.maps(4), options: options)
        #expect(panel.tiles.count == 2 * 5)
        let layout = PanelBuilder.Layout(tileWidth: 128, tileHeight: 64, columns: 5, rows: 2, hasTitle: false)
        #expect(panel.image.width == layout.width && panel.image.height == layout.height)
        #expect(panel.image.width == 2 * layout.margin + 5 * 128 + 4 * layout.gap)
        for tile in panel.tiles {
            #expect(tile.frame.width == 128 && tile.frame.height == 64)
            #expect(tile.frame.x + tile.frame.width <= panel.image.width && tile.frame.y + tile.frame.height <= panel.image.height)
            #expect(Self.hasCaptionText(panel.image, above: tile.frame, height: layout.captionHeight), "no caption over \(tile.caption)")
        }
        let captions = panel.tiles.map(\.caption)
        #expect(captions[0] == "original" && captions[1] == "CAM layer4" && captions[2] == "Grad-CAM layer4")
        #expect(captions[3] == "Grad-CAM layer3" && captions[4] == "Grad-CAM layer2")
        #expect(captions[5] == "ground truth (green)")
        #expect(captions[6] == "CAM layer4 IoU 0.50" && captions[9] == "Grad-CAM layer2 IoU 0.80")
        // The photo tile shows the photo; the boxes row draws the ground truth in green.
        let first = panel.tiles[0].frame
        #expect(panel.image.pixel(x: first.x + 64, y: first.y + 32) == [230, 230, 230])
        let boxes = panel.tiles[5].frame
        let r = truth[0].pixelRect(width: 128, height: 64)
        #expect(panel.image.pixel(x: boxes.x + r.x, y: boxes.y + r.y + 10) == [0, 255, 0])
        // A map tile in the boxes row has the prediction's red right edge (x = 0.95 * 128).
        let m = panel.tiles[6].frame
        #expect(panel.image.pixel(x: m.x + 122, y: m.y + 40) == [255, 0, 0])
        // Overlay tiles are blends: the ramp's high end is reddish, the low end bluish.
        let o = panel.tiles[1].frame
        let left = panel.image.pixel(x: o.x + 2, y: o.y + 32), right = panel.image.pixel(x: o.x + 125, y: o.y + 32)
        #expect(left[2] > left[0] && right[0] > right[2])
    }

    /// A title adds a strip on top; rows can be chosen; tall images keep their aspect within bounds.
    @Test func titleRowsAndAspect() throws {
        let photo = try Image(width: 60, height: 120, channels: 3, repeating: 10)
        var options = PanelOptions(layers: ["layer4"])
        options.tileHeight = 100
        options.rows = [.heatmap, .overlay, .boxes]
        let plain = try PanelBuilder.compose(original: photo, truth: [], maps: Self.maps(2), options: options)
        let titled = try PanelBuilder.compose(original: photo, truth: [], maps: Self.maps(2), options: options, title: "car 7 | Audi")
        #expect(plain.tiles.count == 9 && plain.tiles.allSatisfy { $0.frame.width == 50 && $0.frame.height == 100 })
        #expect(titled.image.height > plain.image.height && titled.image.width == plain.image.width)
        #expect(plain.tiles[3].row == .overlay && plain.tiles[6].caption == "no ground truth")
        // Heatmap tiles are the map alone: jet's dark blue at the ramp's low end.
        let h = plain.tiles[1].frame
        #expect(plain.image.pixel(x: h.x, y: h.y + 50) == [0, 0, 128])
        // Without a map, the tile is the photo and the caption says so.
        var noMap = try Self.maps(1)
        noMap[0].map = nil
        let boxesOnly = try PanelBuilder.compose(original: photo, truth: [], maps: noMap, options: options)
        #expect(boxesOnly.tiles[1].caption == "CAM layer4 (no map)")
        #expect(throws: CAMError.self) {
            var o = options
            o.rows = []
            _ = try PanelBuilder.compose(original: photo, truth: [], maps: [], options: o)
        }
    }

    /// With a model: one panel per image, CAM only at the last layer and Grad-CAM at each layer,
    /// captions with the IoUs of the maps' boxes against the ground truth.
    @Test func buildFromAModel() throws {
        try Runtime.manualSeed(1)
        let model = try ResNet(ResNetSpec.named("small", classes: 3))
        let loaded = LoadedModel(
            model: model, info: ModelInfo(spec: model.spec, preprocessing: .imagenet, inputSize: 48),
            source: URL(fileURLWithPath: "/dev/null"))
        let data = try DatasetSpec.parse("synthetic:seed=2,classes=3,train=2,test=3,size=48:test").open()
        let samples = try (0..<3).map { try data.sample(at: $0) }
        var options = PanelOptions(methods: [.cam, .gradCAM], layers: ["layer4", "layer3", "layer2"])
        options.tileHeight = 48
        options.batchSize = 2
        let panels = try PanelBuilder.build(
            model: loaded, images: samples.map { try $0.loadImage() }, truths: samples.map(\.boxes),
            targets: samples.map(\.label), options: options, titles: samples.map(\.id))
        #expect(panels.count == 3)
        for (p, s) in zip(panels, samples) {
            #expect(p.maps.map(\.title) == ["CAM layer4", "Grad-CAM layer4", "Grad-CAM layer3", "Grad-CAM layer2"])
            #expect(p.tiles.count == 2 * 5)
            #expect(p.classIndex == s.label && p.maps.allSatisfy { $0.classIndex == s.label })
            #expect(p.predictedClass != nil && (0...1).contains(p.probability ?? -1))
            for (m, tile) in zip(p.maps, p.tiles[6...]) {
                let iou = try #require(m.bestIoU)
                #expect((0...1).contains(iou))
                #expect(tile.caption == (m.noBox == nil ? String(format: "%@ IoU %.2f", m.title, iou) : "\(m.title) no box"))
                #expect(m.map.map { $0.width == s.width && $0.height == s.height } == true)
            }
        }
        // One image, predicted class, no ground truth: no IoU in the captions.
        let single = try PanelBuilder.build(model: loaded, image: samples[0].loadImage(), options: options)
        #expect(single.maps.allSatisfy { $0.bestIoU == nil } && single.classIndex == single.predictedClass)
        #expect(!single.tiles.contains { $0.caption.contains("IoU") })
        // At the model's input size the boxes are those `camkit evaluate` scores.
        options.boxResolution = .modelInput
        let wide = try samples[0].loadImage().resized(width: 64, height: 40)
        let e = try PanelBuilder.explain(model: loaded, images: [wide], options: options)
        #expect(e[0].maps.allSatisfy { $0.map?.width == 48 && $0.map?.height == 48 })
        options.boxResolution = .image
        #expect(try PanelBuilder.explain(model: loaded, images: [wide], options: options)[0].maps.allSatisfy { $0.map?.width == 64 })
        #expect(throws: CAMError.self) {
            try PanelBuilder.build(model: loaded, images: [samples[0].loadImage()], truths: [], options: options)
        }
    }
}
