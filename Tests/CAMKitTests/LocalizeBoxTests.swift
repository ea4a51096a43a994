import Foundation
import Testing
import TestSupport
import CAMKit

/// Box extraction against cv2 on the same maps (tools/make_localize_fixtures.py).
@Suite struct LocalizeBoxTests {
    static let rules = LocalizeFixture.expected["rules_checked"] as! [String]

    static func map(for key: String) throws -> FloatMap {
        if key.hasPrefix("special/") { return try LocalizeFixture.special(String(key.dropFirst(8))) }
        let i = Int(key.dropFirst(7))!
        return LocalizeFixture.randomMaps[i].floatMap
    }

    /// Every rule on every special map (blobs, holes, border, empty, constant, ...) and the first
    /// random maps: same "no box" reason, same boxes in the same order as cv2 / the tutorial.
    @Test(arguments: rules) func boxesMatchOpenCV(rule text: String) throws {
        let rule = try BoxRule(parsing: text)
        let all = LocalizeFixture.expected["rules"] as! [String: [String: Any]]
        var checked = 0
        for key in all.keys.sorted() {
            let expected = all[key]![text] as! [String: Any]
            let got = try BoxExtractor.boxes(in: Self.map(for: key), rule: rule)
            if let reason = expected["no_box"] as? String {
                #expect(got == .noBox(NoBoxReason(rawValue: reason)!), "\(key) \(text): \(got)")
                continue
            }
            let boxes = expected["boxes"] as! [[String: Any]]
            guard got.boxes.count == boxes.count else {
                Issue.record("\(key) \(text): \(got.boxes.count) boxes, cv2 has \(boxes.count)")
                continue
            }
            for (b, e) in zip(got.boxes, boxes) {
                let n = doubles(e["normalized"]!)
                let mine = b.normalized.values
                let rotatedComponents = rule.shape == .rotated && rule.regions == .components
                if rotatedComponents {
                    // minAreaRect of a different but hull-equivalent point set: same rectangle
                    // up to float rounding.
                    #expect(zip(mine, n).allSatisfy { abs($0 - $1) < 1e-5 }, "\(key) \(text): \(mine) vs \(n)")
                    let area = Double(b.rotatedRect!.width) * Double(b.rotatedRect!.height)
                    #expect(abs(area - double(e["rect_area"]!)) < 1e-3 * max(1, area), "\(key) \(text) area")
                } else {
                    #expect(mine == n, "\(key) \(text): \(mine) vs \(n)")
                }
                if let ext = e["extent"] as? [Any] {
                    let x = ext.map(int)
                    #expect(b.pixelExtent == PixelBox(x0: x[0], y0: x[1], x1: x[2], y1: x[3]), "\(key) \(text) extent")
                }
                if let c = e["pixel_count"] { #expect(b.pixelCount == int(c), "\(key) \(text) pixels") }
                if let a = e["contour_area"] { #expect(b.contourArea == double(a), "\(key) \(text) contourArea") }
                if text.hasPrefix("tutorial"), let poly = e["polygon"] as? [[Any]] {
                    #expect(b.polygon == poly.map { SIMD2(double($0[0]), double($0[1])) }, "\(key) \(text) corners")
                }
                checked += 1
            }
        }
        #expect(checked > 20)
    }

    /// The tutorial's rule on the tutorial's own kind of input reproduces get_bbox + rect_to_minmax
    /// + get_iou: the ground truth of the tutorial's sample and a box checked by hand.
    @Test func tutorialRuleAndIoU() throws {
        let map = try LocalizeFixture.special("tilted")
        let p = try BoxExtractor.boxes(in: map, rule: .tutorial)
        let box = try #require(p.primary)
        #expect(box.polygon.count == 4)
        // Corners are integers (np.int0) and the hull is their min / max over the size.
        #expect(box.polygon.allSatisfy { $0.x == $0.x.rounded() && $0.y == $0.y.rounded() })
        let xs = box.polygon.map(\.x), ys = box.polygon.map(\.y)
        #expect(box.normalized == BoundingBox(ymin: ys.min()! / 32, xmin: xs.min()! / 32, ymax: ys.max()! / 32, xmax: xs.max()! / 32))
        // The tutorial's printed example: its ground truth against a box.
        let gt = BoundingBox(ymin: 0.10769231, xmin: 0.2007722, ymax: 0.74358976, xmax: 0.8687259)
        #expect(IoU.normalized(gt, gt) == 1)
        // Python's get_iou([0.1, 0.2, 0.7, 0.8], gt), bit for bit.
        #expect(IoU.normalized(BoundingBox(ymin: 0.1, xmin: 0.2, ymax: 0.7, xmax: 0.8), gt) == 0.8257524194520137)
    }

    @Test func emptyAndDegenerateMapsGiveNoBox() throws {
        let zeros = try FloatMap(width: 8, height: 5, repeating: 0)
        let nan = try FloatMap(width: 4, height: 4, repeating: .nan)
        let negative = try FloatMap(width: 4, height: 4, repeating: -1)
        for rule in [
            BoxRule.tutorial, .camkit, .gradCAMPaper, try BoxRule(parsing: "camkit:select=all,shape=rotated"),
            try BoxRule(parsing: "camkit:regions=tree-contours,select=all")
        ] {
            #expect(try BoxExtractor.boxes(in: nan, rule: rule) == .noBox(.emptyMap))
            let z = try BoxExtractor.boxes(in: zeros, rule: rule)
            #expect(z == .noBox(.emptyMap) || z == .noBox(.nothingAboveThreshold))
            #expect(try BoxExtractor.boxes(in: negative, rule: rule).boxes.isEmpty)
        }
        // A constant positive map is all foreground: the whole image.
        let constant = try FloatMap(width: 6, height: 3, repeating: 0.5)
        #expect(try BoxExtractor.boxes(in: constant, rule: .camkit).primary?.normalized == BoundingBox.fullImage)
        // NaN pixels are background; the rest still boxes.
        var partly = try FloatMap(width: 5, height: 5, repeating: .nan)
        partly[2, 3] = 1
        #expect(try BoxExtractor.boxes(in: partly, rule: .camkit).primary?.pixelExtent == PixelBox(x0: 2, y0: 3, x1: 2, y1: 3))
        // Infinite maximum: nothing is relative to it.
        var inf = try FloatMap(width: 3, height: 3, repeating: 0)
        inf[1, 1] = .infinity
        #expect(try BoxExtractor.boxes(in: inf, rule: .camkit) == .noBox(.emptyMap))
        // The best match of no box is 0 with no indices.
        let none = BoxPrediction.noBox(.emptyMap).bestMatch([.fullImage])
        #expect(none.iou == 0 && none.box == nil && none.truth == nil)
    }

    @Test func rotatedBoxesAreClippedToTheImage() throws {
        let map = try LocalizeFixture.special("corners")
        let rule = try BoxRule(parsing: "camkit:shape=rotated,select=all,threshold=0.05")
        for b in try BoxExtractor.boxes(in: map, rule: rule).boxes {
            #expect(b.polygon.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x <= 32 && $0.y <= 32 })
            #expect(b.normalized.isValid())
        }
        var unclipped = rule
        unclipped.clip = false
        let tilted = try BoxExtractor.boxes(in: try LocalizeFixture.special("tilted"), rule: unclipped).primary!
        #expect(tilted.rotatedRect!.angle.truncatingRemainder(dividingBy: 90) != 0)
        // Polygon IoU of the rotated box with its own hull is its area share of the hull.
        let hullIoU = tilted.iou(with: tilted.normalized, mode: .polygon)
        #expect(hullIoU > 0.3 && hullIoU < 1)
        #expect(tilted.iou(with: tilted.normalized, mode: .hull) == 1)
    }

    @Test func ruleParsing() throws {
        let r = try BoxRule(parsing: "camkit:threshold=0.15,select=all,shape=rotated,regions=tree-contours,quantize=yes,clip=no")
        #expect(r.threshold == .fractionOfMax(0.15) && r.selection == .all && r.shape == .rotated)
        #expect(r.regions == .treeContours && r.quantize && !r.clip)
        #expect(try BoxRule(parsing: "tutorial") == .tutorial)
        #expect(try BoxRule(parsing: "camkit:absolute=0.3").threshold == .absolute(0.3))
        #expect(try BoxRule(parsing: "camkit:\(BoxRule.gradCAMPaper.description)") == .gradCAMPaper)
        for bad in ["nope", "camkit:threshold=2", "camkit:select=biggest", "camkit:colour=red", "camkit:threshold"] {
            #expect(throws: CAMError.self) { try BoxRule(parsing: bad) }
        }
    }

    @Test func foregroundMaskEqualsTheElementwiseRule() throws {
        // Values straddling 1/255 (the quantisation edge) and the threshold, NaN and infinities,
        // in a map whose size (13 x 7) leaves a tail after the 16-lane blocks.
        var values: [Float] = []
        var v = Float(1) / 255
        for _ in 0..<20 { v = v.nextDown }
        for _ in 0..<40 { values.append(v); v = v.nextUp }
        values += [.nan, .infinity, -.infinity, 0, 0.05, Float(0.05).nextUp, 0.2, -1, 1, 2, 0.5]
        while values.count < 91 { values.append(Float(values.count % 7) / 20) }
        let map = try FloatMap(width: 13, height: 7, values: values)
        for (threshold, quantize) in [(Float(0), true), (0.05, true), (0.05, false), (-2, false), (Float(1) / 255, true)] {
            let (mask, count) = BoxExtractor.foreground(of: map, threshold: threshold, quantize: quantize)
            let expected = values.map { $0 > threshold && (!quantize || ($0 * 255).rounded(.towardZero) >= 1) }
            #expect(mask == expected.map { $0 ? 255 : 0 }, "threshold \(threshold), quantize \(quantize)")
            #expect(count == expected.filter { $0 }.count)
        }
    }
}
