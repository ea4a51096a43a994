import Foundation
import Testing

/// Thread-count options are bounded: an absurd value is refused before anything starts.
@Suite struct CLILimitTests {
    @Test(arguments: [
        (["layers", "--arch", "resnet18", "--threads", "100000"], "--threads 100000 is out of range: give 1...256"),
        (["layers", "--arch", "resnet18", "--threads", "0"], "--threads 0 is out of range"),
        (
            ["evaluate", "--maps", "/nonexistent", "--dataset", "synthetic", "--out", "/tmp/x", "--workers", "1000"],
            "--workers 1000 is out of range: give 1...64"
        ),
        (["train", "--dataset", "synthetic", "--out", "/tmp/x", "--workers", "0"], "--workers 0 is out of range")
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
