import Foundation
import CAMCore

/// Receives training progress.
public protocol TrainingProgress: AnyObject {
    func epochStarted(epoch: Int, of epochs: Int, batches: Int, startingAt: Int)
    func step(index: Int, loss: Double, accuracy: Double, images: Int, seconds: Double)
    func epochFinished(_ record: EpochRecord)
}

/// A bar with images/s, loss, accuracy and ETA on a terminal; one line per epoch otherwise.
public final class ConsoleTrainingProgress: TrainingProgress {
    private var line: ProgressLine?
    private var epochs = 0

    public init() {}

    public func epochStarted(epoch: Int, of epochs: Int, batches: Int, startingAt: Int) {
        self.epochs = epochs
        line = ProgressLine(total: batches, label: "epoch \(epoch + 1)/\(epochs)")
        line?.update(startingAt, units: "batches")
    }

    public func step(index: Int, loss: Double, accuracy: Double, images: Int, seconds: Double) {
        line?.update(
            index, units: "batches",
            suffix: String(format: "loss %.4f acc %.3f %.0f img/s", loss, accuracy, Double(images) / max(seconds, 1e-9)))
    }

    public func epochFinished(_ r: EpochRecord) {
        line?.finish()
        let text = String(
            format: "epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_top1 %.4f  val_top5 %.4f  lr %.5g  %.0f img/s  %.1fs",
            r.epoch, epochs, r.trainLoss, r.trainAccuracy, r.validationLoss, r.validationTop1, r.validationTop5,
            r.learningRate, r.imagesPerSecond, r.seconds)
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
