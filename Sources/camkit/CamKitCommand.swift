import ArgumentParser
import CAMKit
import Foundation
import CAMKitCLI
import Torch

@main
struct CamKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camkit",
        abstract: "Class activation maps and weakly supervised localization.",
        version: CAMKitVersion.string,
        subcommands: [
            LayersCommand.self, DataCommand.self, TrainCommand.self, ExplainCommand.self, LocalizeCommand.self, EvaluateCommand.self,
            FaithfulnessCommand.self, MergeCommand.self,
            ReportCommand.self, ServeLauncher.self, DemoCommand.self
        ]
    )
}
