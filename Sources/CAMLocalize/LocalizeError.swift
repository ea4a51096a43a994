/// A failure while turning maps into boxes or scoring them.
public struct LocalizeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being done ("box rule", "score map", "metrics", ...).
    public let operation: String
    /// Why it failed, in words a user can act on.
    public let message: String
    /// The file involved, if any.
    public let path: String?

    public init(_ operation: String, _ message: String, path: String? = nil) {
        self.operation = operation
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(operation) '\(path)': \(message)" }
        return "\(operation): \(message)"
    }
}
