import Foundation

/// A progress bar with rate and ETA on a terminal; plain, rate-limited lines when output is a file.
public final class ProgressBar: @unchecked Sendable {
    public let label: String
    public private(set) var total: Int
    public private(set) var done = 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interactive: Bool
    private let quiet: Bool
    private let lock = NSLock()
    private var suffix = ""
    private var drewCompletion = false

    /// - Parameter quiet: draw nothing (tests, `--quiet`).
    public init(_ label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = max(total, 1)
        self.quiet = quiet || ProcessInfo.processInfo.environment["LOUPE_QUIET"] != nil
        interactive = isatty(STDERR_FILENO) != 0
    }

    /// Advances by `n` steps; `note` (e.g. "loss 0.42") is shown after the bar.
    public func advance(_ n: Int = 1, note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done = min(done + n, total)
        if let note { suffix = note }
        draw(force: done == total)
    }

    public func setTotal(_ n: Int) { lock.lock(); total = max(n, 1); lock.unlock() }

    /// Seconds since the bar started.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Ends the bar's line.
    public func finish(note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        if let note { suffix = note }
        done = total
        draw(force: true)
        if interactive && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(force: Bool) {
        guard !quiet, !drewCompletion else { return }
        if done == total { drewCompletion = true }
        let now = Date()
        let minGap = interactive ? 0.1 : 10.0
        guard force || now.timeIntervalSince(lastDraw) >= minGap else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let fraction = Double(done) / Double(total)
        let eta = done > 0 ? elapsed / fraction - elapsed : 0
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = "\(label) \(bar) \(done)/\(total) \(ProgressBar.format(rate: rate)) ETA \(ProgressBar.format(seconds: eta)) \(suffix)"
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    static func format(rate: Double) -> String {
        rate >= 10 ? String(format: "%.0f/s", rate) : String(format: "%.2f/s", rate)
    }

    /// `1h02m`, `3m05s`, `12s`.
    public static func format(seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
