import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation

/// `camkit demo`: the main job on the embedded default (what `make demo` runs).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate the synthetic dataset, train the demo network, evaluate CAM and Grad-CAM at three layers, write the report.",
        discussion: "Data and model are cached in --cache; a rerun only evaluates. --fresh redoes everything."
    )

    @Option(help: "Cache for the generated data and the trained model.")
    var cache: String = ".camkit-cache"

    @Option(help: "Output directory for the evaluation and the report.")
    var out: String = "demo-output"

    @Flag(help: "Drop the cache and the output, and redo everything.")
    var fresh = false

    @Option(help: "Data loading threads.")
    var workers: Int = 2

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws { try ThreadLimits.checkWorkers(workers) }

    func run() throws {
        do {
            try runtime.apply()
            var options = Demo.Options()
            options.cache = URL(fileURLWithPath: cache)
            options.output = URL(fileURLWithPath: out)
            options.fresh = fresh
            options.workers = workers
            let summary = try Demo.run(options) { print($0) }
            print("")
            print(Demo.table(summary.metrics))
            print("")
            print("report: \(summary.reportURL.path)")
            print(String(format: "done in %.0f s", summary.seconds))
        } catch {
            throw fail(error)
        }
    }
}
