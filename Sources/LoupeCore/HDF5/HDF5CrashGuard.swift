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

    /// A file is being opened for reading.
    static func enter(_ path: String) {
        #if !LOUPE_FUZZ
        lock.lock(); defer { lock.unlock() }
        chdf5_guard_install()
        reading.append(path)
        arm(path)
        #endif
    }

    /// A file opened with `enter` is closed (or failed to open).
    static func leave(_ path: String) {
        #if !LOUPE_FUZZ
        lock.lock(); defer { lock.unlock() }
        if let i = reading.lastIndex(of: path) { reading.remove(at: i) }
        if let last = reading.last { arm(last) } else { chdf5_guard_disarm() }
        #endif
    }

    static func message(_ path: String) -> String {
        "loupe: error: \(path): the HDF5 library crashed reading this file, so it is corrupt or damaged "
            + "(Debian 12's libhdf5 1.10.8 crashes on some corrupt files instead of reporting them)\n"
    }

    private static func arm(_ path: String) { message(path).withCString { chdf5_guard_arm($0) } }
}
