import CAMFormats
import Foundation
import Torch
import ZIPFoundation

// Keras 3's native `.keras` file (checked against files made by keras 3.15 through
// tools/compare_keras_applications.py and tools/make_keras_graph_fixtures.py): a zip of
//   metadata.json      {"keras_version": "3.15.1", "date_saved": ...}
//   config.json        the model's config, as `model_config` in an .h5 ({"class_name": "Functional", ...})
//   model.weights.h5   the variables, not by weight name but by position:
//     /layers/<snake>/vars/<i>                       a top-level layer's i-th variable
//     /layers/<snake>/layers/<snake>/vars/<i>        a layer inside a nested model
// where <snake> is the layer's *class* name in snake case (Conv2D → conv2d, BatchNormalization →
// batch_normalization, ReLU → re_lu), numbered per class in the container's layer order (conv2d,
// conv2d_1, ...), and i follows the order in which the layer's build() creates its variables.
// keras.ops nodes (`x + y`) are not layers and have no group.

/// Opens Keras 3 `.keras` archives as graph networks.
public enum KerasArchive {
    /// The most bytes an archive's config.json may inflate to (64 MiB; Keras writes well under 1 MB):
    /// a zip bomb is refused while inflating, before it exhausts memory.
    public static let maxConfigBytes = 64 << 20
    /// The most bytes model.weights.h5 may inflate to on disk (16 GiB).
    public static let maxWeightsBytes = 16 << 30

    /// Whether `url` starts like a zip file (a `.keras` archive rather than an `.h5` given that name).
    public static func isZip(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    /// The model in the archive at `url`, in eval mode (`headless`: see `GraphNetwork.init`).
    public static func load(_ url: URL, headless: Bool = false) throws -> LoadedModel {
        let file = url.path
        func damaged(_ detail: String) -> KerasGraphError {
            .badConfig(file: file, detail: "not a readable .keras archive (a zip of config.json and model.weights.h5): \(detail)")
        }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw damaged("the zip is truncated or damaged (\(error)); get the file again")
        }
        func entry(_ name: String) throws -> Entry {
            guard let e = archive[name] else { throw damaged("it has no \(name)") }
            return e
        }
        var configData = Data()
        do {
            _ = try archive.extract(try entry("config.json")) { chunk in
                configData.append(chunk)
                guard configData.count <= maxConfigBytes else { throw damaged("config.json inflates past \(maxConfigBytes) bytes") }
            }
        } catch let error as KerasGraphError { throw error } catch { throw damaged("config.json: \(error)") }
        let config = try KerasModelConfig(json: String(decoding: configData, as: UTF8.self), file: file)

        // HDF5 reads files, not memory: the weights go to a private temporary copy, removed after the build.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("camkit-keras-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let weightsURL = scratch.appendingPathComponent("model.weights.h5")
        do {
            guard FileManager.default.createFile(atPath: weightsURL.path, contents: nil) else { throw damaged("cannot write \(weightsURL.path)") }
            let out = try FileHandle(forWritingTo: weightsURL)
            defer { try? out.close() }
            var written = 0
            _ = try archive.extract(try entry("model.weights.h5")) { chunk in
                written += chunk.count
                guard written <= maxWeightsBytes else { throw damaged("model.weights.h5 inflates past \(maxWeightsBytes) bytes") }
                try out.write(contentsOf: chunk)
            }
        } catch let error as KerasGraphError {
            throw error
        } catch { throw damaged("model.weights.h5: \(error)") }
        let h5: HDF5File
        do { h5 = try HDF5File(readingFrom: weightsURL) } catch { throw damaged("model.weights.h5 is not HDF5 (\(error))") }
        defer { h5.close() }
        let source = ArchiveWeightSource(file: file, h5: h5, groups: groupPaths(config.raw))
        return try KerasGraphImport.build(config: config, file: url, kerasMajor: 3, source: source, headless: headless)
    }

    /// Each layer's group in model.weights.h5, keyed by nesting path + layer name (`outer/inner`).
    static func groupPaths(_ entry: KerasJSON) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ model: KerasJSON, prefix: String, path: [String]) {
            let layers = model["config"]?["layers"]?.arrayValue ?? model["config"]?.arrayValue ?? []
            var used: [String: Int] = [:]
            for layer in layers {
                // keras.ops nodes (module keras.src.ops.*) are operations, not saved layers.
                if layer["module"]?.stringValue?.hasPrefix("keras.src.ops") == true { continue }
                guard let cls = layer["class_name"]?.stringValue,
                    let name = layer["name"]?.stringValue ?? layer["config"]?["name"]?.stringValue
                else { continue }
                var snake = snakeCase(cls)
                if let n = used[snake] {
                    used[snake] = n + 1
                    snake += "_\(n + 1)"
                } else {
                    used[snake] = 0
                }
                let group = prefix + "layers/" + snake
                out[(path + [name]).joined(separator: "/")] = group
                if KerasGraphBuilder.isNestedModel(layer) { walk(layer, prefix: group + "/", path: path + [name]) }
            }
        }
        walk(entry, prefix: "/", path: [])
        return out
    }

    /// Keras' `naming.to_snake_case` of a class name: `DepthwiseConv2D` → `depthwise_conv2d`.
    static func snakeCase(_ name: String) -> String {
        var s = name.filter { $0.isLetter || $0.isNumber || $0 == "_" }
        for regex in snakeCaseRules {
            s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "$1_$2")
        }
        return s.lowercased()
    }

    /// Keras' two substitutions, compiled once (constant patterns: they cannot fail to compile).
    nonisolated(unsafe) private static let snakeCaseRules = ["(.)([A-Z][a-z]+)", "([a-z])([A-Z])"].map {
        try! NSRegularExpression(pattern: $0)
    }

    /// The names of a layer's variables in the order its build() creates them (what `vars/<i>` holds).
    static func variableNames(className: String, config: KerasJSON) -> [String] {
        let bias = config["use_bias"]?.boolValue ?? true ? ["bias"] : []
        let scale = config["scale"]?.boolValue ?? true ? ["gamma"] : []
        let center = config["center"]?.boolValue ?? true ? ["beta"] : []
        switch className {
        case "Conv2D", "Convolution2D", "DepthwiseConv2D", "Dense": return ["kernel"] + bias
        case "SeparableConv2D", "SeparableConvolution2D": return ["depthwise_kernel", "pointwise_kernel"] + bias
        case "BatchNormalization": return scale + center + ["moving_mean", "moving_variance"]
        case "LayerNormalization": return scale + center
        case "Normalization":
            // Given mean and variance in the config, the layer has no variables.
            return config["mean"] == nil || config["mean"] == .null ? ["mean", "variance", "count"] : []
        case "PReLU": return ["alpha"]
        case "LayerScale": return ["gamma"]
        default: return []
        }
    }
}

/// Weights from a `.keras` archive's model.weights.h5, by position (`vars/<i>`).
struct ArchiveWeightSource: KerasWeightSource {
    let file: String
    let h5: HDF5File
    let groups: [String: String]

    func weights(layer name: String, className: String, config: KerasJSON, path: [String]) throws -> KerasLayerWeights {
        let key = (path + [name]).joined(separator: "/")
        guard let group = groups[key] else {
            throw KerasGraphError.badConfig(file: file, detail: "layer '\(key)' has no place in model.weights.h5")
        }
        let vars = group + "/vars"
        let stored = h5.exists(vars) ? try h5.childNames(of: vars) : []
        let names = KerasArchive.variableNames(className: className, config: config)
        guard stored.count == names.count else {
            throw KerasGraphError.badLayer(
                file: file, layer: key, className: className,
                detail: "model.weights.h5 holds \(stored.count) variables at \(vars), expected \(names.count) (\(names.joined(separator: ", ")))")
        }
        var out: KerasLayerWeights = [:]
        for (i, weight) in names.enumerated() {
            do { out[weight] = try h5.readTensor(at: "\(vars)/\(i)") } catch {
                throw KerasGraphError.badLayer(file: file, layer: key, className: className, detail: "\(weight) (\(vars)/\(i)): \(error)")
            }
        }
        return out
    }
}
