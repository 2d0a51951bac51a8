import CHDF5
import Foundation

/// Turns a crash inside libhdf5, while it reads a file someone else wrote, into Loupe's one-line error.
///
/// Debian 12's libhdf5 1.10.8 faults or aborts on some corrupt files instead of returning an error
/// (found by fuzzing: docs/fuzzing.md). Loupe cannot fix the library, so while any file is open for
/// reading, a fault or abort prints `loupe: error: FILE: …` naming the most recently opened one and exits 1,
/// instead of a crash report. Files Loupe is writing are not guarded: a crash there is a bug to see whole.
/// Not installed in the fuzzing build, where AddressSanitizer must see every fault.
enum HDF5CrashGuard {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reading: [String] = []
    /// The state the installed handler reads (see shim.h: each object file has its own copy of it).
    nonisolated(unsafe) private static var state: UnsafeMutableRawPointer?

    /// A file is being opened for reading.
    static func enter(_ path: String) {
        #if !LOUPE_FUZZ
        lock.lock(); defer { lock.unlock() }
        if state == nil { state = chdf5_guard_install() }
        reading.append(path)
        arm(path)
        #endif
    }

    /// A file opened with `enter` is closed (or failed to open).
    static func leave(_ path: String) {
        #if !LOUPE_FUZZ
        lock.lock(); defer { lock.unlock() }
        if let i = reading.lastIndex(of: path) { reading.remove(at: i) }
        if let last = reading.last { arm(last) } else if let state { chdf5_guard_disarm(state) }
        #endif
    }

    static func message(_ path: String) -> String {
        "loupe: error: \(path): the HDF5 library crashed reading this file, so it is corrupt or damaged "
            + "(Debian 12's libhdf5 1.10.8 crashes on some corrupt files instead of reporting them)\n"
    }

    private static func arm(_ path: String) { if let state { message(path).withCString { chdf5_guard_arm(state, $0) } } }

    /// Seconds a variable-length string read may take before the file counts as corrupt: 60, plus one per
    /// 100,000 strings; `LOUPE_HDF5_WATCHDOG_SECONDS` overrides it (tests use a few seconds).
    static func watchdogSeconds(strings: Int) -> UInt32 {
        if let text = ProcessInfo.processInfo.environment["LOUPE_HDF5_WATCHDOG_SECONDS"], let seconds = UInt32(text), seconds > 0 { return seconds }
        return UInt32(min(3600, 60 + strings / 100_000))
    }

    /// Runs a read that libhdf5 may spin in on a corrupt file (variable-length strings sit in the global
    /// heap, whose corruption makes `H5HG_read` loop forever): past its time it ends as Loupe's error.
    /// One read at a time: the process has one alarm.
    static func watching<R>(_ at: HDF5Location, strings: Int, _ body: () throws -> R) rethrows -> R {
        #if LOUPE_FUZZ
        return try body()
        #else
        let seconds = watchdogSeconds(strings: strings)
        let text = "loupe: error: \(at.file): reading the strings of \(at.object) took over \(seconds) s inside the HDF5 library, "
            + "so the file is corrupt (Debian 12's libhdf5 1.10.8 can loop forever on a corrupt global heap)\n"
        watchLock.lock()
        text.withCString { chdf5_watch_start($0, seconds) }
        defer { chdf5_watch_stop(); watchLock.unlock() }
        return try body()
        #endif
    }
    private static let watchLock = NSLock()
}
