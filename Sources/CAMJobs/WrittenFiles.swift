import Foundation

/// The files a job has written so far. `WrittenFiles.takingBack` removes them when the job fails
/// before its summary file (`explain.json`, `localize.json`) is in place, so that a failed run
/// (a NaN output in a later batch, a full disk) leaves no maps without their summary.
struct WrittenFiles {
    private(set) var urls: [URL] = []

    /// Records a file once it is written (atomically: a failed write leaves nothing to take back).
    mutating func add(_ url: URL) { urls.append(url) }

    static func takingBack<T>(_ body: (inout WrittenFiles) throws -> T) throws -> T {
        var files = WrittenFiles()
        do {
            return try body(&files)
        } catch {
            for url in files.urls { try? FileManager.default.removeItem(at: url) }
            throw error
        }
    }
}
