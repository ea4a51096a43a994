/// Who is to blame for a failure, broadly: what the web API answers with (`400`, `413`, `422`,
/// `404`, `500`) and what the CLI may use to choose an exit status.
public enum ErrorKind: String, Sendable, Codable, CaseIterable {
    /// An argument, option or request parameter is wrong (a value out of range, an unknown name).
    case badInput
    /// The input is larger than a stated limit.
    case tooLarge
    /// The input is there and well-formed as a request, but its content cannot be used (an image
    /// that does not decode, a file in the wrong format, a corrupt record).
    case unprocessable
    /// A file, folder or named item is not there.
    case notFound
    /// CAMKit's own failure (a write that failed, a library call that should not fail).
    case `internal`
}

/// An error a user sees: a kind, a stable machine-readable code and a message that says what to
/// fix. Every stage's errors conform, so the CLI and the server treat them one way.
public protocol UserFacingError: Error, CustomStringConvertible, Sendable {
    var errorKind: ErrorKind { get }
    /// A stable code (`snake_case`), documented in docs/WEB.md for the API.
    var errorCode: String { get }
    /// The accepted values, where the error is an unknown name.
    var validValues: [String]? { get }
}

extension UserFacingError {
    public var validValues: [String]? { nil }
}

extension ErrorKind {
    /// The code used when an error names none of its own.
    public var defaultCode: String {
        switch self {
        case .badInput: "bad_parameter"
        case .tooLarge: "too_large"
        case .unprocessable: "unprocessable"
        case .notFound: "not_found"
        case .internal: "internal"
        }
    }
}

/// The error of the imaging, localisation and report stages: what CAMKit was doing, why it
/// failed and the file involved.
public struct CAMError: UserFacingError, Equatable {
    public let kind: ErrorKind
    /// What CAMKit was doing ("decode", "resize", "box rule", "panel", ...).
    public let operation: String
    /// Why it failed, in words a user can act on; for OpenCV failures, OpenCV's own message.
    public let message: String
    /// The file involved, if any.
    public let path: String?
    /// A code more specific than the kind's (`undecodable_image`), if any.
    public let code: String?

    public init(_ operation: String, _ message: String, path: String? = nil, kind: ErrorKind = .badInput, code: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.message = message
        self.path = path
        self.code = code
    }

    public var errorKind: ErrorKind { kind }
    public var errorCode: String { code ?? kind.defaultCode }

    public var description: String {
        if let path { return "\(operation) '\(path)': \(message)" }
        return "\(operation): \(message)"
    }
}
