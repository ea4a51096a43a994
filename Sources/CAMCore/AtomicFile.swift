import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that readers never see a partial file: write to a temporary file in the same
/// directory, then rename over the target. A failure (full disk, interruption) leaves the
/// previous file, if any, untouched.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temp)
            guard rename(temp.path, url.path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw AtomicFileError(path: url.path, underlying: error)
        }
    }

    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }
}

/// A failed atomic write: the target is unchanged.
public struct AtomicFileError: Error, CustomStringConvertible {
    public let path: String
    public let underlying: Error
    public var description: String { "could not write \(path): \(underlying.localizedDescription) (the previous file, if any, is unchanged)" }
}

extension AtomicFileError: UserFacingError {
    public var errorKind: ErrorKind { .internal }
    public var errorCode: String { "write_failed" }
}
