import CAMCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on an output folder for as long as the value lives: a second run into the
/// same folder fails at once with a clear error instead of interleaving its writes with the first.
/// The kernel drops the lock when the process ends, however it ends, so no stale lock stays behind.
public final class FolderLock {
    private let fd: Int32

    /// Locks `folder` (which must exist); `what` names the job in the error ("evaluate").
    public init(_ folder: URL, for what: String) throws {
        fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CAMError(what, "cannot open the output folder (\(String(cString: strerror(errno))))", path: folder.path)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CAMError(
                what,
                busy
                    ? "another run is writing to this output folder; wait for it to finish or give another --out"
                    : "cannot lock the output folder (\(reason))",
                path: folder.path)
        }
    }

    deinit { close(fd) }
}
