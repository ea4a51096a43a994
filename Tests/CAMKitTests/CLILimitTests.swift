import Foundation
import Testing

/// Resource options (threads, workers, batch sizes, image sizes, counts) are bounded: an absurd value is refused before anything starts.
@Suite struct CLILimitTests {
    @Test(arguments: [
        (["layers", "--arch", "resnet18", "--threads", "100000"], "--threads 100000 is out of range: give 1...256"),
        (["layers", "--arch", "resnet18", "--threads", "0"], "--threads 0 is out of range"),
        (
            ["evaluate", "--maps", "/nonexistent", "--dataset", "synthetic", "--out", "/tmp/x", "--workers", "1000"],
            "--workers 1000 is out of range: give 1...64"
        ),
        (["train", "--dataset", "synthetic", "--out", "/tmp/x", "--workers", "0"], "--workers 0 is out of range"),
        (["train", "--dataset", "synthetic", "--out", "/tmp/x", "--batch-size", "1000000"], "--batch-size 1000000 is out of range: give 1...4096"),
        (["train", "--dataset", "synthetic", "--out", "/tmp/x", "--image-size", "100000"], "--image-size 100000 is out of range: give 16...4096"),
        (["train", "--dataset", "synthetic", "--out", "/tmp/x", "--epochs", "0"], "--epochs 0 is out of range"),
        (["evaluate", "--maps", "/nonexistent", "--dataset", "synthetic", "--out", "/tmp/x", "--batch-size", "0"], "--batch-size 0 is out of range"),
        (["evaluate", "--maps", "/nonexistent", "--dataset", "synthetic", "--out", "/tmp/x", "--limit", "0"], "--limit 0 is out of range"),
        (["report", "/nonexistent", "--tile-height", "100000"], "--tile-height 100000 is out of range: give 16...4096")
    ])
    func outOfRangeThreadCountsAreRefused(arguments: [String], message: String) throws {
        let (status, output) = try TrainerResumeTests.run(arguments)
        #expect(status != 0)
        #expect(output.contains(message), "\(output)")
    }

    @Test func layersTakesTheSharedModelOptions() throws {
        let (status, output) = try TrainerResumeTests.run(["layers", "--arch", "resnet18", "--classes", "3", "--input-size", "64", "--threads", "1"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("layer4") && output.contains("fc"))
    }
}
