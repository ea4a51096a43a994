import CAMCore

/// A failure while reading a dataset: a missing or malformed file, a corrupted record, a bad
/// annotation or a dataset spec that does not parse. The message says what to fix.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Equatable {
        /// A file or folder the dataset needs is not there.
        case missingFile
        /// A file is there but is not in the expected format.
        case badFormat
        /// A TFRecord record failed its CRC check, is truncated, or does not decode.
        case corruptRecord
        /// An annotation is unusable (box outside the image, unknown class, ...).
        case badAnnotation
        /// A dataset spec string does not parse.
        case badSpec
        /// An index or option is out of range.
        case outOfRange
    }

    public let kind: Kind
    /// Why, in words a user can act on.
    public let message: String
    /// The file involved, if any.
    public let path: String?
    /// The record index within `path` (TFRecord shards, annotation rows), if any.
    public let record: Int?

    public init(_ kind: Kind, _ message: String, path: String? = nil, record: Int? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.record = record
    }

    public var description: String {
        var where_ = ""
        if let path { where_ += " '\(path)'" }
        if let record { where_ += " record \(record)" }
        return where_.isEmpty ? message : "\(kind.rawValue)\(where_): \(message)"
    }
}

extension DataError: UserFacingError {
    public var errorKind: ErrorKind {
        switch kind {
        case .missingFile: .notFound
        case .badFormat, .corruptRecord, .badAnnotation: .unprocessable
        case .badSpec, .outOfRange: .badInput
        }
    }
    public var errorCode: String { "dataset_error" }
}
