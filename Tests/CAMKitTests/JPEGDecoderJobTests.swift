import Foundation
import Testing
import TestSupport
import Torch
import CAMKit

/// `--jpeg-decoder`: explain, localize and faithfulness decode JPEGs as asked, by default as the
/// model's preprocessing says (TensorFlow's way for the tutorial's `seed`), and record which.
@Suite struct JPEGDecoderJobTests {
    static func jpeg(_ dir: URL) throws -> URL {
        let file = try SafeTensors.read(contentsOf: Fixtures.url("imaging/jpeg_tf.safetensors"))
        let url = dir.appendingPathComponent("photo.jpg")
        try Data(try file.tensor("q90_420.jpeg").scalars(as: UInt8.self)).write(to: url)
        return url
    }

    @Test func jobsDecodeAsAskedAndRecordIt() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-jpeg-jobs")
        let image = try Self.jpeg(dir)
        let loaded = try ModelLoader.load(LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 48))
        #expect(loaded.info.preprocessing.defaultJPEGDecoder == .accurate && Preprocessing.seed.defaultJPEGDecoder == .tf)
        var options = ExplainOptions(methods: [.gradCAM], layers: ["layer4"])
        let byDefault = try ExplainJob.run(images: [image], model: loaded, options: options, outputDirectory: dir.appendingPathComponent("a"))
        options.jpegDecoder = .tf
        let tf = try ExplainJob.run(images: [image], model: loaded, options: options, outputDirectory: dir.appendingPathComponent("b"))
        #expect(byDefault.jpegDecoder == "accurate" && tf.jpegDecoder == "tf")
        // The decoders see different pixels, so the scores differ.
        #expect(byDefault.images[0].top5.map(\.logit) != tf.images[0].top5.map(\.logit))
        let written = try JSONDecoder().decode(ExplainReport.self, from: Data(contentsOf: dir.appendingPathComponent("b/explain.json")))
        #expect(written.jpegDecoder == "tf")

        var localize = LocalizeOptions(methods: [.gradCAM], layers: ["layer4"])
        localize.jpegDecoder = .tf
        let boxes = try LocalizeJob.run(
            images: [image], truths: nil, model: loaded, options: localize, outputDirectory: dir.appendingPathComponent("c"))
        #expect(boxes.jpegDecoder == "tf")
    }
}
