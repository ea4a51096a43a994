import CAMCore
import Foundation
import Torch
import CAMImaging
import CAMModels
import CAMExplain
import CAMLocalize

/// One row of a panel.
public enum PanelRow: String, Sendable, Hashable, CaseIterable, Codable {
    /// The maps alone in colour (the tutorial's `plt.imshow(cam_image)`); the first tile is the photo.
    case heatmap
    /// The heatmaps blended over the photo (`visualize_cam_on_image`).
    case overlay
    /// The photo with the ground truth in green and each map's boxes in red, IoU beside them.
    case boxes
}

/// At which size a map is boxed.
public enum BoxResolution: String, Sendable, Hashable, Codable {
    /// Upsampled to the original image (the tutorial's `cv2.resize(cam, (width, height))`).
    case image
    /// Upsampled to the model's input size, as `camkit evaluate` does (so the panel's IoUs are
    /// the evaluation's).
    case modelInput = "model-input"
}

/// What a panel shows and how its maps are boxed.
public struct PanelOptions: Sendable {
    /// Methods and layers, explained in one call (CAM only at the layer feeding global average
    /// pooling; its other pairs are left out).
    public var methods: [CAMMethod]
    public var layers: [String]
    public var score: ScoreKind = .logit
    /// How raw maps are scaled to [0, 1] before they are drawn and boxed (the tutorial's divide-by-max).
    public var normalization: MapNormalization = .tutorial
    public var upsampling: InterpolationMode = .bilinear
    public var rule: BoxRule = .camkit
    public var iouMode: IoUMode = .hull
    public var boxResolution: BoxResolution = .image
    /// Rows top to bottom; default: overlays, then boxes.
    public var rows: [PanelRow] = [.overlay, .boxes]
    public var style = OverlayStyle()
    /// Height of each picture in pixels (captions come on top); widths follow the image's aspect.
    public var tileHeight = 224
    /// Images per forward pass in the batched `build`.
    public var batchSize = 8

    public init(methods: [CAMMethod] = [.cam, .gradCAM], layers: [String]) {
        self.methods = methods
        self.layers = layers
    }
}

/// One map of a panel: which method, layer and class, the map scaled to [0, 1], its boxes.
public struct PanelMap: Sendable {
    /// Method name (`CAMMethod.rawValue`, or any label for maps made elsewhere).
    public var method: String
    public var layer: String
    public var classIndex: Int
    /// Values in [0, 1] (clamped), at any resolution: it is resized to each tile. nil: no map,
    /// only boxes (heatmap and overlay tiles then show the photo).
    public var map: FloatMap?
    public var boxes: [OverlayBox]
    /// Why there is no box, or nil.
    public var noBox: NoBoxReason?
    /// Best IoU of the boxes against the ground truth; nil without ground truth.
    public var bestIoU: Double?

    public init(
        method: String, layer: String, classIndex: Int, map: FloatMap?, boxes: [OverlayBox] = [],
        noBox: NoBoxReason? = nil, bestIoU: Double? = nil
    ) {
        self.method = method
        self.layer = layer
        self.classIndex = classIndex
        self.map = map
        self.boxes = boxes
        self.noBox = noBox
        self.bestIoU = bestIoU
    }

    /// "CAM layer4", "Grad-CAM conv4_block3_out".
    public var title: String { "\(CAMMethod.displayName(method)) \(layer)" }
}

/// One picture in a panel and where it is.
public struct PanelTile: Sendable, Hashable {
    public var row: PanelRow
    /// 0 is the photo, then one column per map.
    public var column: Int
    /// The picture's pixels in the panel (the caption is above it).
    public var frame: Rect2i
    public var caption: String
}

/// A figure like the tutorial's: the photo, then one tile per method and layer, in rows
/// (`PanelRow`), each tile captioned.
public struct Panel: Sendable {
    public var image: Image
    public var tiles: [PanelTile]
    public var maps: [PanelMap]
    /// The explained class, and the model's top class and its probability (when a model ran).
    public var classIndex: Int?
    public var predictedClass: Int?
    public var probability: Double?
    public var title: String?

    /// Writes the panel as PNG.
    public func write(to url: URL) throws { try image.write(to: url, format: .png) }
}

/// Builds panels: `build` runs the model (one `Explainer` call per batch of images for every
/// method and layer), `compose` lays out maps from anywhere.
///
/// ```swift
/// var options = PanelOptions(methods: [.cam, .gradCAM], layers: ["layer4", "layer3", "layer2"])
/// let panel = try PanelBuilder.build(model: loaded, image: photo, truth: [gtBox], options: options)
/// try panel.write(to: URL(fileURLWithPath: "car.panel.png"))
/// ```
public enum PanelBuilder {
    /// The panel of one image. `target`: the class to explain (nil: the predicted class).
    public static func build(
        model: LoadedModel, image: Image, truth: [BoundingBox] = [], target: Int? = nil,
        options: PanelOptions, title: String? = nil
    ) throws -> Panel {
        try build(
            model: model, images: [image], truths: [truth], targets: target.map { [$0] }, options: options,
            titles: [title])[0]
    }

    /// Panels of several images, `options.batchSize` per forward pass. `truths` and `titles`: nil
    /// or one entry per image; `targets`: nil (predicted classes) or one class per image.
    public static func build(
        model: LoadedModel, images: [Image], truths: [[BoundingBox]]? = nil, targets: [Int]? = nil,
        options: PanelOptions, titles: [String?]? = nil
    ) throws -> [Panel] {
        let n = images.count
        for (name, count) in [("ground-truth lists", truths?.count), ("targets", targets?.count), ("titles", titles?.count)] {
            if let count, count != n { throw CAMError("panel", "\(count) \(name) for \(n) images") }
        }
        let explained = try explain(model: model, images: images, truths: truths, targets: targets, options: options)
        return try explained.enumerated().map { i, e in
            var panel = try compose(
                original: images[i], truth: truths?[i] ?? [], maps: e.maps, options: options,
                title: titles?[i] ?? nil)
            panel.classIndex = e.classIndex
            panel.predictedClass = e.predictedClass
            panel.probability = e.probability
            return panel
        }
    }

    /// What the model says about one image: its maps (scaled, boxed and scored) and classes.
    public struct Explained: Sendable {
        public var maps: [PanelMap]
        public var classIndex: Int
        public var predictedClass: Int
        /// Probability of the predicted class.
        public var probability: Double
    }

    /// Explains `images` (one `Explainer` call per `options.batchSize` images for every method and
    /// layer), scales each map by `options.normalization`, upsamples it (`options.boxResolution`)
    /// and boxes it by `options.rule`, scoring the boxes against `truths`.
    public static func explain(
        model loaded: LoadedModel, images: [Image], truths: [[BoundingBox]]? = nil,
        targets: [Int]? = nil, options: PanelOptions
    ) throws -> [Explained] {
        guard !options.methods.isEmpty, !options.layers.isEmpty else {
            throw CAMError("panel", "give at least one method and one layer")
        }
        let info = loaded.info
        let explainer = Explainer(model: loaded.model)
        let rendering = MapRendering(normalization: options.normalization, upsampling: options.upsampling)
        let rgb = try images.map(Overlay.rgbImage)
        var out: [Explained] = []
        let step = Swift.max(1, options.batchSize)
        for start in stride(from: 0, to: rgb.count, by: step) {
            let range = start..<Swift.min(start + step, rgb.count)
            let batch = try info.batch(rgb[range])
            let selection: TargetSelection = targets.map { .perImage(Array($0[range])) } ?? .predicted
            let e = try explainer.explain(
                batch, methods: options.methods, layers: options.layers, targets: selection,
                score: options.score, camOnlyAtLastLayer: true)
            let top = try e.probabilities.topk(1, dim: 1)
            let topIndex = try top.indices.scalars(as: Int64.self).map(Int.init)
            let topValue = try top.values.scalars(as: Float.self).map(Double.init)
            for (local, index) in range.enumerated() {
                let image = rgb[index]
                let truth = truths?[index] ?? []
                let size = options.boxResolution == .image ? (image.height, image.width) : (info.inputSize, info.inputSize)
                var maps: [PanelMap] = []
                for method in options.methods {
                    for layer in options.layers {
                        guard let m = e.maps.first(where: { $0.image == local && $0.method == method && $0.layer == layer }) else { continue }
                        let full = try rendering.imageMap(m.raw, height: size.0, width: size.1)
                        let up = try FloatMap(tensor: full)
                        let prediction = try BoxExtractor.boxes(in: up, rule: options.rule)
                        let boxes = prediction.boxes.map { OverlayBox($0, truth: truth, mode: options.iouMode) }
                        var noBox: NoBoxReason?
                        if case .noBox(let r) = prediction { noBox = r }
                        maps.append(
                            PanelMap(
                                method: method.rawValue, layer: layer, classIndex: m.classIndex,
                                map: try MapRendering.display(full), boxes: boxes,
                                noBox: noBox, bestIoU: truth.isEmpty ? nil : (boxes.compactMap(\.iou).max() ?? 0)))
                    }
                }
                out.append(
                    Explained(
                        maps: maps, classIndex: e.targets[local].first ?? topIndex[local],
                        predictedClass: topIndex[local], probability: topValue[local]))
            }
        }
        return out
    }

    /// Lays out a panel: one column for the photo and one per map, one row per `options.rows`
    /// entry, a caption over each tile ("CAM layer4", "IoU 0.74") and `title` on top.
    public static func compose(
        original: Image, truth: [BoundingBox], maps: [PanelMap], options: PanelOptions,
        title: String? = nil
    ) throws -> Panel {
        guard !options.rows.isEmpty else { throw CAMError("panel", "no rows to draw") }
        guard options.tileHeight >= 16 else { throw CAMError("panel", "tile height \(options.tileHeight) is below 16 pixels") }
        let photo = try Overlay.rgbImage(original)
        let th = options.tileHeight
        let aspect = Double(photo.width) / Double(photo.height)
        let tw = Swift.min(2 * th, Swift.max(th / 2, Int((Double(th) * aspect).rounded())))
        let base = try photo.resized(width: tw, height: th, interpolation: tw > photo.width ? .linear : .area)

        let layout = Layout(
            tileWidth: tw, tileHeight: th, columns: 1 + maps.count, rows: options.rows.count,
            hasTitle: title != nil)
        var canvas = try Image(width: layout.width, height: layout.height, channels: 3, repeating: 255)
        var tiles: [PanelTile] = []
        if let title { try layout.drawTitle(title, on: &canvas) }
        for (r, row) in options.rows.enumerated() {
            for c in 0...maps.count {
                let picture: Image, caption: String
                var short: String?
                if c == 0 {
                    switch row {
                    case .heatmap, .overlay:
                        picture = base
                        caption = "original"
                    case .boxes:
                        picture = try Overlay.boxes(on: base, truth: truth, predictions: [], style: options.style)
                        caption = truth.isEmpty ? "no ground truth" : "ground truth (green)"
                    }
                } else {
                    let m = maps[c - 1]
                    switch row {
                    case .heatmap:
                        picture = try m.map.map { try Overlay.heatmap($0, colorMap: options.style.colorMap, width: tw, height: th) } ?? base
                        caption = m.map == nil ? "\(m.title) (no map)" : m.title
                    case .overlay:
                        picture = try m.map.map { try Overlay.blend($0, over: base, style: options.style) } ?? base
                        caption = m.map == nil ? "\(m.title) (no map)" : m.title
                    case .boxes:
                        picture = try Overlay.boxes(on: base, truth: truth, predictions: m.boxes, style: options.style)
                        if let iou = m.bestIoU {
                            caption = m.noBox == nil ? String(format: "%@ IoU %.2f", m.title, iou) : "\(m.title) no box"
                            short = m.noBox == nil ? String(format: "IoU %.2f", iou) : "no box"
                        } else {
                            caption = m.noBox == nil ? m.title : "\(m.title) no box"
                        }
                        // The column's title is in the row above: narrow tiles may print the IoU alone.
                        if r == 0 { short = nil }
                    }
                }
                let frame = layout.frame(row: r, column: c)
                try canvas.paste(picture, at: Point2i(frame.x, frame.y))
                try layout.drawCaption(caption, short: short, over: frame, on: &canvas)
                tiles.append(PanelTile(row: row, column: c, frame: frame, caption: caption))
            }
        }
        return Panel(
            image: canvas, tiles: tiles, maps: maps, classIndex: maps.first?.classIndex, predictedClass: nil,
            probability: nil, title: title)
    }

    /// Sizes and positions of a panel's parts.
    struct Layout {
        let tileWidth: Int, tileHeight: Int, columns: Int, rows: Int, hasTitle: Bool
        var margin: Int { Swift.max(4, tileHeight / 32) }
        var gap: Int { Swift.max(4, tileHeight / 40) }
        var captionScale: Double { Swift.max(0.35, Double(tileHeight) / 480) }
        var captionHeight: Int { Int((captionScale * 22 + 8).rounded()) }
        var titleScale: Double { captionScale * 1.15 }
        var titleHeight: Int { hasTitle ? Int((titleScale * 22 + 12).rounded()) : 0 }
        var width: Int { 2 * margin + columns * tileWidth + (columns - 1) * gap }
        var height: Int { 2 * margin + titleHeight + rows * (captionHeight + tileHeight) + (rows - 1) * gap }

        func frame(row: Int, column: Int) -> Rect2i {
            Rect2i(
                x: margin + column * (tileWidth + gap),
                y: margin + titleHeight + row * (captionHeight + tileHeight + gap) + captionHeight,
                width: tileWidth, height: tileHeight)
        }

        /// Draws `text` over `frame`, or `short` when `text` would have to be cut.
        func drawCaption(_ text: String, short: String? = nil, over frame: Rect2i, on canvas: inout Image) throws {
            var (fitted, scale) = try fit(text, width: frame.width - 4, scale: captionScale)
            if fitted != text, let short { (fitted, scale) = try fit(short, width: frame.width - 4, scale: captionScale) }
            let size = try Image.textSize(fitted, scale: scale, thickness: 1)
            try canvas.drawText(
                fitted, at: Point2i(frame.x + 2, frame.y - (captionHeight - size.height) / 2),
                scale: scale, color: Color(gray: 30), thickness: 1, lineType: .antialiased)
        }

        func drawTitle(_ text: String, on canvas: inout Image) throws {
            let (fitted, scale) = try fit(text, width: width - 2 * margin, scale: titleScale)
            let size = try Image.textSize(fitted, scale: scale, thickness: 1)
            try canvas.drawText(
                fitted, at: Point2i(margin, margin + (titleHeight + size.height) / 2 - 2), scale: scale,
                color: .black, thickness: 1, lineType: .antialiased)
        }

        /// The text (ASCII only: Hershey fonts have no other glyphs) at a scale that fits `width`,
        /// shortened with ".." when even the smallest scale does not.
        func fit(_ text: String, width: Int, scale: Double) throws -> (String, Double) {
            var t = String(text.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? Character($0) : "?" })
            var s = scale
            while s > 0.3, try Image.textSize(t, scale: s, thickness: 1).width > width { s -= 0.05 }
            while t.count > 2, try Image.textSize(t, scale: s, thickness: 1).width > width { t = String(t.dropLast(3)) + ".." }
            return (t, s)
        }
    }
}

extension Image {
    /// `tile` copied into this image with its top-left corner at `origin` (clipped to the image);
    /// both must have the same channel count.
    mutating func paste(_ tile: Image, at origin: Point2i) throws {
        guard tile.channels == channels else {
            throw CAMError("paste", "\(tile.channels) channels into \(channels)")
        }
        let x0 = Swift.max(0, origin.x), y0 = Swift.max(0, origin.y)
        let x1 = Swift.min(width, origin.x + tile.width), y1 = Swift.min(height, origin.y + tile.height)
        guard x0 < x1, y0 < y1 else { return }
        let c = channels, w = width, tw = tile.width
        let rowBytes = (x1 - x0) * c
        tile.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                for y in y0..<y1 {
                    let s = ((y - origin.y) * tw + (x0 - origin.x)) * c
                    let d = (y * w + x0) * c
                    for k in 0..<rowBytes { dst[d + k] = src[s + k] }
                }
            }
        }
    }
}
