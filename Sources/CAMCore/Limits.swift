/// Limits on what a file may declare, checked before anything is sized from it (docs/LIMITS.md).
public enum Limits {
    /// The most classes a dataset or a model head may have (ImageNet-21k has 21,841): class labels
    /// are refused from this up, so that a label of 999999999 is an error, not a billion class names.
    public static let maxClasses = 100_000

    /// The largest square input side a model may declare (a checkpoint's input size, a Keras input
    /// shape) and `camkit train --image-size` takes: a model is probed at its input size when it opens.
    public static let maxInputSize = 4096
}
