import CCV

/// A failure in the imaging layer: decoding, encoding, an OpenCV call, a `.npy` file or bad arguments.
public struct ImagingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What CAMKit was doing ("decode", "resize", "findContours", ...).
    public let operation: String
    /// Why it failed; for OpenCV failures, OpenCV's own message.
    public let message: String
    /// The file involved, if any.
    public let path: String?

    public init(operation: String, message: String, path: String? = nil) {
        self.operation = operation
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(operation) '\(path)': \(message)" }
        return "\(operation): \(message)"
    }

    /// The error the shim stored for this thread.
    static func last(_ operation: String, path: String? = nil) -> ImagingError {
        let text = String(cString: ctcv_last_error())
        return ImagingError(operation: operation, message: text.isEmpty ? "unknown OpenCV failure" : text, path: path)
    }
}
