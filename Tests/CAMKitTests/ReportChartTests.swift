import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing
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

/// Counts elements of an XML document by name and class, and fails on malformed XML.
final class SVGCounter: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var classes: [String: Int] = [:]
    var polylinePoints: [Int] = []
    var polylineDeclared: [Int] = []

    static func parse(_ text: String) -> SVGCounter? {
        let counter = SVGCounter()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = counter
        return parser.parse() ? counter : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements[name, default: 0] += 1
        if let c = attributes["class"] { classes[c, default: 0] += 1 }
        if name == "polyline" {
            polylinePoints.append(attributes["points"]?.split(separator: " ").count ?? 0)
            polylineDeclared.append(Int(attributes["data-points"] ?? "") ?? -1)
        }
    }
}

struct ReportChartTests {
    @Test func binCountsCoverTheRangeAndClamp() {
        #expect(
            SVGChart.binCounts([0, 0.05, 0.1, 0.5, 0.99, 1.0, -0.2, 1.5, .nan], bins: 10)
                == [3, 1, 0, 0, 0, 1, 0, 0, 0, 3])
        #expect(SVGChart.binCounts([], bins: 4) == [0, 0, 0, 0])
    }

    /// One bar per bin, valid XML, a marker line, escaped text.
    @Test func histogramHasOneBarPerBin() throws {
        let svg = SVGChart.histogram(counts: [1, 0, 4, 2, 7, 0, 0, 3, 1, 9], xLabel: "IoU <&>", marker: 0.5, label: "test \"chart\"")
        let c = try #require(SVGCounter.parse(svg), "not well-formed XML:\n\(svg)")
        #expect(c.classes["bar"] == 10)
        #expect(c.classes["marker"] == 1)
        #expect(svg.contains("IoU &lt;&amp;&gt;") && svg.contains("aria-label=\"test &quot;chart&quot;\""))
        #expect(svg.hasPrefix("<svg") && svg.contains("viewBox=\"0 0 440 "))
        // The tallest bar reaches the top of its axis; an empty bin has no height.
        #expect(svg.contains("height=\"0\""))
        let empty = try #require(SVGCounter.parse(SVGChart.histogram(counts: [0, 0, 0], xLabel: "x", label: "empty")))
        #expect(empty.classes["bar"] == 3)
    }

    /// One polyline per series with one point per finite value, a legend entry per series and a
    /// dot at each series' best value.
    @Test func lineChartHasOnePointPerValue() throws {
        let a = ChartSeries(name: "cam <layer4>", x: [0, 0.25, 0.5, 0.75, 1], y: [10, 40, 80, 30, 5])
        let b = ChartSeries(name: "gradcam", x: (0..<7).map { Double($0) / 6 }, y: [1, 2, 3, .nan, 5, 6, 7], dashed: true)
        let svg = SVGChart.lines(
            [a, b], xRange: 0...1, yRange: 0...100, xLabel: "threshold", yLabel: "BoxAcc (%)",
            markBest: true, label: "curves")
        let c = try #require(SVGCounter.parse(svg), "not well-formed XML:\n\(svg)")
        #expect(c.elements["polyline"] == 2)
        #expect(c.polylinePoints == [5, 6] && c.polylineDeclared == [5, 6])
        #expect(c.classes["series"] == 2 && c.classes["legend"] == 2 && c.classes["best"] == 2)
        #expect(svg.contains("cam &lt;layer4&gt;") && svg.contains("stroke-dasharray"))
        // 1000-threshold curves stay exact.
        let long = ChartSeries(name: "sweep", x: (0..<1000).map { Double($0) / 1000 }, y: (0..<1000).map { Double($0 % 100) })
        let l = try #require(SVGCounter.parse(SVGChart.lines([long], xLabel: "t", yLabel: "%", label: "long")))
        #expect(l.polylinePoints == [1000] && l.classes["legend"] == 1)
    }

    @Test func ticksAreRound() {
        #expect(SVGChart.niceTicks(0...1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(SVGChart.niceTicks(0...100) == [0, 20, 40, 60, 80, 100])
        #expect(SVGChart.niceTicks(upTo: 7) == [0, 2, 4, 6, 8])
        #expect(SVGChart.integerTicks(1...3) == [1, 2, 3])
        #expect(SVGChart.integerTicks(1...40).count <= 11)
    }
}
