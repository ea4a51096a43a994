import CAMCore
import Foundation

/// How maps and boxes are drawn: the colour map and blend of the heatmaps, the box colours, and
/// whether IoUs are printed beside the predicted boxes.
public struct OverlayStyle: Sendable, Hashable {
    /// The heatmap's colours (`jet`, as in the tutorial's figures; `viridis`, `inferno` and `turbo`
    /// read better in print and for colour-blind readers; any OpenCV map works).
    public var colorMap: ColorMap = .jet
    /// Weight of the heatmap in the blend; the photo gets `1 - alpha` (the tutorial: 0.5 / 0.5).
    public var alpha: Double = 0.5
    /// Ground-truth boxes.
    public var truthColor: Color = .green
    /// Predicted boxes.
    public var predictionColor: Color = .red
    /// Line width in pixels; nil: about 1/100 of the shorter side, at least 1.
    public var lineThickness: Int?
    /// Print `IoU 0.74` beside each predicted box that has an IoU.
    public var showIoU = true

    public init(colorMap: ColorMap = .jet, alpha: Double = 0.5) {
        self.colorMap = colorMap
        self.alpha = alpha
    }

    /// The colour maps offered by name in the CLI help and the report settings.
    public static let suggestedColorMaps: [ColorMap] = [.jet, .viridis, .inferno, .turbo]
}

/// A box to draw over an image: its outline in normalised coordinates (x right, y down, both in
/// 0...1; 4 corners for an upright or rotated rectangle) and its IoU with the ground truth.
public struct OverlayBox: Sendable, Hashable {
    public var outline: [SIMD2<Double>]
    public var iou: Double?

    public init(outline: [SIMD2<Double>], iou: Double? = nil) {
        self.outline = outline
        self.iou = iou
    }

    /// An upright box (`[ymin, xmin, ymax, xmax]`, normalised).
    public init(_ box: BoundingBox, iou: Double? = nil) {
        self.init(
            outline: [SIMD2(box.xmin, box.ymin), SIMD2(box.xmax, box.ymin), SIMD2(box.xmax, box.ymax), SIMD2(box.xmin, box.ymax)],
            iou: iou)
    }
}

/// Heatmaps, blends and boxes over images: the pictures of the tutorial (`plt.imshow(cam_image)`,
/// `visualize_cam_on_image` = `cv2.addWeighted`, `cv2.drawContours` of the boxes), built on
/// `FloatMap.colorized`, `Image.addWeighted` and the drawing functions of Imaging.
public enum Overlay {
    /// The map alone in colour (values in [0, 1]; others are clamped), resized to `width` x
    /// `height` (bilinear) when given.
    public static func heatmap(_ map: FloatMap, colorMap: ColorMap = .jet, width: Int? = nil, height: Int? = nil) throws -> Image {
        try resized(map, width: width, height: height).colorized(colorMap)
    }

    /// The heatmap of `map` blended over `image` like `cv2.addWeighted(heat, alpha, image, 1 - alpha, 0)`;
    /// the map is resized to the image when their sizes differ. Gray and RGBA images become RGB.
    public static func blend(_ map: FloatMap, over image: Image, style: OverlayStyle = OverlayStyle()) throws -> Image {
        let rgb = try rgbImage(image)
        let heat = try heatmap(map, colorMap: style.colorMap, width: rgb.width, height: rgb.height)
        return try Image.addWeighted(heat, style.alpha, rgb, 1 - style.alpha)
    }

    /// `image` (as RGB) with the ground-truth boxes in `style.truthColor`, the predicted boxes in
    /// `style.predictionColor` and, when `style.showIoU`, each prediction's IoU printed beside it.
    public static func boxes(
        on image: Image, truth: [BoundingBox], predictions: [OverlayBox],
        style: OverlayStyle = OverlayStyle()
    ) throws -> Image {
        var out = try rgbImage(image)
        let w = out.width, h = out.height
        let thickness = style.lineThickness ?? Swift.max(1, Swift.min(w, h) / 100)
        for t in truth {
            try out.drawRectangle(t.pixelRect(width: w, height: h), color: style.truthColor, thickness: thickness)
        }
        func pixel(_ p: SIMD2<Double>) -> Point2i {
            Point2i(Int((p.x * Double(w)).rounded()), Int((p.y * Double(h)).rounded()))
        }
        let polygons = predictions.filter { $0.outline.count >= 2 }.map { $0.outline.map(pixel) }
        if !polygons.isEmpty {
            try out.drawPolylines(polygons, closed: true, color: style.predictionColor, thickness: thickness)
        }
        if style.showIoU {
            for p in predictions where p.outline.count >= 2 {
                guard let iou = p.iou else { continue }
                let xs = p.outline.map(\.x), ys = p.outline.map(\.y)
                try label(
                    &out, String(format: "IoU %.2f", iou), near: Point2i(Int(xs.min()! * Double(w)), Int(ys.min()! * Double(h))),
                    color: style.predictionColor)
            }
        }
        return out
    }

    /// Prints `text` in `color` on a dark plate, just above `corner` (below it when there is no room),
    /// kept inside the image.
    static func label(_ image: inout Image, _ text: String, near corner: Point2i, color: Color) throws {
        let scale = Swift.max(0.35, Double(Swift.min(image.width, image.height)) / 450)
        let size = try Image.textSize(text, scale: scale, thickness: 1)
        let pad = 2
        let plateW = size.width + 2 * pad, plateH = size.height + size.baseline + 2 * pad
        var x = Swift.min(Swift.max(0, corner.x), Swift.max(0, image.width - plateW))
        var y = corner.y - plateH
        if y < 0 { y = Swift.min(Swift.max(0, corner.y), Swift.max(0, image.height - plateH)) }
        x = Swift.max(0, x)
        try image.drawRectangle(Rect2i(x: x, y: y, width: plateW, height: plateH), color: Color(gray: 20), thickness: -1)
        try image.drawText(
            text, at: Point2i(x + pad, y + pad + size.height), scale: scale, color: color, thickness: 1,
            lineType: .antialiased)
    }

    /// 3-channel RGB: gray is replicated, alpha dropped.
    package static func rgbImage(_ image: Image) throws -> Image {
        switch image.channels {
        case 3: return image
        case 1: return try image.replicatedToRGB()
        case 4: return try image.converted(.rgbaToRGB)
        default: throw CAMError("overlay", "expected a gray, RGB or RGBA image, got \(image.channels) channels")
        }
    }

    static func resized(_ map: FloatMap, width: Int?, height: Int?) throws -> FloatMap {
        let w = width ?? map.width, h = height ?? map.height
        guard w != map.width || h != map.height else { return map }
        return try map.resized(width: w, height: h, interpolation: .linear)
    }
}
