import Foundation

/// Progress of long work on standard error: a live line with count, rate and ETA on a terminal;
/// nothing (or only `log` lines) when standard error is piped.
public final class ProgressLine: @unchecked Sendable {
    public let total: Int
    public let label: String
    public let isTerminal: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast

    public init(total: Int, label: String, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.label = label
        self.isTerminal = isTerminal
    }

    /// Seconds since this line was created.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// Redraws the line (at most 10 times a second) with `done` of `total` and an optional suffix.
    public func update(_ done: Int, units: String = "items", suffix: String = "") {
        guard isTerminal else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\r\(label) \(bar) \(done)/\(total) \(String(format: "%.1f", rate)) \(units)/s ETA \(Self.clock(eta)) \(suffix)"
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
    }

    /// Ends the live line (terminal only).
    public func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// A line that is printed whether or not standard error is a terminal.
    public func log(_ message: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
    }

    /// `m:ss` or `h:mm:ss`.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
