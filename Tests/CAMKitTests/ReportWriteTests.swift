import Foundation
import Testing
import TestSupport
import Torch
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

/// A small HTML reader for the tests: tag balance, `<img src>`, `<a href>`, ids and counts.
struct HTMLCheck {
    let html: String

    /// Void elements never close.
    static let void: Set<String> = ["meta", "img", "br", "hr", "link", "input", "source", "area", "base", "col", "wbr"]
    /// SVG's self-closed elements (`<rect/>`) are fine too.

    /// Names of elements left open or closed without being open; empty when the page is balanced.
    func unbalanced() -> [String] {
        var stack: [String] = []
        var problems: [String] = []
        let scanner = html.replacingOccurrences(of: "<!DOCTYPE html>", with: "")
        var i = scanner.startIndex
        while let open = scanner[i...].firstIndex(of: "<") {
            guard let close = scanner[open...].firstIndex(of: ">") else { problems.append("unterminated tag"); break }
            let tag = scanner[scanner.index(after: open)..<close]
            i = scanner.index(after: close)
            if tag.hasPrefix("!") { continue }
            if tag.hasPrefix("/") {
                let name = tag.dropFirst().split(separator: " ").first.map(String.init) ?? ""
                if stack.last == name { stack.removeLast() } else { problems.append("</\(name)> closes \(stack.last ?? "nothing")") }
                continue
            }
            let name = tag.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "/" }).first.map(String.init) ?? ""
            if tag.hasSuffix("/") || Self.void.contains(name.lowercased()) { continue }
            if ["style", "title"].contains(name), let end = scanner[i...].range(of: "</\(name)>") {
                i = end.upperBound
                continue
            }
            stack.append(name)
        }
        return problems + stack.map { "<\($0)> never closed" }
    }

    /// Values of `attribute` in every `<tag ...>`.
    func attributes(_ attribute: String, of tag: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let r = rest.range(of: "<\(tag) ") {
            let end = rest[r.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            let inside = rest[r.upperBound..<end]
            if let a = inside.range(of: "\(attribute)=\"") {
                let valueEnd = inside[a.upperBound...].firstIndex(of: "\"") ?? inside.endIndex
                out.append(String(inside[a.upperBound..<valueEnd]))
            }
            rest = rest[end...]
        }
        return out
    }

    func count(_ needle: String) -> Int { html.components(separatedBy: needle).count - 1 }
}

@Suite(.serialized) struct ReportWriteTests {
    /// An evaluation of a random small model on a synthetic dataset, with a training folder
    /// holding a three-epoch history.json.
    static func makeEvaluation(history: Bool = true) throws -> (eval: URL, training: URL, model: LoadedModel, dataset: any Dataset) {
        try Runtime.manualSeed(7)
        let trainDir = try Fixtures.temporaryDirectory("camkit-report-train")
        let net = try ResNet(ResNetSpec.named("small", classes: 3))
        let info = ModelInfo(spec: net.spec, preprocessing: .imagenet, inputSize: 48)
        let modelURL = trainDir.appendingPathComponent("best.safetensors")
        try Checkpoint(info: info, modelState: Dictionary(uniqueKeysWithValues: net.stateDict())).write(to: modelURL)
        if history {
            let records = (1...3).map { e in  // epochs are 1-based in history.json
                EpochRecord(
                    epoch: e, learningRate: 0.01, trainLoss: 1.1 - 0.2 * Double(e), trainAccuracy: 0.4 + 0.1 * Double(e),
                    validationLoss: 1.2 - 0.15 * Double(e), validationTop1: 0.35 + 0.1 * Double(e), validationTop5: 1,
                    seconds: 1, imagesPerSecond: 100)
            }
            try JSONEncoder().encode(records).write(to: trainDir.appendingPathComponent("history.json"))
        }
        let loaded = try ModelLoader.load(modelURL)
        let spec = try DatasetSpec.parse("synthetic:seed=3,classes=3,train=4,test=12,size=48:test")
        let data = try spec.open()
        var options = EvaluationOptions(methods: [.gradCAM, .layerCAM], layers: ["layer4", "layer3"], sweep: try .standard(.camkit, interval: 0.01))
        options.batchSize = 6
        options.progress = false
        let out = try Fixtures.temporaryDirectory("camkit-report-eval")
        _ = try LocalizationEvaluation.run(
            dataset: data, datasetSpec: spec.description, source: .model(LoadedModelBox(loaded)),
            options: options, output: out)
        return (out, trainDir, loaded, data)
    }

    /// The whole report: table, charts, training curves, gallery panels that exist on disk, settings;
    /// balanced HTML, no scripts, nothing outside the folder.
    @Test func reportHasTableChartsTrainingGalleryAndSettings() throws {
        let (eval, _, model, data) = try Self.makeEvaluation()
        var options = ReportOptions()
        options.galleryCount = 2
        let out = try Report.write(evaluation: eval, options: options, model: model, dataset: data)
        #expect(out.index == eval.appendingPathComponent("report/index.html"))
        let html = try String(contentsOf: out.index, encoding: .utf8)
        let page = HTMLCheck(html: html)
        #expect(page.unbalanced().isEmpty, "\(page.unbalanced())")
        // No script, nothing fetched (the only URL is the SVG namespace name).
        #expect(!html.contains("<script"))
        #expect(!(page.attributes("src", of: "img") + page.attributes("href", of: "a")).contains { $0.contains("//") })
        #expect(
            html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").range(of: "https?://", options: .regularExpression) == nil
        )
        #expect(html.contains("<meta name=\"viewport\""))
        // Summary: 4 method rows and the 2 baselines.
        #expect(html.contains("<table id=\"summary-table\">"))
        #expect(page.count("<tr class=\"method\">") == 4 && page.count("<tr class=\"baseline\">") == 2)
        #expect(html.contains("Full-image box") && html.contains("Centred box") && html.contains("MaxBoxAccV2"))
        #expect(html.contains("Grad-CAM") && html.contains("LayerCAM"))
        // Charts: a comparison, then a histogram and a curve chart per method and layer.
        #expect(page.count("<svg") == 1 + 4 * 2 + 2)
        #expect(page.count("class=\"bar\"") == 4 * 10)
        #expect(page.count("class=\"series\"") == 4 + 4 * 4 + 2 + 3)
        for points in page.attributes("data-points", of: "polyline").prefix(4 + 16) { #expect(points == "100") }
        // Training curves from the model's own folder (it has history.json): 3 points per series.
        #expect(html.contains("id=\"training\"") && html.contains("3 epochs"))
        let trainingPart = String(html[html.range(of: "id=\"training\"")!.lowerBound...])
        #expect(HTMLCheck(html: trainingPart).attributes("data-points", of: "polyline").prefix(5) == ["3", "3", "3", "3", "3"])
        // Gallery: best, median, worst, 2 each (12 samples), every picture on disk, the right size.
        #expect(html.contains("id=\"gallery\""))
        let images = page.attributes("src", of: "img")
        #expect(images.count == 6 && out.images.count == 6)
        for src in images {
            #expect(src.hasPrefix("img/") && !src.contains(".."))
            let file = out.directory.appendingPathComponent(src)
            let picture = try Image(contentsOf: file)
            #expect(picture.width > 0)
        }
        for href in page.attributes("href", of: "a") where !href.hasPrefix("#") {
            #expect(FileManager.default.fileExists(atPath: out.directory.appendingPathComponent(href).path), "\(href)")
        }
        // Widths and heights in the page are the panels' own.
        let widths = page.attributes("width", of: "img").compactMap(Int.init)
        let first = try Image(contentsOf: out.directory.appendingPathComponent(images[0]))
        #expect(widths.first == first.width)
        // Settings.
        #expect(html.contains("id=\"settings\"") && html.contains("synthetic:") && html.contains("gallery ranked by"))
        #expect(out.warnings.isEmpty, "\(out.warnings)")

        // Again, into the same folder: replaced whole (a stray file disappears), no staging left.
        try Data("x".utf8).write(to: out.directory.appendingPathComponent("stray.txt"))
        options.galleryMethod = "layercam"
        options.galleryLayer = "layer3"
        let again = try Report.write(evaluation: eval, options: options, model: model, dataset: data)
        #expect(!FileManager.default.fileExists(atPath: again.directory.appendingPathComponent("stray.txt").path))
        #expect(try String(contentsOf: again.index, encoding: .utf8).contains("LayerCAM layer3"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: eval.path).filter { $0.hasPrefix(".report") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // An unknown gallery method is an error naming what was evaluated.
        options.galleryMethod = "scorecam"
        #expect(throws: CAMError.self) { try Report.write(evaluation: eval, options: options, model: model, dataset: data) }
    }

    /// The model and dataset reopened from metrics.json give the same gallery; with the model gone
    /// the panels show the stored boxes only, with a note saying why.
    @Test func reportReopensOrDoesWithoutTheModel() throws {
        let (eval, training, _, _) = try Self.makeEvaluation(history: false)
        var options = ReportOptions()
        options.galleryCount = 1
        let reopened = try Report.write(evaluation: eval, options: options)
        #expect(reopened.images.count == 3 && reopened.warnings.isEmpty, "\(reopened.warnings)")
        // No history.json anywhere: no training section, no error.
        let html = try String(contentsOf: reopened.index, encoding: .utf8)
        #expect(!html.contains("id=\"training\""))

        try FileManager.default.removeItem(at: training.appendingPathComponent("best.safetensors"))
        let boxesOnly = try Report.write(evaluation: eval, options: options)
        #expect(boxesOnly.images.count == 3)
        #expect(boxesOnly.warnings.contains { $0.contains("stored boxes only") })
        let page = try String(contentsOf: boxesOnly.index, encoding: .utf8)
        #expect(page.contains("class=\"notes\"") && page.contains("stored boxes only"))
        // Each boxes-only panel has one row: photo + one tile per method and layer.
        let panel = try Image(contentsOf: boxesOnly.images[0])
        #expect(panel.width > panel.height)
    }

    /// A training folder without history.json: a note, no curves, the rest of the report intact.
    @Test func missingHistoryIsANoteNotAnError() throws {
        let (eval, _, model, data) = try Self.makeEvaluation(history: false)
        var options = ReportOptions()
        options.trainingDirectory = try Fixtures.temporaryDirectory("camkit-no-history")
        options.galleryCount = 0
        let out = try Report.write(evaluation: eval, options: options, model: model, dataset: data)
        let html = try String(contentsOf: out.index, encoding: .utf8)
        #expect(out.warnings.count == 1 && out.warnings[0].contains("history.json"))
        #expect(!html.contains("id=\"training\"") && !html.contains("id=\"gallery\""))
        #expect(html.contains("<table id=\"summary-table\">") && out.images.isEmpty)
        // A history.json that is not one is an error naming the file.
        try Data("{}".utf8).write(to: options.trainingDirectory!.appendingPathComponent("history.json"))
        #expect(throws: CAMError.self) { try Report.write(evaluation: eval, options: options) }
    }

    /// An evaluation with no results still gets a page that says so; a folder that is not an
    /// evaluation is an error that says what to run.
    @Test func emptyEvaluationAndNotAnEvaluation() throws {
        let dir = try Fixtures.temporaryDirectory("camkit-report-empty")
        let empty = MetricsFile(
            dataset: "synthetic:seed=1:test", datasetName: "synthetic", samples: 0, evaluationProtocol: .camkit,
            boxRule: BoxRule.camkit.description, iou: .hull, thresholdCount: 1000, model: nil, maps: nil, results: [])
        try JSONEncoder().encode(empty).write(to: dir.appendingPathComponent("metrics.json"))
        let out = try Report.write(evaluation: dir)
        let html = try String(contentsOf: out.index, encoding: .utf8)
        #expect(HTMLCheck(html: html).unbalanced().isEmpty)
        #expect(html.contains("id=\"no-results\"") && !html.contains("<svg") && !html.contains("<img"))
        #expect(!html.contains("id=\"charts\"") && html.contains("id=\"settings\""))
        #expect(out.warnings.contains { $0.contains("results.sqlite") })

        let notEval = try Fixtures.temporaryDirectory("camkit-report-none")
        do {
            try Report.write(evaluation: notEval)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("camkit evaluate"), "\(e)")
        }
        // An interrupted evaluation (store, no metrics.json) says to resume it.
        _ = try ResultStore(url: notEval.appendingPathComponent("results.sqlite"))
        do {
            try Report.write(evaluation: notEval)
            Issue.record("expected an error")
        } catch let e as CAMError {
            #expect(e.message.contains("resume"), "\(e)")
        }
        #expect(throws: CAMError.self) { try Report.write(evaluation: notEval.appendingPathComponent("missing")) }
    }

    @Test func galleryPicksAreDistinct() {
        let values = [0.9, 0.1, 0.5, 0.7, 0.3, 0.0, 1.0, 0.6, 0.2]
        let p = Report.galleryPicks(values, count: 2)
        #expect(p.best == [6, 0])
        #expect(p.worst == [1, 5])
        #expect(Set(p.median).isDisjoint(with: p.best + p.worst) && p.median.count == 2)
        let few = Report.galleryPicks([0.5, 0.2], count: 3)
        #expect(few.best == [0, 1] && few.median.isEmpty && few.worst.isEmpty)
        #expect(Report.galleryPicks([], count: 3).best.isEmpty)
    }
}
