import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation

/// `camkit merge`: the shards of a sharded evaluation joined into one evaluation folder.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shards of a sharded evaluation (camkit evaluate --shard I/N) into one evaluation folder.",
        discussion: """
            Copies every shard's per-image results into OUT/results.sqlite and writes OUT/metrics.json, metrics.csv and the \
            report exactly as one unsharded run would. Refuses shards of different runs (settings, models, shard counts), \
            a shard given twice, a missing or unfinished shard, naming which (docs/SCALE.md).
            """
    )

    @Argument(help: "The merged evaluation's folder.")
    var out: String

    @Argument(help: "The shards' --out folders, one per shard 0...N-1.")
    var shards: [String]

    @Flag(help: "Replace an evaluation already in OUT.")
    var overwrite = false

    @Flag(name: .customLong("report"), inversion: .prefixedNo, help: "Also write the HTML report OUT/report/index.html.")
    var htmlReport = true

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.run {
            let output = URL(fileURLWithPath: out)
            let report = try EvaluationMerge.run(shards: shards.map { URL(fileURLWithPath: $0) }, output: output, overwrite: overwrite)
            EvaluateCommand.printSummary(report)
            if htmlReport {
                let metrics = try JSONDecoder().decode(MetricsFile.self, from: Data(contentsOf: report.metricsJSON))
                try EvaluateCommand.writeReport(output: output, model: nil, dataset: try DatasetSpec.parse(metrics.dataset).open())
            }
        }
    }
}
