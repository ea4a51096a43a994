import Foundation
import Testing
import CAMKit

@Suite struct LocalizeIoUTests {
    @Test func normalizedIoUIsTheTutorials() {
        let a = BoundingBox(ymin: 0, xmin: 0, ymax: 0.5, xmax: 0.5)
        let b = BoundingBox(ymin: 0.25, xmin: 0.25, ymax: 0.75, xmax: 0.75)
        #expect(IoU.normalized(a, b) == 0.0625 / (0.25 + 0.25 - 0.0625))
        #expect(IoU.normalized(a, a) == 1)
        // Disjoint, touching and degenerate boxes.
        #expect(IoU.normalized(a, BoundingBox(ymin: 0.6, xmin: 0.6, ymax: 0.9, xmax: 0.9)) == 0)
        #expect(IoU.normalized(a, BoundingBox(ymin: 0, xmin: 0.5, ymax: 0.5, xmax: 1)) == 0)
        #expect(IoU.normalized(BoundingBox(ymin: 0.3, xmin: 0.3, ymax: 0.3, xmax: 0.3), BoundingBox(ymin: 0.3, xmin: 0.3, ymax: 0.3, xmax: 0.3)) == 0)
        // Symmetric.
        #expect(IoU.normalized(a, b) == IoU.normalized(b, a))
        // Contained box: area ratio.
        #expect(IoU.normalized(.fullImage, a) == 0.25)
    }

    @Test func inclusiveIoUIsWsolevaluations() {
        // Single pixels: identical -> 1, neighbours -> 0.
        let p = PixelBox(x0: 3, y0: 3, x1: 3, y1: 3)
        #expect(IoU.inclusive(p, p) == 1)
        #expect(IoU.inclusive(p, PixelBox(x0: 4, y0: 3, x1: 4, y1: 3)) == 0)
        // 10x10 and a 5x10 half: 50 / 100.
        let a = PixelBox(x0: 0, y0: 0, x1: 9, y1: 9)
        #expect(IoU.inclusive(a, PixelBox(x0: 0, y0: 0, x1: 4, y1: 9)) == 0.5)
        // The "no contour" box (0, 0, 0, 0) overlaps a ground truth that holds pixel (0, 0).
        #expect(IoU.inclusive(PixelBox(x0: 0, y0: 0, x1: 0, y1: 0), a) == 0.01)
        // Inverted boxes give a non-positive denominator -> 0 (like wsolevaluation's degenerate guard).
        #expect(IoU.inclusive(PixelBox(x0: 5, y0: 5, x1: 1, y1: 1), PixelBox(x0: 5, y0: 5, x1: 1, y1: 1)) == 0)
    }

    @Test func polygonIoU() {
        let square: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(2, 0), SIMD2(2, 2), SIMD2(0, 2)]
        #expect(IoU.polygon(square, square) == 1)
        // Orientation does not matter.
        #expect(IoU.polygon(square, square.reversed()) == 1)
        // Half overlap of two unit-height rectangles: 2 / (4 + 4 - 2).
        let shifted = square.map { $0 + SIMD2(1, 0) }
        #expect(abs(IoU.polygon(square, shifted) - 2.0 / 6.0) < 1e-12)
        // A diamond inscribed in the square: area 2 of 4.
        let diamond: [SIMD2<Double>] = [SIMD2(1, 0), SIMD2(2, 1), SIMD2(1, 2), SIMD2(0, 1)]
        #expect(abs(IoU.polygon(square, diamond) - 0.5) < 1e-12)
        // The square rotated by 45 degrees about its centre: intersection is a regular octagon.
        let c = SIMD2<Double>(1, 1), r = sqrt(2.0)
        let rotated = (0..<4).map { k -> SIMD2<Double> in
            let t = Double.pi / 2 * Double(k)
            return c + SIMD2(r * cos(t), r * sin(t))
        }
        let octagon = 8 * (sqrt(2.0) - 1)  // area of the octagon for a square of side 2
        #expect(abs(IoU.polygon(square, rotated) - octagon / (8 - octagon)) < 1e-12)
        // Disjoint and degenerate.
        #expect(IoU.polygon(square, square.map { $0 + SIMD2(5, 5) }) == 0)
        #expect(IoU.polygon([SIMD2(0, 0), SIMD2(1, 1)], square) == 0)
        #expect(IoU.polygon([SIMD2(0, 0), SIMD2(1, 1), SIMD2(2, 2)], [SIMD2(0, 0), SIMD2(1, 1), SIMD2(2, 2)]) == 0)
        // Axis-aligned polygons agree with the box formula.
        let a = BoundingBox(ymin: 0.1, xmin: 0.2, ymax: 0.6, xmax: 0.7), b = BoundingBox(ymin: 0.3, xmin: 0.1, ymax: 0.9, xmax: 0.5)
        #expect(abs(IoU.polygon(a.outline, b.outline) - IoU.normalized(a, b)) < 1e-12)
    }

    @Test func bestMatchOverSeveralGroundTruths() throws {
        let truths = [BoundingBox(ymin: 0, xmin: 0, ymax: 0.2, xmax: 0.2), BoundingBox(ymin: 0.5, xmin: 0.5, ymax: 1, xmax: 1)]
        let best = IoU.best(BoundingBox(ymin: 0.5, xmin: 0.5, ymax: 0.9, xmax: 1), among: truths, IoU.normalized)
        #expect(best?.index == 1)
        #expect(best?.iou == 0.8)
        #expect(IoU.best(BoundingBox.fullImage, among: [], IoU.normalized) == nil)
        // Through BoxPrediction: two boxes, two truths.
        var map = try FloatMap(width: 10, height: 10, repeating: 0)
        map[0, 0] = 1; map[1, 1] = 1
        map[8, 8] = 1; map[9, 9] = 1; map[8, 9] = 1; map[9, 8] = 1
        let p = try BoxExtractor.boxes(in: map, rule: BoxRule(parsing: "camkit:select=all"))
        #expect(p.boxes.count == 2)
        // Box 0 covers (0, 0)-(1, 1), exactly truth 0.
        let m = p.bestMatch(truths)
        #expect(m.box == 0 && m.truth == 0 && m.iou == 1)
        // Without truth 0, box 1 against truth 1 is the best.
        let m2 = p.bestMatch([truths[1]])
        #expect(m2.box == 1 && m2.truth == 0)
        #expect(m2.iou == IoU.normalized(BoundingBox(ymin: 0.8, xmin: 0.8, ymax: 1, xmax: 1), truths[1]))
    }

    @Test func wsolGroundTruthResizing() {
        // resize_bbox truncates: 299 * 26 / 300 = 25.91 -> 25.
        #expect(
            WSOLProtocol.resizeBox(PixelBox(x0: 10, y0: 20, x1: 299, y1: 199), from: (300, 200), to: (26, 26))
                == PixelBox(x0: 0, y0: 2, x1: 25, y1: 25))
        // Normalised boxes from integer pixel boxes come back exactly.
        for (w, h) in [(37, 311), (399, 41), (224, 224)] {
            for x in [0, 1, 17, w - 1, w] {
                let b = BoundingBox(
                    ymin: Double(h / 3) / Double(h), xmin: Double(x) / Double(w), ymax: Double(h) / Double(h), xmax: Double(w) / Double(w))
                #expect(WSOLProtocol.pixelBox(b, width: w, height: h) == PixelBox(x0: x, y0: h / 3, x1: w, y1: h))
            }
        }
        let t = try! WSOLProtocol.thresholds()
        #expect(t.count == 1000 && t[0] == 0 && t[1] == 0.001 && t[999] == 999 * 0.001)
        #expect(WSOLProtocol.quantize([0, 0.999, 1, 0.2, 0.0039215]) == [0, 254, 255, 51, 0])
        #expect(WSOLProtocol.cutoffs([0, 0.5, 0.999], maxByte: 255) == [0, 127, 254])
    }
}
