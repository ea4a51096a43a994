import Foundation
import Testing
import TestSupport
import CAMKit

@Suite struct ImagingContoursTests {
    static var contoursJSON: [String: Any] { try! ImagingFixture.json("contours/contours.json") }

    static let retrievals: [(String, ContourRetrieval)] = [
        ("external", .external), ("list", .list), ("ccomp", .ccomp), ("tree", .tree), ("floodfill", .floodFill)
    ]
    static let approximations: [(String, ContourApproximation)] = [
        ("none", .none), ("simple", .simple), ("tc89_l1", .tc89L1), ("tc89_kcos", .tc89KCOS)
    ]

    /// Every retrieval mode x approximation method on a mask with holes, an island, border blobs,
    /// a single pixel and a diagonal line: same contours, same order, same hierarchy as cv2.
    @Test func findContoursMatchesOpenCVPython() throws {
        let mask = try ImagingFixture.image("contours/blobs.npy")
        let find = Self.contoursJSON["find"] as! [String: Any]
        for (rname, mode) in Self.retrievals {
            for (aname, method) in Self.approximations {
                let expected = find["\(rname)/\(aname)"] as! [String: Any]
                let got = try Contours.find(in: mask, mode: mode, method: method)
                let expectedContours = (expected["contours"] as! [Any]).map(jsonPoints2i)
                #expect(got.contours == expectedContours, "\(rname)/\(aname)")
                let expectedLinks = (expected["hierarchy"] as! [Any]).map(jsonInts)
                let links = got.hierarchy.map { [$0.next, $0.previous, $0.firstChild, $0.parent].map { $0 ?? -1 } }
                #expect(links == expectedLinks, "\(rname)/\(aname) hierarchy")
            }
        }
    }

    @Test func treeHasTheHoleAndIsland() throws {
        let set = try Contours.find(in: ImagingFixture.image("contours/blobs.npy"), mode: .tree, method: .simple)
        // Some contour has a child which has a child (disc -> hole -> island).
        let depth2 = set.hierarchy.contains { $0.parent.flatMap { set.hierarchy[$0].parent } != nil }
        #expect(depth2)
        #expect(try set.largestIndex() != nil)
        let external = try Contours.find(in: ImagingFixture.image("contours/blobs.npy"), mode: .external)
        #expect(external.hierarchy.allSatisfy { $0.parent == nil && $0.firstChild == nil })
    }

    /// contourArea (plain and oriented), minAreaRect, boxPoints and boundingRect of every contour.
    @Test func measuresMatchOpenCVPython() throws {
        let measures = Self.contoursJSON["tree_none_measures"] as! [[String: Any]]
        #expect(measures.count >= 10)
        for (i, m) in measures.enumerated() {
            let pts = jsonPoints2i(m["points"]!)
            #expect(try Contours.area(pts) == (m["area"] as! NSNumber).doubleValue, "area \(i)")
            #expect(try Contours.area(pts, oriented: true) == (m["oriented_area"] as! NSNumber).doubleValue, "oriented \(i)")
            let rect = try Contours.minAreaRect(pts)
            #expect(rect == jsonRotatedRect(m["min_area_rect"]!), "minAreaRect \(i): \(rect)")
            #expect(try Contours.boxPoints(rect) == jsonPoints2f(m["box_points"]!), "boxPoints \(i)")
            let b = jsonInts(m["bounding_rect"]!)
            #expect(try Contours.boundingRect(pts) == Rect2i(x: b[0], y: b[1], width: b[2], height: b[3]), "boundingRect \(i)")
        }
    }

    @Test func floatPointsAndBoxPointsMatchOpenCVPython() throws {
        let f = Self.contoursJSON["float_points"] as! [String: Any]
        let pts = jsonPoints2f(f["points"]!)
        #expect(try Contours.minAreaRect(pts) == jsonRotatedRect(f["min_area_rect"]!))
        #expect(try Contours.area(pts) == (f["area"] as! NSNumber).doubleValue)
        let b = jsonInts(f["bounding_rect"]!)
        #expect(try Contours.boundingRect(pts) == Rect2i(x: b[0], y: b[1], width: b[2], height: b[3]))
        for box in Self.contoursJSON["box_points"] as! [[String: Any]] {
            let r = jsonRotatedRect(box["rect"]!)
            #expect(try Contours.boxPoints(r) == jsonPoints2f(box["points"]!), "\(r)")
        }
    }

    @Test func degenerateInputsDoNotCrash() throws {
        let empty = try Image(width: 5, height: 5, channels: 1)
        let set = try Contours.find(in: empty)
        #expect(set.isEmpty)
        #expect(Self.contoursJSON["empty_mask_count"] as! Int == 0)
        #expect(try set.largestIndex() == nil)
        #expect(try Contours.area([Point2i]()) == 0)
        #expect(try Contours.boundingRect([Point2i]()) == Rect2i(x: 0, y: 0, width: 0, height: 0))
        #expect(try Contours.minAreaRect([Point2i(3, 4)]).center == Point2f(3, 4))
        let rgb = try Image(width: 5, height: 5, channels: 3)
        #expect { _ = try Contours.find(in: rgb) } throws: { ($0 as! CAMError).message.contains("1 channel") }
    }

    /// The tutorial's get_bbox: zero values <= 0.05, (cam * 255).astype(uint8), findContours(TREE, SIMPLE),
    /// the first contour, minAreaRect, boxPoints, int0.
    @Test func tutorialBoundingBoxPipeline() throws {
        let cam = try ImagingFixture.map("contours/cam7.npy")
        let up = try cam.resized(width: 64, height: 48)
        let expectedUp = try ImagingFixture.map("contours/cam_up.npy")
        #expect(maxAbsDifference(up.values, expectedUp.values) == 0)
        let zeroed = try up.thresholded(0.05, type: .toZero)
        let u8 = zeroed.toImage(scale: 255, rounding: .truncate)
        #expect(u8 == (try ImagingFixture.image("contours/cam_u8.npy")))
        let set = try Contours.find(in: u8, mode: .tree, method: .simple)
        let t = Self.contoursJSON["tutorial_bbox"] as! [String: Any]
        #expect(set.contours.first == jsonPoints2i(t["first_contour"]!))
        let rect = try Contours.minAreaRect(set.contours[0])
        #expect(rect == jsonRotatedRect(t["min_area_rect"]!))
        let box = try Contours.boxPoints(rect)
        #expect(box == jsonPoints2f(t["box_points"]!))
        #expect(box.map { Point2i(Int($0.x), Int($0.y)) } == jsonPoints2i(t["box_int0"]!))
    }
}
