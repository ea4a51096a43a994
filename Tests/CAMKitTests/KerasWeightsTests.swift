import CAMKit
import Foundation
import TestSupport
import Testing
import Torch

/// Reference values written by tools/make_keras_fixtures.py from the Keras models themselves.
private struct Reference: Decodable {
    struct Weight: Decodable {
        let name: String
        let shape: [Int]
        let sum: Double
        let first: [Double]
        let last: Double
    }
    struct Layer: Decodable {
        let name: String
        let `class`: String
        let weights: [Weight]
    }
    let classes: Int
    let layers: [Layer]

    static let shared: Reference = {
        let data = try! Data(contentsOf: Fixtures.url("keras/tiny_resnet_reference.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    var layersWithWeights: [Layer] { layers.filter { !$0.weights.isEmpty } }
}

private func keras(_ name: String) -> URL { Fixtures.url("keras/\(name)") }

/// Checks one weight against the reference: shape, exact first/last values, and the sum.
private func expectMatches(_ weight: KerasWeight, _ ref: Reference.Weight, _ context: String) throws {
    #expect(weight.shape == ref.shape, "\(context) shape")
    let values = try weight.value.floats()
    #expect(values.count == ref.shape.reduce(1, *), "\(context) count")
    for (i, v) in ref.first.enumerated() {
        #expect(values[i] == Float(v), "\(context) element \(i)")
    }
    #expect(values.last == Float(ref.last), "\(context) last element")
    let sum = values.reduce(0.0) { $0 + Double($1) }
    #expect(abs(sum - ref.sum) <= 1e-6 * max(1, abs(ref.sum)), "\(context) sum \(sum) vs \(ref.sum)")
}

/// The error thrown by `body`, as `KerasWeightsError`.
private func kerasError(_ body: () throws -> Void) -> KerasWeightsError? {
    do { try body() } catch let error as KerasWeightsError { return error } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
    Issue.record("no error thrown")
    return nil
}

@Suite("Keras weights")
struct KerasWeightsTests {
    @Test func keras2WholeModelReadsEveryLayerAndWeight() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let ref = Reference.shared
        #expect(file.layout == .keras2Model)
        #expect(file.kerasVersion == "2.21.0")
        #expect(file.backend == "tensorflow")
        #expect(file.layerNames == ref.layers.map(\.name))
        for (layer, refLayer) in zip(file.layers, ref.layers) {
            #expect(layer.className == refLayer.class, "\(layer.name) class")
            #expect(layer.weights.map(\.kerasName) == refLayer.weights.map(\.name), "\(layer.name) weight names")
            for (w, rw) in zip(layer.weights, refLayer.weights) {
                try expectMatches(w, rw, "\(layer.name)/\(w.name)")
            }
        }
        let conv = try file.weights(forLayer: "conv1_conv")
        #expect(conv.weightNames == ["kernel", "bias"])
        #expect(try conv.tensor("kernel").shape == [7, 7, 3, 64])
        let bn = try file.weights(forLayer: "conv2_block1_0_bn")
        #expect(bn.weightNames == ["gamma", "beta", "moving_mean", "moving_variance"])
        #expect(try file.weights(forLayer: "dense").tensor("kernel").shape == [64, 5])
    }

    @Test func keras3LegacyH5HasTheSameWeights() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras3.h5"))
        let ref = Reference.shared
        #expect(file.layout == .keras3LegacyModel)
        #expect(file.kerasVersion?.hasPrefix("3.") == true)
        // Keras 3 names the input layer differently; every other name is the same.
        #expect(file.layerNames.first == "input_layer")
        #expect(Array(file.layerNames.dropFirst()) == ref.layers.dropFirst().map(\.name))
        for (layer, refLayer) in zip(file.layers, ref.layers) {
            #expect(layer.className == refLayer.class, "\(layer.name) class")
            // Keras 3 stores "conv1_conv/kernel" where Keras 2 has "conv1_conv/kernel:0".
            #expect(layer.weights.map(\.kerasName) == refLayer.weights.map { String($0.name.dropLast(2)) })
            for (w, rw) in zip(layer.weights, refLayer.weights) {
                try expectMatches(w, rw, "keras3 \(layer.name)/\(w.name)")
            }
        }
    }

    @Test(arguments: ["tiny_resnet_keras2.h5", "tiny_resnet_keras3.h5"])
    func modelConfigGivesTheSoftmaxHead(_ name: String) throws {
        let file = try KerasWeights(contentsOf: keras(name))
        let config = try #require(file.modelConfig)
        #expect(config.className == "Functional")
        #expect(config.name == "cam_model")
        #expect(config.layers.count == Reference.shared.layers.count)
        #expect(config.outputLayerNames == ["dense"])
        #expect(config.inputShape == [64, 64, 3])
        let head = try #require(file.denseHead)
        #expect(head == KerasDenseHead(layerName: "dense", units: 5, activation: "softmax", useBias: true))
        #expect(file.classCount == Reference.shared.classes)
        let dense = try #require(config.layer(named: "dense"))
        #expect(dense.className == "Dense")
        #expect(dense.units == 5)
        #expect(dense.activation == "softmax")
        let conv = try file.weights(forLayer: "conv1_conv")
        #expect(conv.className == "Conv2D")
        #expect(conv.config?["filters"]?.intValue == 64)
        #expect(conv.config?["strides"] == .array([.number(2), .number(2)]))
        let bn = try file.weights(forLayer: "conv1_bn").batchNorm(channels: 64)
        #expect(bn.epsilon == 1.001e-5)
        #expect(file.trainingConfig?["loss"]?.stringValue == "sparse_categorical_crossentropy")
    }

    @Test func weightsOnlyNotopLayout() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_weights_tf_dim_ordering_tf_kernels_notop.h5"))
        let ref = Reference.shared
        #expect(file.layout == .weightsOnly)
        #expect(file.modelConfig == nil)
        #expect(file.kerasVersion == "2.21.0")
        // The backbone only: every reference layer but the dense head.
        #expect(file.layerNames == ref.layers.dropLast().map(\.name))
        #expect(file.layers.allSatisfy { $0.className == nil })
        for (layer, refLayer) in zip(file.layers, ref.layers) {
            #expect(layer.weights.map(\.kerasName) == refLayer.weights.map(\.name))
            for (w, rw) in zip(layer.weights, refLayer.weights) {
                try expectMatches(w, rw, "notop \(layer.name)/\(w.name)")
            }
        }
        #expect(file.denseHead == nil)
        #expect(file.layersWithWeights.count == ref.layersWithWeights.count - 1)
    }

    @Test func legacyFixedLengthAndChunkedAttributes() throws {
        let file = try KerasWeights(contentsOf: keras("legacy_fixed_strings_notop.h5"))
        let ref = Reference.shared
        #expect(file.layout == .weightsOnly)
        #expect(file.kerasVersion == "2.2.4")
        #expect(file.backend == "tensorflow")
        // layer_names0 + layer_names1, fixed-length strings.
        #expect(file.layerNames == ref.layers.prefix(5).map(\.name))
        // conv1_bn's weight_names0...3, one name each.
        let bn = try file.weights(forLayer: "conv1_bn")
        #expect(bn.weights.map(\.kerasName) == ["conv1_bn/gamma:0", "conv1_bn/beta:0", "conv1_bn/moving_mean:0", "conv1_bn/moving_variance:0"])
        for (layer, refLayer) in zip(file.layers, ref.layers) {
            for (w, rw) in zip(layer.weights, refLayer.weights) {
                try expectMatches(w, rw, "legacy \(layer.name)/\(w.name)")
            }
        }
    }

    @Test func nestedModelLayerIsFlattened() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_nested_keras2.h5"))
        let ref = Reference.shared
        #expect(file.layerNames == ["tiny_resnet", "dense"])
        #expect(file.layers[0].className == "Functional")
        #expect(file.classCount == 5)
        #expect(file.denseHead?.activation == "softmax")
        let flat = file.flattenedLayers
        #expect(flat.map(\.name) == ref.layersWithWeights.map(\.name))
        for (layer, refLayer) in zip(flat, ref.layersWithWeights) {
            // Keras stores a nested model's trainable weights first, then the BN statistics; the
            // flattened layer gets its own back in layer order.
            #expect(layer.weights.map(\.kerasName) == refLayer.weights.map(\.name), "\(layer.name)")
            #expect(layer.className == refLayer.class, "\(layer.name) class")
            for (w, rw) in zip(layer.weights, refLayer.weights) {
                try expectMatches(w, rw, "nested \(layer.name)/\(w.name)")
            }
        }
        let bn = try file.weights(forLayer: "conv3_block1_2_bn")
        #expect(bn.weightNames == ["gamma", "beta", "moving_mean", "moving_variance"])
    }

    @Test func convKernelConvertsHWIOToOIHW() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let layer = try file.weights(forLayer: "conv2_block1_2_conv")
        let hwio = try layer.tensor("kernel")
        #expect(hwio.shape == [3, 3, 4, 4])
        let oihw = try layer.convKernelOIHW(expectedOIHW: [4, 4, 3, 3])
        #expect(oihw.shape == [4, 4, 3, 3])
        #expect(oihw.isContiguous)
        let src = try hwio.floats(), dst = try oihw.floats()
        for o in 0..<4 {
            for i in 0..<4 {
                for h in 0..<3 {
                    for w in 0..<3 {
                        #expect(dst[((o * 4 + i) * 3 + h) * 3 + w] == src[((h * 3 + w) * 4 + i) * 4 + o])
                    }
                }
            }
        }
        let stem = try file.weights(forLayer: "conv1_conv").convKernelOIHW()
        #expect(stem.shape == [64, 3, 7, 7])
    }

    @Test func denseKernelTransposesToOutIn() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let layer = try file.weights(forLayer: "dense")
        let inOut = try layer.tensor("kernel", expectedShape: [64, 5])
        let outIn = try layer.denseKernelOutIn(expectedOutIn: [5, 64])
        #expect(outIn.shape == [5, 64])
        let src = try inOut.floats(), dst = try outIn.floats()
        for o in 0..<5 { for i in 0..<64 { #expect(dst[o * 64 + i] == src[i * 5 + o]) } }
        #expect(try layer.tensor("bias").shape == [5])
    }

    @Test func batchNormParameters() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_weights_tf_dim_ordering_tf_kernels_notop.h5"))
        let bn = try file.weights(forLayer: "conv5_block1_3_bn").batchNorm(channels: 64)
        let ref = try #require(Reference.shared.layers.first { $0.name == "conv5_block1_3_bn" })
        #expect(try bn.gamma?.floats().first == Float(ref.weights[0].first[0]))
        #expect(try bn.beta?.floats().first == Float(ref.weights[1].first[0]))
        #expect(try bn.movingMean.floats().first == Float(ref.weights[2].first[0]))
        #expect(try bn.movingVariance.floats().first == Float(ref.weights[3].first[0]))
        #expect(bn.epsilon == nil)  // weights-only files carry no config
    }

    // MARK: errors

    @Test func missingLayerNamesFileAndLayer() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let error = kerasError { _ = try file.weights(forLayer: "conv2_block3_1_conv") }
        guard case .missingLayer(let path, let layer, let suggestions)? = error else {
            Issue.record("expected missingLayer, got \(String(describing: error))"); return
        }
        #expect(path.hasSuffix("tiny_resnet_keras2.h5"))
        #expect(layer == "conv2_block3_1_conv")
        #expect(suggestions.contains("conv2_block1_1_conv") || suggestions.contains("conv2_block2_1_conv"))
        let message = error!.description
        #expect(message.contains("tiny_resnet_keras2.h5") && message.contains("conv2_block3_1_conv"))
    }

    @Test func missingWeightNamesLayer() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let error = kerasError { _ = try file.weights(forLayer: "conv1_relu").convKernelOIHW() }
        #expect(error == .missingWeight(file: file.file, layer: "conv1_relu", weight: "kernel", available: []))
        let bnError = kerasError { _ = try file.weights(forLayer: "conv1_bn").tensor("kernel") }
        #expect(
            bnError
                == .missingWeight(
                    file: file.file, layer: "conv1_bn", weight: "kernel",
                    available: ["gamma", "beta", "moving_mean", "moving_variance"]))
    }

    @Test func wronglyShapedKernelGivesExpectedAndFound() throws {
        let file = try KerasWeights(contentsOf: keras("tiny_resnet_keras2.h5"))
        let conv = try file.weights(forLayer: "conv1_conv")
        // A full-size model would want the same stem; ask for 32 filters to get a mismatch.
        let error = kerasError { _ = try conv.convKernelOIHW(expectedOIHW: [32, 3, 7, 7]) }
        guard case .shapeMismatch(let path, let layer, let weight, let expected, let found, _)? = error else {
            Issue.record("expected shapeMismatch, got \(String(describing: error))"); return
        }
        #expect(path == file.file && layer == "conv1_conv" && weight == "kernel")
        #expect(expected == [7, 7, 3, 32])
        #expect(found == [7, 7, 3, 64])
        #expect(error!.description.contains("OIHW [32, 3, 7, 7]"))

        let dense = try file.weights(forLayer: "dense")
        let denseError = kerasError { _ = try dense.denseKernelOutIn(expectedOutIn: [196, 2048]) }
        #expect(
            denseError
                == .shapeMismatch(
                    file: file.file, layer: "dense", weight: "kernel", expected: [2048, 196],
                    found: [64, 5], note: "Keras dense kernels are [in, out]; [out, in] [196, 2048]"))
        let bnError = kerasError { _ = try file.weights(forLayer: "conv1_bn").batchNorm(channels: 128) }
        if case .shapeMismatch(_, "conv1_bn", "gamma", [128], [64], _)? = bnError {
        } else {
            Issue.record("expected a gamma shape mismatch, got \(String(describing: bnError))")
        }
    }

    @Test func nonHDF5FileIsReported() throws {
        let dir = try Fixtures.temporaryDirectory("keras-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cam_model.h5")
        try Data("this is not an HDF5 file, just some text\n".utf8).write(to: url)
        #expect(kerasError { _ = try KerasWeights(contentsOf: url) } == .notHDF5(file: url.path))
        let empty = dir.appendingPathComponent("empty.h5")
        try Data().write(to: empty)
        #expect(kerasError { _ = try KerasWeights(contentsOf: empty) } == .notHDF5(file: empty.path))
        let json = keras("tiny_resnet_reference.json")
        #expect(kerasError { _ = try KerasWeights(contentsOf: json) } == .notHDF5(file: json.path))
        let missing = dir.appendingPathComponent("nope.h5")
        #expect(kerasError { _ = try KerasWeights(contentsOf: missing) } == .fileNotFound(file: missing.path))
    }

    @Test(arguments: [0.001, 0.5, 0.98])
    func truncatedFileIsReported(_ fraction: Double) throws {
        let dir = try Fixtures.temporaryDirectory("keras-truncated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try Data(contentsOf: keras("tiny_resnet_keras2.h5"))
        let url = dir.appendingPathComponent("cam_model.h5")
        try whole.prefix(Int(Double(whole.count) * fraction)).write(to: url)
        let error = kerasError { _ = try KerasWeights(contentsOf: url) }
        guard case .truncated(let path, let detail)? = error else {
            Issue.record("expected truncated, got \(String(describing: error))"); return
        }
        #expect(path == url.path)
        #expect(detail.contains("truncated"))
        #expect(error!.description.contains("cam_model.h5"))
    }

    @Test func fileCutInsideTheSignatureIsTruncated() throws {
        let dir = try Fixtures.temporaryDirectory("keras-truncated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cam_model.h5")
        try Data(try Data(contentsOf: keras("tiny_resnet_keras2.h5")).prefix(5)).write(to: url)
        guard case .truncated(let path, _)? = kerasError({ _ = try KerasWeights(contentsOf: url) }) else {
            Issue.record("expected truncated"); return
        }
        #expect(path == url.path)
    }

    @Test func otherHDF5LayoutsAreRejectedWithAHint() throws {
        let url = keras("keras3_native_dense.weights.h5")
        let error = kerasError { _ = try KerasWeights(contentsOf: url) }
        guard case .notKerasWeights(let path, let detail)? = error else {
            Issue.record("expected notKerasWeights, got \(String(describing: error))"); return
        }
        #expect(path == url.path)
        #expect(detail.contains(".weights.h5"))
    }

    @Test func modelConfigVariants() throws {
        // Python's json.dumps writes NaN for float configs.
        #expect(
            try KerasJSON.parse(#"{"a": NaN, "b": [1, true, null, "x"]}"#)["b"]
                == .array([.number(1), .bool(true), .null, .string("x")]))
        #expect(try KerasJSON.parse(#"{"a": NaN}"#)["a"]?.numberValue?.isNaN == true)
        #expect(
            try KerasJSON.parse(#"[Infinity, -Infinity, 1e-7, -0.5]"#)
                == .array([.number(.infinity), .number(-.infinity), .number(1e-7), .number(-0.5)]))
        // Keras 2.0-era Sequential: "config" is the layer list; a linear Dense followed by an
        // Activation layer; an activation stored as an object.
        let sequential = try KerasModelConfig(
            json: """
                {"class_name": "Sequential", "config": [
                  {"class_name": "Dense", "config": {"name": "fc", "units": 7, "activation": "linear", "use_bias": false}},
                  {"class_name": "Activation", "config": {"name": "act", "activation": "softmax"}}]}
                """, file: "x.h5")
        #expect(sequential.layers.map(\.name) == ["fc", "act"])
        #expect(sequential.denseHead == KerasDenseHead(layerName: "fc", units: 7, activation: "softmax", useBias: false))
        #expect(sequential.outputLayerNames == ["act"])
        let objectActivation = try KerasModelConfig(
            json: """
                {"class_name": "Functional", "config": {"name": "m", "layers": [
                  {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 3,
                   "activation": {"module": "keras.activations", "class_name": "function", "config": "sigmoid"}}}],
                 "output_layers": [["head", 0, 0]]}}
                """, file: "x.h5")
        #expect(objectActivation.denseHead?.activation == "sigmoid")
        #expect(objectActivation.outputLayerNames == ["head"])
        #expect(throws: KerasWeightsError.badModelConfig(file: "x.h5", detail: "no class_name")) {
            _ = try KerasModelConfig(json: "{}", file: "x.h5")
        }
    }

    @Test func modelConfigThatIsNotJSONNamesTheFileAndTheProblem() throws {
        for text in [#"{"class_name": "#, #"{"class_name": "Functional"} trailing"#, ""] {
            let error = kerasError { _ = try KerasModelConfig(json: text, file: "x.h5") }
            guard case .badModelConfig(let file, let detail)? = error else {
                Issue.record("expected badModelConfig for \(text.debugDescription), got \(String(describing: error))"); continue
            }
            #expect(file == "x.h5")
            #expect(detail.hasPrefix("not valid JSON"), "\(detail)")
            #expect(error?.description.hasPrefix("x.h5: model_config: not valid JSON") == true)
        }
        let e = try #require(throws: KerasJSON.ParseError.self) { _ = try KerasJSON.parse(#"{"layers": [1, {"units": 1e400}]}"#) }
        #expect(e.description.hasPrefix("not valid JSON"), "\(e)")
    }

    @Test func conversionHelpersCheckRank() throws {
        let t = try Tensor([Float](repeating: 1, count: 6), shape: [2, 3])
        #expect(throws: KerasWeightsError.self) { _ = try KerasConversion.convKernelToOIHW(t) }
        #expect(try KerasConversion.denseKernelToOutIn(t).shape == [3, 2])
        #expect(KerasConversion.hwioShape(fromOIHW: [64, 3, 7, 7]) == [7, 7, 3, 64])
        #expect(KerasWeight.shortName("conv1_conv/kernel:0") == "kernel")
        #expect(KerasWeight.shortName("conv1_bn/moving_variance") == "moving_variance")
        #expect(KerasWeight.ownerName("tiny/conv1_bn/gamma:0") == "conv1_bn")
    }
}

@Suite("Keras HDF5 file reader")
struct KerasHDF5FileTests {
    @Test func readsAttributesOfEveryStringKind() throws {
        let h5 = try HDF5File(readingFrom: keras("tiny_resnet_keras2.h5"))
        let root = h5.root
        #expect(Set(try root.attributeNames()) == ["backend", "keras_version", "model_config", "training_config"])
        #expect(try root.attribute("keras_version") == .string("2.21.0"))  // variable-length scalar
        #expect(try root.stringAttribute("model_config").hasPrefix("{\"class_name\": \"Functional\""))
        let weights = try root.group("model_weights")
        let names = try weights.stringArrayAttribute("layer_names")  // variable-length array
        #expect(names.count == 67 && names.first == "input_1" && names.last == "dense")
        // A layer without weights: Keras stores an empty float64 array.
        #expect(try weights.group("conv1_pad").attribute("weight_names") == .numbers([], shape: [0]))
        #expect(try weights.group("conv1_pad").stringArrayAttribute("weight_names") == [])
        #expect(try Set(root.childNames()) == ["model_weights", "optimizer_weights"])

        let legacy = try HDF5File(readingFrom: keras("legacy_fixed_strings_notop.h5"))
        #expect(try legacy.root.attribute("keras_version") == .string("2.2.4"))  // fixed-length scalar
        #expect(try legacy.root.attribute("layer_names0") == .strings(["input_1", "conv1_pad", "conv1_conv"]))
        #expect(
            try legacy.root.group("conv1_conv").stringArrayAttribute("weight_names")
                == ["conv1_conv/kernel:0", "conv1_conv/bias:0"])
    }

    @Test func readsDatasetsWithShapes() throws {
        let h5 = try HDF5File(readingFrom: keras("tiny_resnet_keras2.h5"))
        let info = try h5.datasetInfo(at: "/model_weights/conv1_conv/conv1_conv/kernel:0")
        #expect(info == HDF5DatasetInfo(shape: [7, 7, 3, 64], elementClass: .float, elementSize: 4))
        let kernel = try h5.readTensor(at: "/model_weights/conv1_conv/conv1_conv/kernel:0")
        #expect(kernel.shape == [7, 7, 3, 64] && kernel.dtype == .float32)
        let ref = try #require(Reference.shared.layers.first { $0.name == "conv1_conv" })
        #expect(try kernel.floats().prefix(4).map(Double.init) == ref.weights[0].first)
        // The optimizer's step counter: an int64 scalar (one SGD step was taken).
        let iteration = try h5.readTensor(at: "/optimizer_weights/iteration:0")
        #expect(iteration.shape == [] && iteration.dtype == .int64)
        #expect(try iteration.item() == 1)
        #expect(try h5.objectKind(at: "/model_weights/dense") == .group)
        #expect(h5.exists("/model_weights/dense/dense/bias:0"))
        #expect(!h5.exists("/model_weights/dense/dense/gamma:0"))
        #expect(!h5.exists("/no/such/path"))
    }

    @Test func reportsMissingObjectsAndClosedFiles() throws {
        let url = keras("tiny_resnet_keras2.h5")
        let h5 = try HDF5File(readingFrom: url)
        #expect(throws: HDF5Error.missingObject(file: url.path, path: "/model_weights/nope")) {
            _ = try h5.readTensor(at: "/model_weights/nope")
        }
        #expect(throws: HDF5Error.missingAttribute(file: url.path, object: "/", attribute: "nope")) {
            _ = try h5.attribute("nope", at: "/")
        }
        #expect(throws: HDF5Error.wrongObjectKind(file: url.path, path: "/model_weights", expected: "dataset", found: "group")) {
            _ = try h5.readTensor(at: "/model_weights")
        }
        h5.close()
        #expect(throws: HDF5Error.closed(file: url.path)) { _ = try h5.childNames(of: "/") }
    }
}
