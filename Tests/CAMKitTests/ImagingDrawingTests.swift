import Foundation
import Testing
import TestSupport
import CAMKit

@Suite struct ImagingDrawingTests {
    /// The image every drawing fixture starts from (the script's pattern(40, 48) // 2, RGB).
    static func base() throws -> Image { try ImagingFixture.image("drawing/base.npy") }

    static func blobs() throws -> ContourSet {
        try Contours.find(in: ImagingFixture.image("contours/blobs.npy"), mode: .tree, method: .simple)
    }

    @Test func drawContoursMatchesOpenCVPython() throws {
        let set = try Self.blobs()
        var all = try Self.base()
        try all.drawContours(set.contours, color: .red)
        #expect(all == (try ImagingFixture.image("drawing/contours_all.npy")))
        var filled = try Self.base()
        try filled.drawContours(set.contours, index: 2, color: .green, thickness: -1)
        #expect(filled == (try ImagingFixture.image("drawing/contours_filled_2.npy")))
        var level0 = try Self.base()
        try level0.drawContours(set, maxLevel: 0, color: Color(red: 10, green: 200, blue: 250), thickness: 2, lineType: .antialiased)
        #expect(level0 == (try ImagingFixture.image("drawing/contours_aa_level0.npy")))
    }

    @Test func tutorialBoxDrawing() throws {
        let set = try Self.blobs()
        let box = try Contours.boxPoints(Contours.minAreaRect(set.contours[1])).map { Point2i(Int($0.x), Int($0.y)) }
        let expected = jsonPoints2i((try ImagingFixture.expected["drawing"] as! [String: Any])["tutorial_box"]!)
        #expect(box == expected)
        var img = try Self.base()
        try img.drawContours([box], index: 0, color: .blue, thickness: 2)
        #expect(img == (try ImagingFixture.image("drawing/tutorial_box.npy")))
    }

    @Test func polylinesRectanglesAndTextMatchOpenCVPython() throws {
        let polys = [
            [Point2i(2, 2), Point2i(20, 5), Point2i(12, 30)],
            [Point2i(30, 35), Point2i(45, 20), Point2i(40, 38), Point2i(25, 39)]
        ]
        var closed = try Self.base()
        try closed.drawPolylines(polys, closed: true, color: .yellow)
        #expect(closed == (try ImagingFixture.image("drawing/polylines_closed.npy")))
        var open = try Self.base()
        try open.drawPolylines(polys, closed: false, color: Color(red: 255, green: 0, blue: 255), thickness: 3, lineType: .antialiased)
        #expect(open == (try ImagingFixture.image("drawing/polylines_open_aa.npy")))
        var four = try Self.base()
        try four.drawPolylines(polys, color: Color(red: 0, green: 128, blue: 255), thickness: 2, lineType: .connected4)
        #expect(four == (try ImagingFixture.image("drawing/polylines_line4.npy")))

        var rects = try Self.base()
        try rects.drawRectangle(from: Point2i(3, 4), to: Point2i(30, 25), color: .white, thickness: 2)
        try rects.drawRectangle(Rect2i(x: 35, y: 30, width: 12, height: 9), color: Color(red: 200, green: 50, blue: 25), thickness: -1)
        try rects.drawRectangle(from: Point2i(-5, 20), to: Point2i(10, 60), color: .green, lineType: .antialiased)
        #expect(rects == (try ImagingFixture.image("drawing/rectangles.npy")))

        var text = try Self.base()
        try text.drawText("CAM 0.87", at: Point2i(1, 15), font: .simplex, scale: 0.4, color: .white)
        try text.drawText("top-1", at: Point2i(2, 34), font: .plain, scale: 1, color: .red, lineType: .antialiased)
        try text.drawText("Ag", at: Point2i(20, 38), font: .complex, scale: 0.5, color: .green, italic: true)
        #expect(text == (try ImagingFixture.image("drawing/text.npy")))

        var gray = try Image(width: 30, height: 20, channels: 1)
        try gray.drawRectangle(from: Point2i(2, 2), to: Point2i(27, 17), color: Color(gray: 200))
        #expect(gray == (try ImagingFixture.image("drawing/gray_rectangle.npy")))
    }

    @Test func textSizesMatchOpenCVPython() throws {
        let sizes = (try ImagingFixture.expected["drawing"] as! [String: Any])["text_sizes"] as! [String: [String: Any]]
        #expect(sizes.count == 3)
        for (text, s) in sizes {
            let font = HersheyFont(rawValue: Int32(s["font"] as! Int))!
            let got = try Image.textSize(text, font: font, scale: (s["scale"] as! NSNumber).doubleValue, thickness: s["thickness"] as! Int)
            #expect([got.width, got.height, got.baseline] == jsonInts(s["size"]!), "\(text)")
        }
    }

    @Test func badDrawingArgumentsThrow() throws {
        var img = try Self.base()
        let before = img
        #expect(throws: CAMError.self) { try img.drawContours([[Point2i(1, 1), Point2i(5, 5)]], index: 3, color: .red) }
        #expect(throws: CAMError.self) { try img.drawRectangle(from: Point2i(0, 0), to: Point2i(5, 5), color: .red, thickness: 40000) }
        #expect(img == before)
        try img.drawPolylines([], color: .red)
        #expect(img == before)
    }
}
