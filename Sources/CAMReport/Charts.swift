import Foundation

/// A named line of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// A CSS colour; nil takes the next of `SVGChart.palette`.
    public var color: String?
    public var dashed = false

    public init(name: String, x: [Double], y: [Double], color: String? = nil, dashed: Bool = false) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.dashed = dashed
    }
}

/// Small hand-made SVG charts for the report: a histogram and a line chart, drawn in a fixed
/// 440-wide view box that scales with the page (`width: 100%`). No scripts.
///
/// Bars are `<rect class="bar">`, each line is one `<polyline class="series">` with a point per
/// value, so a page (or a test) can count them.
public enum SVGChart {
    /// Colour-blind-safe colours (Okabe and Ito), in order.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    static let width = 440.0, plotHeight = 200.0
    static let left = 50.0, right = 14.0, top = 12.0, axisSpace = 44.0
    static var plotWidth: Double { width - left - right }

    /// Counts of `values` in `bins` equal bins over `range` (the last bin includes its upper edge;
    /// values outside are clamped into the end bins; NaN is skipped).
    public static func binCounts(_ values: [Double], bins: Int = 10, range: ClosedRange<Double> = 0...1) -> [Int] {
        var counts = [Int](repeating: 0, count: Swift.max(1, bins))
        let span = range.upperBound - range.lowerBound
        for v in values where !v.isNaN {
            let i = Int(((v - range.lowerBound) / span * Double(counts.count)).rounded(.down))
            counts[Swift.min(counts.count - 1, Swift.max(0, i))] += 1
        }
        return counts
    }

    /// A histogram of `counts` over equal bins of `range`; `marker`: a dashed vertical line (e.g. at IoU 0.5).
    public static func histogram(
        counts: [Int], range: ClosedRange<Double> = 0...1, xLabel: String, yLabel: String = "images",
        marker: Double? = nil, label: String
    ) -> String {
        let yMax = Double(Swift.max(1, counts.max() ?? 0))
        let yTicks = niceTicks(upTo: yMax).filter { $0 == $0.rounded() }  // whole images
        let frame = Frame(x: range, y: 0...(yTicks.last ?? yMax))
        var body: [SVGNode] = axes(frame, xTicks: niceTicks(range), yTicks: yTicks, xLabel: xLabel, yLabel: yLabel)
        let binWidth = (range.upperBound - range.lowerBound) / Double(Swift.max(1, counts.count))
        for (i, c) in counts.enumerated() {
            let x0 = frame.px(range.lowerBound + Double(i) * binWidth), x1 = frame.px(range.lowerBound + Double(i + 1) * binWidth)
            let y = frame.py(Double(c))
            body.append(
                SVGNode(
                    "rect",
                    [
                        "class": "bar", "x": f(x0 + 1), "y": f(y), "width": f(Swift.max(0, x1 - x0 - 2)),
                        "height": f(frame.py(0) - y), "fill": palette[0]
                    ],
                    children: [
                        SVGNode(
                            "title",
                            text: String(
                                format: "%.2f–%.2f: %d", range.lowerBound + Double(i) * binWidth,
                                range.lowerBound + Double(i + 1) * binWidth, c))
                    ]))
        }
        if let marker { body.append(markerLine(frame, at: marker)) }
        return svg(height: top + plotHeight + axisSpace, label: label, body: body)
    }

    /// A line chart. `yRange` nil: from 0 to a round number above the largest value.
    /// `markBest`: a dot at each series' largest value.
    public static func lines(
        _ series: [ChartSeries], xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
        xLabel: String, yLabel: String, integerX: Bool = false, markBest: Bool = false,
        marker: Double? = nil, label: String
    ) -> String {
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        let xr = xRange ?? ((xs.min() ?? 0)...Swift.max((xs.max() ?? 1), (xs.min() ?? 0) + 1))
        let yTicks = yRange.map { niceTicks($0) } ?? niceTicks(upTo: Swift.max(ys.max() ?? 1, 1e-9))
        let yr = yRange ?? (0...(yTicks.last ?? 1))
        let frame = Frame(x: xr, y: yr)
        let xTicks = integerX ? integerTicks(xr) : niceTicks(xr)
        var body = axes(frame, xTicks: xTicks, yTicks: yTicks, xLabel: xLabel, yLabel: yLabel)
        if let marker { body.append(markerLine(frame, at: marker)) }
        for (i, s) in series.enumerated() {
            let color = s.color ?? palette[i % palette.count]
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            var attributes = [
                "class": "series", "fill": "none", "stroke": color, "stroke-width": "2", "stroke-linejoin": "round",
                "data-series": s.name, "data-points": "\(points.count)",
                "points": points.map { "\(f(frame.px($0.0))),\(f(frame.py($0.1)))" }.joined(separator: " ")
            ]
            if s.dashed { attributes["stroke-dasharray"] = "6 4" }
            body.append(SVGNode("polyline", attributes, children: [SVGNode("title", text: s.name)]))
            if markBest, let best = points.max(by: { $0.1 < $1.1 }) {
                body.append(
                    SVGNode(
                        "circle",
                        [
                            "class": "best", "cx": f(frame.px(best.0)), "cy": f(frame.py(best.1)), "r": "3.5",
                            "fill": color
                        ],
                        children: [SVGNode("title", text: String(format: "%@: %.2f at %g", s.name, best.1, best.0))]))
            }
        }
        // Legend under the axis label, three entries a row.
        let perRow = series.count == 4 ? 2 : 3, rowHeight = 17.0
        let legendTop = top + plotHeight + axisSpace
        for (i, s) in series.enumerated() {
            let x = left + Double(i % perRow) * (plotWidth / Double(perRow)), y = legendTop + Double(i / perRow) * rowHeight + 8
            var line = [
                "x1": f(x), "x2": f(x + 18), "y1": f(y), "y2": f(y), "stroke": s.color ?? palette[i % palette.count],
                "stroke-width": "3"
            ]
            if s.dashed { line["stroke-dasharray"] = "5 3" }
            body.append(
                SVGNode(
                    "g", ["class": "legend"],
                    children: [
                        SVGNode("line", line),
                        SVGNode("text", ["x": f(x + 22), "y": f(y + 4), "font-size": "12"], text: s.name)
                    ]))
        }
        let rows = series.count > 1 ? Double((series.count + perRow - 1) / perRow) : 0
        return svg(height: legendTop + rows * rowHeight + (rows > 0 ? 6 : 0), label: label, body: body)
    }

    // MARK: parts

    /// Data to view-box coordinates.
    struct Frame {
        let x: ClosedRange<Double>, y: ClosedRange<Double>
        func px(_ v: Double) -> Double {
            left + (v - x.lowerBound) / Swift.max(1e-12, x.upperBound - x.lowerBound) * SVGChart.plotWidth
        }
        func py(_ v: Double) -> Double {
            top + plotHeight - (v - y.lowerBound) / Swift.max(1e-12, y.upperBound - y.lowerBound) * plotHeight
        }
    }

    static func axes(_ frame: Frame, xTicks: [Double], yTicks: [Double], xLabel: String, yLabel: String) -> [SVGNode] {
        var nodes: [SVGNode] = []
        for t in yTicks {
            let y = f(frame.py(t))
            nodes.append(
                SVGNode(
                    "line",
                    [
                        "class": "grid", "x1": f(left), "x2": f(width - right), "y1": y, "y2": y,
                        "stroke": "#e3e3e3"
                    ]))
            nodes.append(
                SVGNode(
                    "text", ["x": f(left - 6), "y": f(frame.py(t) + 4), "text-anchor": "end", "font-size": "12"],
                    text: tickLabel(t)))
        }
        for t in xTicks {
            nodes.append(
                SVGNode(
                    "text",
                    [
                        "x": f(frame.px(t)), "y": f(top + plotHeight + 17), "text-anchor": "middle",
                        "font-size": "12"
                    ], text: tickLabel(t)))
        }
        nodes.append(
            SVGNode(
                "line",
                [
                    "x1": f(left), "x2": f(width - right), "y1": f(top + plotHeight), "y2": f(top + plotHeight),
                    "stroke": "#555"
                ]))
        nodes.append(SVGNode("line", ["x1": f(left), "x2": f(left), "y1": f(top), "y2": f(top + plotHeight), "stroke": "#555"]))
        nodes.append(
            SVGNode(
                "text",
                [
                    "x": f(left + plotWidth / 2), "y": f(top + plotHeight + 36), "text-anchor": "middle",
                    "font-size": "13", "class": "axis-label"
                ], text: xLabel))
        nodes.append(
            SVGNode(
                "text",
                [
                    "x": "13", "y": f(top + plotHeight / 2), "text-anchor": "middle", "font-size": "13",
                    "class": "axis-label", "transform": "rotate(-90 13 \(f(top + plotHeight / 2)))"
                ], text: yLabel))
        return nodes
    }

    static func markerLine(_ frame: Frame, at v: Double) -> SVGNode {
        SVGNode(
            "line",
            [
                "class": "marker", "x1": f(frame.px(v)), "x2": f(frame.px(v)), "y1": f(top), "y2": f(top + plotHeight),
                "stroke": "#888", "stroke-dasharray": "4 3"
            ])
    }

    static func svg(height: Double, label: String, body: [SVGNode]) -> String {
        SVGNode(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "viewBox": "0 0 \(f(width)) \(f(height))", "role": "img",
                "aria-label": label, "class": "chart", "font-family": "system-ui, sans-serif", "fill": "#222"
            ],
            children: [SVGNode("title", text: label)] + body
        ).rendered
    }

    /// 4 to 6 round ticks from 0 up to at least `maximum`.
    static func niceTicks(upTo maximum: Double) -> [Double] {
        niceTicks(0...Swift.max(maximum, 1e-9))
    }

    /// Round ticks covering `range` (1, 2 or 5 times a power of ten apart).
    static func niceTicks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = Int((range.lowerBound / step).rounded(.down))
        var ticks: [Double] = []
        for i in first... {
            // Rounded to 1e-9 so that 3 x 0.2 prints and compares as 0.6.
            let t = (Double(i) * step * 1e9).rounded() / 1e9
            ticks.append(t)
            if t >= range.upperBound - step * 1e-9 || ticks.count > 50 { break }
        }
        return ticks
    }

    /// Whole numbers in `range`, at most about 10 of them.
    static func integerTicks(_ range: ClosedRange<Double>) -> [Double] {
        let lo = Int(range.lowerBound.rounded(.up)), hi = Int(range.upperBound.rounded(.down))
        guard hi >= lo else { return [range.lowerBound] }
        let step = Swift.max(1, (hi - lo + 9) / 10)
        return stride(from: lo, through: hi, by: step).map(Double.init)
    }

    static func tickLabel(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }

    /// A coordinate with one decimal.
    static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }
}

/// An SVG element: name, attributes (written in sorted order, escaped), children or text.
struct SVGNode {
    let name: String
    let attributes: [String: String]
    let children: [SVGNode]
    let text: String?

    init(_ name: String, _ attributes: [String: String] = [:], children: [SVGNode] = [], text: String? = nil) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    var rendered: String {
        let attrs = attributes.keys.sorted().map { " \($0)=\"\(Self.escape(attributes[$0]!))\"" }.joined()
        if children.isEmpty && text == nil { return "<\(name)\(attrs)/>" }
        return "<\(name)\(attrs)>\(text.map(Self.escape) ?? "")\(children.map(\.rendered).joined())</\(name)>"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
