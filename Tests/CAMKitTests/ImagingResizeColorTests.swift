import Foundation
import Testing
import TestSupport
import CAMKit

@Suite struct ImagingResizeColorTests {
    static let interpolations: [(String, Interpolation)] = [
        ("nearest", .nearest), ("linear", .linear), ("cubic", .cubic), ("area", .area),
        ("lanczos4", .lanczos4), ("linear_exact", .linearExact), ("nearest_exact", .nearestExact)
    ]

    @Test func fixtureListsTheSameInterpolations() throws {
        let resize = try ImagingFixture.expected["resize"] as! [String: Any]
        #expect(resize["interpolations"] as! [String] == Self.interpolations.map(\.0))
    }

    /// 8-bit resizes are integer code in OpenCV: exactly equal, up and down, every method.
    @Test func uint8ResizeMatchesOpenCVPython() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        for (tag, w, h) in [("up", 37, 29), ("down", 11, 7)] {
            for (i, (name, method)) in Self.interpolations.enumerated() {
                let expected = try ImagingFixture.image("resize/u8_\(tag).npy", index: i)
                let got = try src.resized(width: w, height: h, interpolation: method)
                #expect(got == expected, "\(name) \(tag): max difference \(maxSampleDifference(got, expected))")
            }
        }
    }

    /// Float resizes run the same single-precision code as the wheel on this CPU.
    @Test func floatResizeMatchesOpenCVPython() throws {
        let map = try ImagingFixture.map("resize/map_f32.npy")
        for (tag, w, h) in [("up", 31, 23), ("down", 5, 4)] {
            for (i, (name, method)) in Self.interpolations.enumerated() {
                let expected = try ImagingFixture.map("resize/f32_\(tag).npy", index: i)
                let got = try map.resized(width: w, height: h, interpolation: method)
                #expect(got.width == w && got.height == h)
                #expect(maxAbsDifference(got.values, expected.values) == 0, "\(name) \(tag): \(maxAbsDifference(got.values, expected.values))")
            }
        }
    }

    @Test func resizeRejectsBadSizesWithoutCrashing() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        #expect { _ = try src.resized(width: 0, height: 5) } throws: { ($0 as! CAMError).message.contains("positive") }
        #expect(throws: CAMError.self) { _ = try src.resized(width: -3, height: 5) }
        #expect(Interpolation(name: "bilinear") == .linear)
        #expect(Interpolation(name: "nearest_exact") == .nearestExact)
        #expect(Interpolation(name: "bogus") == nil)
    }

    @Test func floatThresholdMatchesOpenCVPython() throws {
        let map = try ImagingFixture.map("resize/map_f32.npy")
        for (i, type) in ThresholdType.allCases.enumerated() {
            #expect(Int(type.rawValue) == i)
            let expected = try ImagingFixture.map("threshold/f32.npy", index: i)
            #expect(try map.thresholded(0.3, maxValue: 1, type: type) == expected, "\(type)")
        }
    }

    @Test func uint8ThresholdsIncludingOtsuAndTriangle() throws {
        let gray = try ImagingFixture.image("color/rgb2gray.npy")
        let t = try ImagingFixture.expected["threshold"] as! [String: Any]
        let otsu = try gray.thresholdedReportingValue(type: .binary, automatic: .otsu)
        #expect(otsu.image == (try ImagingFixture.image("threshold/u8_otsu.npy")))
        #expect(otsu.threshold == (t["otsu"] as! NSNumber).doubleValue)
        let tri = try gray.thresholdedReportingValue(type: .binary, automatic: .triangle)
        #expect(tri.image == (try ImagingFixture.image("threshold/u8_triangle.npy")))
        #expect(tri.threshold == (t["triangle"] as! NSNumber).doubleValue)
        #expect(try gray.thresholded(100, type: .toZero) == ImagingFixture.image("threshold/u8_tozero_100.npy"))
        // Otsu needs one channel: OpenCV's assertion comes back as an error.
        let rgb = try gray.converted(.grayToRGB)
        #expect { _ = try rgb.thresholdedReportingValue(type: .binary, automatic: .otsu) } throws: {
            ($0 as! CAMError).message.contains("OpenCV")
        }
    }

    @Test func colorConversionsMatchOpenCVPython() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        let gray = try src.converted(.rgbToGray)
        #expect(gray == (try ImagingFixture.image("color/rgb2gray.npy")))
        #expect(try gray.converted(.grayToRGB) == ImagingFixture.image("color/gray2rgb.npy"))
        #expect(try gray.replicatedToRGB() == ImagingFixture.image("color/gray2rgb.npy"))
        let rgba = try ImagingFixture.image("color/rgba_input.npy")
        #expect(try rgba.converted(.rgbaToRGB) == ImagingFixture.image("color/rgba2rgb.npy"))
        #expect(try rgba.converted(.rgbaToGray) == ImagingFixture.image("color/rgba2gray.npy"))
        let bgr = try src.converted(.rgbToBGR)
        #expect(bgr.pixel(x: 1, y: 2) == src.pixel(x: 1, y: 2).reversed())
        #expect(try bgr.converted(.bgrToRGB) == src)
        #expect(try bgr.converted(.bgrToGray) == gray)
        // Wrong channel count: OpenCV's message, no crash.
        #expect { _ = try gray.converted(.rgbToGray) } throws: { ($0 as! CAMError).message.contains("Invalid number of channels") }
    }

    /// Every OpenCV colour map over all 256 levels, exactly.
    @Test func colorMapsMatchOpenCVPython() throws {
        let names = try ImagingFixture.expected["colormaps"] as! [String]
        #expect(names.count == ColorMap.allCases.count)
        let ramp = try ImagingFixture.image("color/ramp.npy")
        for (i, map) in ColorMap.allCases.enumerated() {
            #expect(map.name.replacingOccurrences(of: "-", with: "_") == names[i])
            #expect(ColorMap(name: names[i]) == map)
            let expected = try ImagingFixture.image("color/colormaps.npy", index: i)
            #expect(try ramp.applyingColorMap(map) == expected, "\(map)")
        }
        #expect(ColorMap(name: "Twilight-Shifted") == .twilightShifted)
        #expect(ColorMap(name: "nope") == nil)
        let rgb = try ramp.converted(.grayToRGB)
        #expect(throws: CAMError.self) { _ = try rgb.applyingColorMap(.jet) }
    }

    @Test func addWeightedMatchesOpenCVPython() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        // The other input is src turned 180 degrees.
        var other = src
        for y in 0..<src.height {
            for x in 0..<src.width {
                for c in 0..<3 {
                    other[x, y, c] = src[src.width - 1 - x, src.height - 1 - y, c]
                }
            }
        }
        #expect(try Image.addWeighted(src, 0.3, other, 0.7, gamma: 5) == ImagingFixture.image("color/addweighted_a03_b07_g5.npy"))
        #expect(try src.blended(with: other, alpha: 0.5) == ImagingFixture.image("color/addweighted_half.npy"))
        // Float maps: the map and its rows reversed, 0.25 / 1.5 / -0.1.
        let map = try ImagingFixture.map("resize/map_f32.npy")
        var flipped = map
        for y in 0..<map.height { for x in 0..<map.width { flipped[x, y] = map[x, map.height - 1 - y] } }
        let mixed = try FloatMap.addWeighted(map, 0.25, flipped, 1.5, gamma: -0.1)
        #expect(mixed == (try ImagingFixture.map("color/addweighted_f32.npy")))
        let small = try src.resized(width: 5, height: 5)
        #expect { _ = try src.blended(with: small) } throws: { ($0 as! CAMError).message.contains("differ") }
    }

    @Test func floatMapConversions() throws {
        let m = try FloatMap(width: 3, height: 2, values: [-0.5, 0.0, 0.5, 0.999, 1.0, .nan])
        // Truncation like NumPy's astype(uint8) for in-range values; clamped outside, NaN -> 0.
        #expect(m.toImage().pixels == [0, 0, 127, 254, 255, 0])
        #expect(m.toImage(rounding: .nearest).pixels == [0, 0, 128, 255, 255, 0])
        #expect(m.mask(above: 0.5).pixels == [0, 0, 0, 255, 255, 0])
        #expect(m.range == -0.5...1.0)
        let d = try FloatMap(width: 2, height: 1, values: [1, 4]).dividedByMax()
        #expect(d.values == [0.25, 1])
        #expect(try FloatMap(width: 2, height: 1, values: [1, 3]).minMaxNormalized().values == [0, 1])
        #expect(throws: CAMError.self) { _ = try FloatMap(width: 2, height: 2, values: [1]) }
        #expect(throws: CAMError.self) { _ = try Image(width: 2, height: 2, channels: 5) }
        let heat = try FloatMap(width: 16, height: 16, values: (0..<256).map { Float($0) / 255 }).colorized(.jet, rounding: .nearest)
        #expect(heat == (try ImagingFixture.image("color/colormaps.npy", index: Int(ColorMap.jet.rawValue))))
    }
}
