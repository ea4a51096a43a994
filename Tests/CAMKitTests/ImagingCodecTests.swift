import Foundation
import Testing
import TestSupport
import CAMKit
import Torch

@Suite struct ImagingCodecTests {
    /// Every codec fixture decodes (from the path and from bytes) to exactly what cv2.imread gives.
    @Test(arguments: [
        "src.png", "photo.jpg", "gray.png", "gray.jpg", "rgba.png", "deep16.png", "gray16.png", "palette.png",
        "lossy.webp", "lossless.webp", "src.bmp", "exif6.jpg", "exif8.jpg"
    ])
    func decodesLikeOpenCVPython(_ name: String) throws {
        let parts = name.split(separator: ".")
        let expected = try ImagingFixture.image("decoded/\(parts[0])_\(parts[1]).npy")
        let fromPath = try ImageCodec.decode(contentsOf: ImagingFixture.url(name))
        let fromBytes = try ImageCodec.decode(Data(contentsOf: ImagingFixture.url(name)))
        #expect(fromPath.channels == 3)
        #expect(fromPath == expected, "\(name): max difference \(maxSampleDifference(fromPath, expected))")
        #expect(fromBytes == fromPath)
    }

    /// `jpeg: .tf` decodes every JPEG of the fixture bit for bit as TensorFlow's `tf.io.decode_image`
    /// (tools/make_jpeg_fixtures.py: 4:2:0, 4:4:4, 4:2:2, grayscale, progressive, odd sizes), from
    /// bytes and from a file, while the accurate decoder differs from it by a few levels.
    @Test func tfDecoderMatchesTensorFlowBitForBit() throws {
        let file = try SafeTensors.read(contentsOf: Fixtures.url("imaging/jpeg_tf.safetensors"))
        let names = Set(file.tensors.keys.compactMap { $0.hasSuffix(".jpeg") ? String($0.dropLast(5)) : nil }).sorted()
        #expect(names.count == 6)
        let dir = try Fixtures.temporaryDirectory("camkit-jpeg")
        for name in names {
            let bytes = Data(try file.tensor("\(name).jpeg").scalars(as: UInt8.self))
            let tf = try file.tensor("\(name).tf")
            let expected = try Image(width: tf.shape[1], height: tf.shape[0], pixels: tf.scalars(as: UInt8.self))
            let decoded = try ImageCodec.decode(bytes, source: name, jpeg: .tf)
            #expect(decoded == expected, "\(name): max difference \(maxSampleDifference(decoded, expected))")
            let url = dir.appendingPathComponent("\(name).jpg")
            try bytes.write(to: url)
            #expect(try ImageCodec.decode(contentsOf: url, jpeg: .tf) == expected, "\(name) from a file")
            let accurate = try ImageCodec.decode(bytes, source: name)
            print("jpeg \(name): tf decoder bit-identical to TensorFlow; accurate decoder off by up to \(maxSampleDifference(accurate, expected))")
        }
        // Not a JPEG: the tf decoder is OpenCV's, as for every other format.
        let png = try Data(contentsOf: ImagingFixture.url("src.png"))
        #expect(try ImageCodec.decode(png, jpeg: .tf) == ImageCodec.decode(png))
        // A truncated JPEG is an error naming the source, not a crash.
        let cut = Data(try file.tensor("q90_420.jpeg").scalars(as: UInt8.self).prefix(300))
        #expect(throws: CAMError.self) { try ImageCodec.decode(cut, source: "cut.jpg", jpeg: .tf) }
    }

    /// EXIF orientation 6 (rotate 90 clockwise) and 8 (counter-clockwise) are applied on both paths.
    @Test func exifOrientationIsApplied() throws {
        for (name, topLeft) in [("exif6.jpg", [0, 0, 255]), ("exif8.jpg", [0, 255, 0])] {
            let url = ImagingFixture.url(name)
            for image in [try Image(contentsOf: url), try Image(encoded: Data(contentsOf: url))] {
                // Stored 24 wide x 16 high; displayed 16 wide x 24 high.
                #expect(image.width == 16 && image.height == 24)
                // Quadrants were red | green over blue | yellow; sample well inside one.
                let px = image.pixel(x: 3, y: 3).map(Int.init)
                #expect(zip(px, topLeft).allSatisfy { abs($0 - $1) <= 8 }, "\(name): top-left \(px)")
            }
        }
    }

    @Test func sixteenBitGrayAndAlphaBecomeEightBitRGB() throws {
        let deep = try Image(contentsOf: ImagingFixture.url("deep16.png"))
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        // The fixture's 16-bit samples are v * 256 + low: OpenCV keeps the high byte, the 8-bit source.
        #expect(deep == src)
        let gray = try Image(contentsOf: ImagingFixture.url("gray.png"))
        #expect(gray.channels == 3)
        #expect(gray.pixel(x: 5, y: 7).allSatisfy { $0 == gray[5, 7, 0] })
        let rgba = try Image(contentsOf: ImagingFixture.url("rgba.png"))
        #expect(rgba == src)
    }

    @Test func undecodableFilesThrowNamingTheFileAndTheProcessContinues() throws {
        for name in ["not_an_image.png", "truncated.jpg"] {
            let url = ImagingFixture.url(name)
            #expect {
                _ = try ImageCodec.decode(contentsOf: url)
            } throws: { error in
                let e = error as! CAMError
                return e.path == url.path && e.message.contains("could not decode") && "\(e)".contains(name)
            }
            #expect(throws: CAMError.self) { _ = try ImageCodec.decode(Data(contentsOf: url), source: name) }
        }
        #expect {
            _ = try ImageCodec.decode(contentsOf: ImagingFixture.url("missing.png"))
        } throws: { error in
            let e = error as! CAMError
            return e.message.contains("cannot open file") && e.message.contains("No such file") && e.path?.hasSuffix("missing.png") == true
        }
        #expect {
            _ = try ImageCodec.decode(contentsOf: ImagingFixture.url("decoded"))
        } throws: { ($0 as! CAMError).message.contains("Is a directory") }
        #expect(throws: CAMError.self) { _ = try ImageCodec.decode(Data()) }
        // Still working afterwards.
        #expect(try Image(contentsOf: ImagingFixture.url("src.png")).width == 24)
    }

    /// Errors are per thread: concurrent good and bad decodes each get their own outcome.
    @Test func concurrentDecodesKeepTheirOwnErrors() async throws {
        let good = try Data(contentsOf: ImagingFixture.url("src.png"))
        let expected = try ImageCodec.decode(good)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    if i % 2 == 0 { return (try? ImageCodec.decode(good)) == expected }
                    do {
                        _ = try expected.resized(width: 0, height: i)
                        return false
                    } catch let e as CAMError {
                        return e.operation == "resize" && e.message.contains("positive")
                    } catch { return false }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count == 64 && outcomes.allSatisfy { $0 })
    }

    /// BMP is OpenCV's own writer: our bytes equal cv2.imencode's.
    @Test func bmpBytesMatchOpenCVPython() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        #expect(try src.encoded(as: .bmp) == Data(contentsOf: ImagingFixture.url("encoded/src_encoded.bmp")))
        let gray = try ImagingFixture.image("color/rgb2gray.npy")
        #expect(try gray.encoded(as: .bmp) == Data(contentsOf: ImagingFixture.url("encoded/gray_encoded.bmp")))
    }

    @Test func losslessFormatsRoundTrip() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        for format in [ImageFormat.png, .bmp, .webp] {
            for quality in [nil, format == .png ? 9 : nil] {
                let data = try src.encoded(as: format, quality: quality)
                #expect(try Image(encoded: data) == src, "\(format)")
            }
        }
        // 1-channel and RGBA inputs encode too (decoding yields RGB).
        let gray = try ImagingFixture.image("color/rgb2gray.npy")
        #expect(try Image(encoded: gray.encoded(as: .png)) == gray.converted(.grayToRGB))
        let rgba = try ImagingFixture.image("color/rgba_input.npy")
        #expect(try Image(encoded: rgba.encoded(as: .png)) == rgba.converted(.rgbaToRGB))
    }

    @Test func jpegMatchesOpenCVPythonAndQualityControlsSize() throws {
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        let decoded = try Image(encoded: src.encoded(as: .jpeg, quality: 90))
        let expected = try ImagingFixture.image("encoded/jpeg_q90_decoded.npy")
        #expect(decoded == expected, "max difference \(maxSampleDifference(decoded, expected))")
        let sizes = try (ImagingFixture.expected["codec"] as! [String: Any])["jpeg_sizes"] as! [String: Any]
        for q in [10, 50, 90] {
            #expect(try src.encoded(as: .jpeg, quality: q).count == (sizes[String(q)] as! NSNumber).intValue)
        }
        #expect(try src.encoded(as: .webp, quality: 10).count < src.encoded(as: .webp, quality: 90).count)
        #expect(try Image(encoded: src.encoded(as: .webp, quality: 90)) != src)
        #expect(throws: CAMError.self) { _ = try src.encoded(as: .jpeg, quality: 101) }
        #expect(throws: CAMError.self) { _ = try src.encoded(as: .png, quality: 10) }
    }

    @Test func writeIsAtomicAndPicksTheFormatFromTheExtension() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-imaging")
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Image(contentsOf: ImagingFixture.url("src.png"))
        for ext in ["png", "bmp", "webp", "JPG"] {
            let url = dir.appendingPathComponent("out.\(ext)")
            try src.write(to: url)
            let back = try Image(contentsOf: url)
            // JPEG is lossy: what we read back is what decoding the encoder's default output gives.
            #expect(try back == (ext == "JPG" ? Image(encoded: src.encoded(as: .jpeg)) : src), "\(ext)")
        }
        #expect(throws: CAMError.self) { try src.write(to: dir.appendingPathComponent("out.xyz")) }
        #expect {
            try src.write(to: dir.appendingPathComponent("no/such/dir/out.png"))
        } throws: { ($0 as! CAMError).path?.hasSuffix("out.png") == true }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(leftovers == ["out.JPG", "out.bmp", "out.png", "out.webp"])
    }

    @Test func formatNames() {
        #expect(ImageFormat(pathExtension: "JPEG") == .jpeg)
        #expect(ImageFormat(pathExtension: "jpe") == .jpeg)
        #expect(ImageFormat(pathExtension: "tif") == nil)
        #expect(ImageFormat.jpeg.fileExtension == "jpg")
    }
}
