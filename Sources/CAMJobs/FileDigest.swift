import CAMCore
import Crypto
import Foundation

/// The SHA-256 of a file's bytes, read in chunks: what keys a run to the model it was made with,
/// so that replacing the file at the same path is noticed.
enum FileDigest {
    static func sha256(of url: URL) throws -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw CAMError("hash the model", "cannot open it (\(error.localizedDescription))", path: url.path, kind: .notFound)
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 4 << 20) } catch {
                throw CAMError("hash the model", "cannot read it (\(error.localizedDescription))", path: url.path)
            }
            guard let chunk, !chunk.isEmpty else { break }
            hash.update(data: chunk)
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
