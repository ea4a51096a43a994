import ArgumentParser
import CAMKit
import CAMKitCLI
import CAMServer
import Foundation
import Torch

/// `camkit serve`: the web page and JSON API (docs/WEB.md).
@main
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camkit serve",
        abstract: "Serve a web page and a JSON API that explain a model's predictions (docs/WEB.md).",
        discussion: """
            Upload an image or browse --dataset; choose methods, layers, class, normalisation, colour map, opacity and \
            box threshold; see the original, the maps and the boxes side by side, with IoU against the dataset's boxes. \
            Network passes run one at a time on one thread; --queue more wait, others get 503 with Retry-After. \
            Binds to 127.0.0.1 unless --host says otherwise. API: /openapi.json.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(help: "Dataset to browse, as a dataset spec (e.g. wsol:DIR, synthetic:classes=8,test=64:test).")
    var dataset: String?

    @Option(help: "Address to bind (loopback by default; 0.0.0.0 exposes the server to the network).")
    var host: String = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port: Int = 8080

    @Option(help: "Largest upload in MiB (larger: 413).")
    var maxUploadMb: Double = 20

    @Option(help: "Largest image in megapixels, read from its header before decoding (larger: 413).")
    var maxMegapixels: Double = 40

    @Option(help: "Maps and boxes are computed at the image scaled to this longer side (pixels).")
    var maxMapSide: Int = 1024

    @Option(help: "Explain requests that may wait while one runs (more: 503 with Retry-After).")
    var queue: Int = 8

    @Option(help: "Seconds an explain request may wait and run (longer: 504).")
    var timeout: Double = 30

    @Option(help: "Most maps (methods x layers) per request.")
    var maxMaps: Int = 12

    @Option(help: "Explanations kept for re-rendering at another threshold or normalisation.")
    var cache: Int = 256

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxUploadMb > 0, maxMegapixels > 0, maxMapSide >= 16, queue >= 0, timeout > 0, maxMaps >= 1, cache >= 1 else {
            throw ValidationError("limits must be positive (--max-map-side at least 16, --queue at least 0)")
        }
    }

    func run() throws {
        try runtime.run {
            let loaded = try model.load()
            let data = try dataset.map { try DatasetSpec.parse($0).open() }
            var settings = ServerSettings()
            settings.maxUploadBytes = Int(maxUploadMb * 1024 * 1024)
            settings.maxPixels = Int(maxMegapixels * 1_000_000)
            settings.maxMapSide = maxMapSide
            settings.queueDepth = queue
            settings.requestTimeout = timeout
            settings.maxMaps = maxMaps
            settings.cacheEntries = cache
            let service = try CAMService(model: loaded, dataset: data, settings: settings)
            let threads = try Runtime.threadCount
            let summary =
                "model \(loaded.source.lastPathComponent) (\(loaded.info.classNames.count) classes)"
                + (data.map { ", dataset \($0.name) (\($0.count) samples)" } ?? "")
                + ", \(threads) libtorch threads"
            let host = self.host
            if !["127.0.0.1", "localhost", "::1"].contains(host) && !host.hasPrefix("127.") {
                FileHandle.standardError.write(
                    Data("camkit serve: warning: binding \(host) exposes the server beyond this machine; it has no authentication\n".utf8))
            }
            let app = CAMServer.application(service, host: host, port: port) { bound in
                let shown = host.contains(":") ? "[\(host)]" : host
                let line = "camkit serve: http://\(shown):\(bound.map(String.init) ?? "?")/ — \(summary); Ctrl-C stops\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            try runBlocking { try await app.runService() }
        }
    }
}

/// Runs async work to completion from a synchronous command (the root command is synchronous).
private func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}
