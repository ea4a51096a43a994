import CAMCore
import Foundation
import CAMImaging

/// Training augmentation applied per sample before resizing; boxes follow the pixels.
///
/// Draws come from a generator keyed by `(seed, epoch, sample index)`, so a sample gets the
/// same crop and flip in the same epoch whichever thread processes it.
public struct Augmentation: Sendable, Hashable {
    /// torchvision's `RandomResizedCrop` draw: a crop covering a `scale` fraction of the image
    /// area with aspect ratio (width / height) log-uniform in `ratio`; 10 tries, then the
    /// central crop with the ratio clamped into range.
    public struct ResizedCrop: Sendable, Hashable {
        public var scale: ClosedRange<Double>
        public var ratio: ClosedRange<Double>
        public init(scale: ClosedRange<Double> = 0.35...1.0, ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0)) {
            self.scale = scale
            self.ratio = ratio
        }
    }

    /// Crop before resizing (nil: keep the whole image).
    public var crop: ResizedCrop?
    /// Probability of a horizontal flip.
    public var flipProbability: Double

    public init(crop: ResizedCrop? = ResizedCrop(), flipProbability: Double = 0.5) {
        self.crop = crop
        self.flipProbability = flipProbability
    }

    /// Random resized crop (scale 0.35 ... 1) and horizontal flips: a sensible training default.
    public static let standard = Augmentation()
    /// Horizontal flips only.
    public static let flipOnly = Augmentation(crop: nil)

    /// The crop rectangle (pixels) for an image of `width` x `height`.
    public func cropRect(width: Int, height: Int, rng: inout SplitMix64) -> Rect2i {
        guard let crop else { return Rect2i(x: 0, y: 0, width: width, height: height) }
        let area = Double(width * height)
        let logLo = log(crop.ratio.lowerBound), logHi = log(crop.ratio.upperBound)
        for _ in 0..<10 {
            let target = area * rng.uniform(crop.scale)
            let aspect = exp(rng.uniform(logLo...logHi))
            let w = Int((target * aspect).squareRoot().rounded())
            let h = Int((target / aspect).squareRoot().rounded())
            if w > 0, h > 0, w <= width, h <= height {
                let x = rng.below(width - w + 1), y = rng.below(height - h + 1)
                return Rect2i(x: x, y: y, width: w, height: h)
            }
        }
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < crop.ratio.lowerBound {
            h = max(1, Int((Double(width) / crop.ratio.lowerBound).rounded()))
        } else if inRatio > crop.ratio.upperBound {
            w = max(1, Int((Double(height) * crop.ratio.upperBound).rounded()))
        }
        return Rect2i(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }

    /// Applies the augmentation: returns the cropped (not yet resized), possibly flipped image
    /// and the boxes mapped into it. Boxes are clipped to the crop; boxes left with no area are dropped.
    public func apply(to image: Image, boxes: [BoundingBox], rng: inout SplitMix64) throws -> (Image, [BoundingBox]) {
        let rect = cropRect(width: image.width, height: image.height, rng: &rng)
        let flip = rng.unit() < flipProbability
        var out = try image.cropped(to: rect)
        var mapped = boxes.compactMap { $0.mapped(into: rect, imageWidth: image.width, imageHeight: image.height) }
        if flip {
            out = try out.flippedHorizontally()
            mapped = mapped.map(\.flippedHorizontally)
        }
        return (out, mapped)
    }
}

extension BoundingBox {
    /// The box in the normalised coordinates of the crop `rect` of a `imageWidth` x `imageHeight`
    /// image, clipped to it; nil when nothing of the box is left.
    public func mapped(into rect: Rect2i, imageWidth: Int, imageHeight: Int) -> BoundingBox? {
        let x0 = xmin * Double(imageWidth) - Double(rect.x), x1 = xmax * Double(imageWidth) - Double(rect.x)
        let y0 = ymin * Double(imageHeight) - Double(rect.y), y1 = ymax * Double(imageHeight) - Double(rect.y)
        let w = Double(rect.width), h = Double(rect.height)
        let cx0 = max(0, x0), cx1 = min(w, x1), cy0 = max(0, y0), cy1 = min(h, y1)
        guard cx1 > cx0, cy1 > cy0 else { return nil }
        return BoundingBox(ymin: cy0 / h, xmin: cx0 / w, ymax: cy1 / h, xmax: cx1 / w)
    }
}

extension Image {
    /// The pixels inside `rect` (which must lie within the image).
    public func cropped(to rect: Rect2i) throws -> Image {
        guard rect.x >= 0, rect.y >= 0, rect.width > 0, rect.height > 0, rect.x + rect.width <= width, rect.y + rect.height <= height else {
            throw CAMError("crop", "\(rect) is not inside the \(width)x\(height) image")
        }
        if rect.x == 0, rect.y == 0, rect.width == width, rect.height == height { return self }
        let c = channels, rowBytes = rect.width * c, srcRow = width * c
        var out = [UInt8](repeating: 0, count: rect.height * rowBytes)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<rect.height {
                    let s = src.baseAddress! + (rect.y + y) * srcRow + rect.x * c
                    (dst.baseAddress! + y * rowBytes).update(from: s, count: rowBytes)
                }
            }
        }
        return try Image(width: rect.width, height: rect.height, channels: c, pixels: out)
    }

    /// The image mirrored left-right.
    public func flippedHorizontally() throws -> Image {
        let c = channels, w = width
        var out = [UInt8](repeating: 0, count: pixels.count)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * w * c
                    for x in 0..<w {
                        let s = row + x * c, d = row + (w - 1 - x) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return try Image(width: width, height: height, channels: c, pixels: out)
    }
}
