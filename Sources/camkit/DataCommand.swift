import ArgumentParser
import CAMKit
import CAMKitCLI
import Foundation

/// `camkit data`: look at datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect datasets.",
        subcommands: [Inspect.self]
    )

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts, classes and box statistics of a dataset; a few samples drawn with their boxes.",
            discussion: DatasetSpec.usage
        )

        @Argument(help: "Dataset spec, e.g. synthetic:seed=0,classes=8,train=4000,test=800,size=128:test")
        var spec: String

        @Flag(help: "Print a JSON array, one object per sample: id, label, class_name, boxes, width, height.")
        var json = false

        @Option(help: "Only the first N samples (JSON).")
        var limit: Int?

        @Option(help: "Write drawn samples here (default: ./inspect-samples).")
        var samples: String = "inspect-samples"

        @Option(help: "How many samples to draw.")
        var count: Int = 8

        func run() throws {
            do {
                try DataInspect.run(
                    spec: spec, json: json, limit: limit,
                    samplesDirectory: json ? nil : URL(fileURLWithPath: samples), drawCount: count
                ) { print($0) }
            } catch {
                throw fail(error)
            }
        }
    }
}
