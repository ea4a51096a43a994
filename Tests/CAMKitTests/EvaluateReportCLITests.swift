import Foundation
import Testing
import TestSupport

/// `camkit evaluate` whose HTML report fails after the evaluation keeps the evaluation and says so, exiting non-zero (#20).
@Suite struct EvaluateReportCLITests {
    @Test func aFailedReportExitsNonZeroSayingTheMetricsAreWritten() throws {
        let model = try LocalizeEvaluateTests.smallModel(classes: 3, inputSize: 32)
        // The report reads the training curves of the run folder the model is in: a history.json
        // that does not parse fails the report, and only the report.
        try Data("not json".utf8).write(to: model.deletingLastPathComponent().appendingPathComponent("history.json"))
        let out = try Fixtures.temporaryDirectory("camkit-eval-report")
        let (status, output) = try TrainerResumeTests.run([
            "evaluate", "--dataset", "synthetic:seed=3,classes=3,train=4,test=4,size=32:test", "--model", model.path,
            "--method", "cam", "--layer", "layer4", "--out", out.path, "--threads", "1", "--workers", "1"
        ])
        #expect(status != 0, "\(output)")
        #expect(output.contains("evaluated 4 samples"), "\(output)")
        #expect(output.contains("the evaluation finished (metrics.json and results.sqlite are written) but its HTML report failed"), "\(output)")
        #expect(output.contains("cannot read the training history") && output.contains("camkit report \(out.path)"), "\(output)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("results.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report/index.html").path))
    }
}
