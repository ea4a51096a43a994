import CCV

/// An 8-bit RGBA colour for drawing.
public struct Color: Sendable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// A gray level (all three channels `value`).
    public init(gray value: UInt8) { self.init(red: value, green: value, blue: value) }

    public static let black = Color(gray: 0)
    public static let white = Color(gray: 255)
    public static let red = Color(red: 255, green: 0, blue: 0)
    public static let green = Color(red: 0, green: 255, blue: 0)
    public static let blue = Color(red: 0, green: 0, blue: 255)
    public static let yellow = Color(red: 255, green: 255, blue: 0)

    /// The colour in an image's channel order: RGB, RGBA, or for 1 channel the luma
    /// (0.299 R + 0.587 G + 0.114 B, rounded; the gray level itself for gray colours).
    func scalar(channels: Int) -> [Double] {
        switch channels {
        case 1:
            let luma = (0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue)).rounded()
            return [luma, 0, 0, 0]
        case 2: return [Double(red), Double(green), 0, 0]
        case 3: return [Double(red), Double(green), Double(blue), 0]
        default: return [Double(red), Double(green), Double(blue), Double(alpha)]
        }
    }
}

/// How lines are rasterised (`cv::LineTypes`).
public enum LineType: Int32, Sendable, CaseIterable {
    case connected4 = 4
    case connected8 = 8
    case antialiased = 16
}

/// OpenCV's Hershey fonts (`cv::HersheyFonts`).
public enum HersheyFont: Int32, Sendable, CaseIterable {
    case simplex = 0, plain, duplex, complex, triplex, complexSmall, scriptSimplex, scriptComplex
}

extension Image {
    /// `cv::drawContours`: draws contour `index` (all when nil); `thickness` < 0 fills.
    public mutating func drawContours(
        _ contours: [[Point2i]], index: Int? = nil, color: Color, thickness: Int = 1,
        lineType: LineType = .connected8
    ) throws {
        try drawContours(
            contours, hierarchy: nil, maxLevel: Int(Int32.max), index: index, color: color,
            thickness: thickness, lineType: lineType)
    }

    /// `cv::drawContours` with the hierarchy of a `ContourSet`, down to `maxLevel` nesting levels.
    public mutating func drawContours(
        _ set: ContourSet, index: Int? = nil, maxLevel: Int = Int(Int32.max), color: Color,
        thickness: Int = 1, lineType: LineType = .connected8
    ) throws {
        try drawContours(
            set.contours, hierarchy: set.flatHierarchy, maxLevel: maxLevel, index: index, color: color,
            thickness: thickness, lineType: lineType)
    }

    private mutating func drawContours(
        _ contours: [[Point2i]], hierarchy: [Int32]?, maxLevel: Int, index: Int?,
        color: Color, thickness: Int, lineType: LineType
    ) throws {
        try draw("drawContours", polygons: contours, color: color) { view, points, offsets, col in
            (hierarchy ?? []).withUnsafeBufferPointer { h in
                ctcv_draw_contours(
                    view, points, offsets, Int32(contours.count),
                    Int32(clamping: index ?? -1), col, Int32(clamping: thickness),
                    lineType.rawValue, hierarchy == nil ? nil : h.baseAddress, Int32(clamping: maxLevel))
            }
        }
    }

    /// `cv::polylines`: draws each polygon, closing it when `closed`.
    public mutating func drawPolylines(
        _ polygons: [[Point2i]], closed: Bool = true, color: Color, thickness: Int = 1,
        lineType: LineType = .connected8
    ) throws {
        try draw("polylines", polygons: polygons, color: color) { view, points, offsets, col in
            ctcv_polylines(
                view, points, offsets, Int32(polygons.count), closed ? 1 : 0,
                col, Int32(clamping: thickness), lineType.rawValue)
        }
    }

    /// `cv::rectangle` with corners `rect.x, rect.y` and `rect.x + width - 1, rect.y + height - 1`; `thickness` < 0 fills.
    public mutating func drawRectangle(
        _ rect: Rect2i, color: Color, thickness: Int = 1,
        lineType: LineType = .connected8
    ) throws {
        try drawRectangle(
            from: Point2i(rect.x, rect.y), to: Point2i(rect.x + rect.width - 1, rect.y + rect.height - 1),
            color: color, thickness: thickness, lineType: lineType)
    }

    /// `cv::rectangle` between two opposite corners (both inclusive).
    public mutating func drawRectangle(
        from a: Point2i, to b: Point2i, color: Color, thickness: Int = 1,
        lineType: LineType = .connected8
    ) throws {
        try draw("rectangle", color: color) { view, col in
            ctcv_rectangle(
                view, Int32(clamping: a.x), Int32(clamping: a.y), Int32(clamping: b.x), Int32(clamping: b.y),
                col, Int32(clamping: thickness), lineType.rawValue)
        }
    }

    /// `cv::putText` with the text's bottom-left corner at `origin` (ASCII; Hershey fonts have no other glyphs).
    public mutating func drawText(
        _ text: String, at origin: Point2i, font: HersheyFont = .simplex, scale: Double = 1,
        color: Color, thickness: Int = 1, lineType: LineType = .connected8,
        italic: Bool = false
    ) throws {
        let fontCode = font.rawValue | (italic ? Int32(CTCV_FONT_ITALIC) : 0)
        try draw("putText", color: color) { view, col in
            ctcv_put_text(
                view, text, Int32(clamping: origin.x), Int32(clamping: origin.y), fontCode, scale,
                col, Int32(clamping: thickness), lineType.rawValue, 0)
        }
    }

    /// `cv::getTextSize`: width and height of `text` above the baseline, and the baseline's depth below it.
    public static func textSize(
        _ text: String, font: HersheyFont = .simplex, scale: Double = 1, thickness: Int = 1,
        italic: Bool = false
    ) throws -> (width: Int, height: Int, baseline: Int) {
        var out = [Int32](repeating: 0, count: 3)
        let fontCode = font.rawValue | (italic ? Int32(CTCV_FONT_ITALIC) : 0)
        try cvCheck(
            "getTextSize",
            out.withUnsafeMutableBufferPointer {
                ctcv_text_size(text, fontCode, scale, Int32(clamping: thickness), $0.baseAddress)
            })
        return (Int(out[0]), Int(out[1]), Int(out[2]))
    }

    /// Runs a shim drawing call on the pixels in place, with `color` in this image's channel order;
    /// a failure status throws, naming `operation`.
    private mutating func draw(
        _ operation: String, color: Color,
        _ call: (ctcv_view, UnsafePointer<Double>?) -> Int32
    ) throws {
        let c = color.scalar(channels: channels)
        let status = withMutableCVView { view in
            c.withUnsafeBufferPointer { call(view, $0.baseAddress) }
        }
        try cvCheck(operation, status)
    }

    /// `draw` with `polygons` laid out for the shim: x, y points and per-polygon offsets.
    private mutating func draw(
        _ operation: String, polygons: [[Point2i]], color: Color,
        _ call: (ctcv_view, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Double>?) -> Int32
    ) throws {
        let (points, offsets) = flattenPolygons(polygons)
        try points.withUnsafeBufferPointer { p in
            try offsets.withUnsafeBufferPointer { o in
                try draw(operation, color: color) { view, col in call(view, p.baseAddress, o.baseAddress, col) }
            }
        }
    }
}
