import Foundation

/// Optimizers `camkit train` offers.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, adamw
}

/// Learning-rate schedules over epochs.
public enum ScheduleKind: String, Codable, Sendable, CaseIterable {
    /// The same rate throughout (the tutorial).
    case constant
    /// ×0.1 at 50% and 75% of the epochs.
    case step
    /// Cosine decay to zero.
    case cosine
}

/// Every hyperparameter of a training run. Defaults reproduce the tutorial's recipe
/// (SGD, lr 0.01, batch 16, 15 epochs, plain cross entropy, images resized to 224 and divided by 255).
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var epochs = 15
    public var batchSize = 16
    public var learningRate = 0.01
    public var optimizer: OptimizerKind = .sgd
    public var momentum = 0.0
    public var weightDecay = 0.0
    public var schedule: ScheduleKind = .constant
    public var warmupEpochs = 0.0
    public var labelSmoothing = 0.0
    /// Train only the head.
    public var freezeBackbone = false
    public var imageSize = 224
    /// Random horizontal flips and random resized crops (boxes follow).
    public var augment = false
    public var seed: UInt64 = 0

    public init() {}

    /// The learning rate at a fractional epoch position (`epoch + step/stepsPerEpoch`).
    public func learningRate(atEpoch position: Double) -> Double {
        if warmupEpochs > 0 && position < warmupEpochs {
            return learningRate * (position + 1e-9) / warmupEpochs
        }
        switch schedule {
        case .constant:
            return learningRate
        case .step:
            let fraction = position / Double(max(epochs, 1))
            return learningRate * (fraction >= 0.75 ? 0.01 : fraction >= 0.5 ? 0.1 : 1)
        case .cosine:
            let span = Double(epochs) - warmupEpochs
            let t = span > 0 ? (position - warmupEpochs) / span : 1
            return learningRate * 0.5 * (1 + cos(Double.pi * min(max(t, 0), 1)))
        }
    }
}
