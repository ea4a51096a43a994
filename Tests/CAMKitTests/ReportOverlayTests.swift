import Foundation
import Testing
import TestSupport
import CAMKit

/// Heatmaps, blends and boxes: the colours land where they should.
struct ReportOverlayTests {
    /// A left-to-right ramp 0 ... 1.
    static func ramp(width: Int, height: Int) throws -> FloatMap {
        try FloatMap(
            width: width, height: height,
            values: (0..<(width * height)).map { Float($0 % width) / Float(width - 1) })
    }

    static func close(_ a: [UInt8], _ b: [Int], tolerance: Int = 3) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Int($0) - $1) <= tolerance }
    }

    /// The ends of each offered colour map are the published ones (matplotlib's viridis and
    /// inferno, Google's turbo, OpenCV's jet: dark blue to dark red), in RGB order.
    @Test func colorMapEndsAreTheKnownColours() throws {
        let map = try Self.ramp(width: 256, height: 2)
        let expected: [(ColorMap, [Int], [Int])] = [
            (.jet, [0, 0, 128], [128, 0, 0]),
            (.viridis, [68, 1, 84], [253, 231, 37]),
            (.inferno, [0, 0, 4], [252, 255, 164]),
            (.turbo, [48, 18, 59], [122, 4, 3])
        ]
        for (colorMap, low, high) in expected {
            let heat = try Overlay.heatmap(map, colorMap: colorMap)
            #expect(heat.channels == 3 && heat.width == 256 && heat.height == 2)
            #expect(Self.close(heat.pixel(x: 0, y: 0), low), "\(colorMap.name) at 0: \(heat.pixel(x: 0, y: 0))")
            #expect(Self.close(heat.pixel(x: 255, y: 1), high), "\(colorMap.name) at 1: \(heat.pixel(x: 255, y: 1))")
        }
        #expect(OverlayStyle().colorMap == .jet)
        #expect(OverlayStyle.suggestedColorMaps == [.jet, .viridis, .inferno, .turbo])
    }

    /// The heatmap-only image is resized to the asked size; out-of-range values are clamped.
    @Test func heatmapOnlyIsResizedAndClamped() throws {
        let map = try FloatMap(width: 4, height: 4, values: [Float](repeating: 2, count: 16))
        let heat = try Overlay.heatmap(map, width: 20, height: 10)
        #expect(heat.width == 20 && heat.height == 10)
        #expect(heat.pixel(x: 10, y: 5) == [128, 0, 0])
    }

    /// `blend` is `cv2.addWeighted(heat, alpha, photo, 1 - alpha, 0)`, rounded to nearest, and the
    /// map is resized to the photo.
    @Test func blendIsAddWeightedOfHeatAndPhoto() throws {
        let photo = try Image(width: 8, height: 6, channels: 3, repeating: 200)
        let map = try FloatMap(width: 2, height: 2, values: [1, 1, 1, 1])
        for alpha in [0.5, 0.3] {
            let out = try Overlay.blend(map, over: photo, style: OverlayStyle(colorMap: .jet, alpha: alpha))
            #expect(out.width == 8 && out.height == 6 && out.channels == 3)
            let expected = [128.0, 0, 0].map { Int(($0 * alpha + 200 * (1 - alpha)).rounded()) }
            #expect(Self.close(out.pixel(x: 3, y: 3), expected, tolerance: 0), "\(out.pixel(x: 3, y: 3)) vs \(expected)")
        }
        // A gray photo is blended as RGB.
        let gray = try Image(width: 8, height: 6, channels: 1, repeating: 0)
        #expect(try Overlay.blend(map, over: gray).channels == 3)
    }

    /// Ground truth in green, predictions in red, the IoU printed on a dark plate beside the
    /// prediction, and nothing else touched.
    @Test func boxesAreGreenAndRedWithTheIoUBeside() throws {
        let photo = try Image(width: 200, height: 160, channels: 3, repeating: 255)
        let truth = BoundingBox(ymin: 0.25, xmin: 0.2, ymax: 0.75, xmax: 0.6)
        let prediction = BoundingBox(ymin: 0.4, xmin: 0.4, ymax: 0.9, xmax: 0.9)
        var style = OverlayStyle()
        style.lineThickness = 2
        let drawn = try Overlay.boxes(on: photo, truth: [truth], predictions: [OverlayBox(prediction, iou: 0.25)], style: style)
        // Truth: pixel rect 40 ..< 120 x 40 ..< 120; its left edge is green.
        let t = truth.pixelRect(width: 200, height: 160)
        #expect(drawn.pixel(x: t.x, y: t.y + 20) == [0, 255, 0])
        // Prediction: x 80 ... 180, y 64 ... 144; its right and bottom edges are red.
        #expect(drawn.pixel(x: 180, y: 120) == [255, 0, 0])
        #expect(drawn.pixel(x: 150, y: 144) == [255, 0, 0])
        // Inside both boxes, away from the label, the photo is untouched.
        #expect(drawn.pixel(x: 100, y: 110) == [255, 255, 255])
        // The label plate sits just above the prediction's top-left corner and holds red text.
        var plate = 0, redText = 0
        for y in 40..<64 {
            for x in 80..<150 {
                let p = drawn.pixel(x: x, y: y)
                if p == [20, 20, 20] { plate += 1 }
                if p[0] > 150 && p[1] < 100 { redText += 1 }
            }
        }
        #expect(plate > 100 && redText > 10, "plate \(plate), red text \(redText)")
        // Without IoU text, the same boxes and no plate.
        style.showIoU = false
        let plain = try Overlay.boxes(on: photo, truth: [truth], predictions: [OverlayBox(prediction, iou: 0.25)], style: style)
        #expect(plain.pixel(x: 180, y: 120) == [255, 0, 0])
        #expect(!(40..<64).contains { y in (80..<150).contains { x in plain.pixel(x: x, y: y) == [20, 20, 20] } })
        // Gray photos come back RGB, colours intact.
        let gray = try Image(width: 200, height: 160, channels: 1, repeating: 255)
        #expect(try Overlay.boxes(on: gray, truth: [truth], predictions: [], style: style).pixel(x: t.x, y: t.y + 20) == [0, 255, 0])
    }

    /// A `MapBox` becomes an `OverlayBox` with its polygon normalised and its best IoU.
    @Test func mapBoxesCarryTheirIoU() throws {
        var values = [Float](repeating: 0, count: 100)
        for y in 2..<6 { for x in 3..<8 { values[y * 10 + x] = 1 } }
        let map = try FloatMap(width: 10, height: 10, values: values)
        let prediction = try BoxExtractor.boxes(in: map, rule: .camkit)
        let box = try #require(prediction.primary)
        let truth = BoundingBox(ymin: 0.2, xmin: 0.3, ymax: 0.6, xmax: 0.8)
        let overlay = OverlayBox(box, truth: [truth])
        #expect(overlay.iou == 1)
        #expect(overlay.outline.allSatisfy { (0...1).contains($0.x) && (0...1).contains($0.y) })
        #expect(OverlayBox(box, truth: []).iou == nil)
    }
}
