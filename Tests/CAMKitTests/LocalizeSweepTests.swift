import Foundation
import Testing
import TestSupport
import CAMKit

/// The single-pass union-find sweep against contour tracing and flood fill, at every threshold.
@Suite struct LocalizeSweepTests {
    /// The boxes OpenCV's contours give for `{v > tau}`: `RETR_CCOMP` top-level contours
    /// (outer boundaries of every 8-connected component) and `RETR_EXTERNAL` (outermost only).
    static func contourBoxes(_ mask: [Bool], width: Int, height: Int, mode: ContourRetrieval) throws -> [PixelBox] {
        let image = try Image(width: width, height: height, channels: 1, pixels: mask.map { $0 ? 255 : 0 })
        let set = try Contours.find(in: image, mode: mode, method: .simple)
        return try set.contours.indices.filter { set.hierarchy[$0].parent == nil }.map { i in
            let r = try Contours.boundingRect(set.contours[i])
            return PixelBox(x0: r.x, y0: r.y, x1: r.x + r.width - 1, y1: r.y + r.height - 1)
        }
    }

    static func sorted(_ b: [PixelBox]) -> [PixelBox] {
        b.sorted { ($0.y0, $0.x0, $0.y1, $0.x1) < ($1.y0, $1.x0, $1.y1, $1.x1) }
    }

    struct Agreement {
        var maps = 0, thresholds = 0, distinctMasks = 0, boxSetsEqual = 0, largestEqual = 0, externalDiffers = 0
    }

    /// Runs the sweep over `map` at `taus` and checks every threshold against the contour and
    /// flood-fill references.
    static func check(_ map: FloatMap, taus: [Float], into a: inout Agreement, label: String) throws {
        let sweep = ComponentSweep(map)
        let w = map.width, h = map.height
        var lastCount = -1
        var reference: (boxes: [PixelBox], largest: ComponentStats?, external: [PixelBox]) = ([], nil, [])
        let snaps = try sweep.snapshots(thresholds: taus, collectComponents: true)
        // Visit in descending order so that equal foreground counts mean equal masks.
        for i in taus.indices.sorted(by: { taus[$0] > taus[$1] }) {
            let tau = taus[i], s = snaps[i]
            let mask = map.values.map { $0 > tau }
            let count = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
            #expect(s.foregroundCount == count, "\(label) tau \(tau)")
            if count != lastCount {
                let comps = floodFillComponents(mask, width: w, height: h)
                let largest = comps.max { ($0.pixelCount, -$0.firstPixel) < ($1.pixelCount, -$1.firstPixel) }
                reference = (
                    sorted(try contourBoxes(mask, width: w, height: h, mode: .ccomp)), largest,
                    sorted(try contourBoxes(mask, width: w, height: h, mode: .external))
                )
                #expect(sorted(comps.map(\.box)) == reference.boxes, "\(label): flood fill and CCOMP contours disagree")
                lastCount = count
                a.distinctMasks += 1
                if reference.external != reference.boxes { a.externalDiffers += 1 }
            }
            a.thresholds += 1
            let mine = sorted(s.components.map(\.box))
            if mine == reference.boxes {
                a.boxSetsEqual += 1
            } else {
                Issue.record("\(label) tau \(tau): sweep \(mine) vs contours \(reference.boxes)")
            }
            #expect(s.componentCount == reference.boxes.count)
            if s.largest == reference.largest {
                a.largestEqual += 1
            } else {
                Issue.record("\(label) tau \(tau): largest \(String(describing: s.largest)) vs \(String(describing: reference.largest))")
            }
        }
        a.maps += 1
    }

    /// All 200 random maps, 1000 thresholds each (wsolevaluation's grid as fractions of the max):
    /// the sweep's component boxes equal the boxes of OpenCV's RETR_CCOMP outer contours, and its
    /// largest component equals a flood fill's, at every threshold.
    @Test func sweepEqualsContoursOn200Maps() throws {
        let fractions = try WSOLProtocol.thresholds()
        var a = Agreement()
        for (k, m) in LocalizeFixture.randomMaps.enumerated() {
            let map = m.floatMap
            let mx = map.range!.upperBound
            let taus = fractions.map { Float($0) * mx }
            try Self.check(map, taus: taus, into: &a, label: "random \(k)")
        }
        #expect(a.maps == 200)
        #expect(a.thresholds == 200_000)
        #expect(a.boxSetsEqual == a.thresholds)
        #expect(a.largestEqual == a.thresholds)
        print(
            "sweep vs contours: \(a.maps) maps, \(a.thresholds) thresholds, \(a.distinctMasks) distinct masks; box sets equal at \(a.boxSetsEqual), largest equal at \(a.largestEqual); RETR_EXTERNAL differs (nested components) at \(a.externalDiffers) masks"
        )
    }

    /// Larger maps (random maps upsampled to 104x104, cv2 bilinear) and the special maps
    /// (holes with a blob inside, border blobs, plateaus, ties) at every distinct value.
    @Test func sweepEqualsContoursOnLargerAndSpecialMaps() throws {
        var a = Agreement()
        for k in stride(from: 0, to: 200, by: 10) {
            let map = try LocalizeFixture.randomMaps[k].floatMap.resized(width: 104, height: 104, interpolation: .linear)
            let mx = map.range!.upperBound
            try Self.check(map, taus: (0..<200).map { Float(Double($0) / 200) * mx }, into: &a, label: "upsampled \(k)")
        }
        for name in [
            "blobs", "ring_hole", "ring_only", "border", "corners", "plateaus", "tied", "wide", "tilted", "diagonals", "hot_pixel", "constant",
            "negative", "empty"
        ] {
            let map = try LocalizeFixture.special(name)
            let values = Set(map.values).sorted()
            try Self.check(map, taus: values + [-1, 2], into: &a, label: name)
        }
        #expect(a.boxSetsEqual == a.thresholds && a.largestEqual == a.thresholds)
        // The nested blob in ring_hole is a component of its own, which RETR_EXTERNAL would drop.
        #expect(a.externalDiffers > 0)
    }

    @Test func sweepEdgeCases() throws {
        let sweep = ComponentSweep(try FloatMap(width: 3, height: 2, values: [.nan, 1, .nan, 0.5, .nan, 1]))
        let s = try sweep.snapshots(thresholds: [2, 0.7, 0, -.infinity], collectComponents: true)
        #expect(s[0].componentCount == 0 && s[0].largest == nil)
        // Pixels (1,0) and (2,1) touch diagonally: one component.
        #expect(s[1].componentCount == 1 && s[1].largest?.box == PixelBox(x0: 1, y0: 0, x1: 2, y1: 1))
        #expect(s[2].foregroundCount == 3 && s[2].componentCount == 1)
        #expect(s[3].foregroundCount == 3 && !s[3].changed)
        #expect(throws: CAMError.self) { try sweep.snapshots(thresholds: [.nan]) }
        // Ties: two 4-pixel components; the first in raster order wins.
        var m = try FloatMap(width: 6, height: 6, repeating: 0)
        for (x, y) in [(4, 0), (5, 0), (4, 1), (5, 1), (0, 4), (1, 4), (0, 5), (1, 5)] { m[x, y] = 1 }
        let tie = try ComponentSweep(m).snapshots(thresholds: [0.5])[0]
        #expect(tie.largest?.box == PixelBox(x0: 4, y0: 0, x1: 5, y1: 1))
    }
}
