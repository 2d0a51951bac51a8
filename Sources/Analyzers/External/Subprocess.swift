// posix_spawn rather than Foundation's Process: the program gets its own process group, so a time
// limit stops it together with everything it started (Process signals only the direct child, and
// waiting on it blocks while a grandchild still holds its descriptors), and it starts with default
// signal handling whatever the parent blocks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LoupeCore

/// Adds "close every descriptor from 3 on" to the spawn: glibc's posix_spawn_file_actions_addclosefrom_np
/// (glibc 2.34; looked up at run time because Swift's Glibc module does not export it), Darwin's
/// POSIX_SPAWN_CLOEXEC_DEFAULT.
private func closeInherited(_ files: inout posix_spawn_file_actions_t, _ attributes: inout posix_spawnattr_t) {
    #if os(Linux)
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&files, 3)
    }
    #elseif canImport(Darwin)
    var flags: Int16 = 0
    posix_spawnattr_getflags(&attributes, &flags)
    posix_spawnattr_setflags(&attributes, flags | Int16(POSIX_SPAWN_CLOEXEC_DEFAULT))
    #endif
}

/// Runs a program with a time limit, stdout and stderr captured to one file (no pipe to fill up).
enum Subprocess {
    struct Outcome {
        /// Exit status, or nil when it was stopped at the time limit.
        var status: Int32?
        /// The signal that ended it, if one did.
        var signal: Int32?
        var output: String

        /// The last `n` lines of what it printed, for error messages.
        func tail(_ n: Int = 15) -> String {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(n).joined(separator: "\n")
            let text = lines.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "(nothing)" : text
        }
    }

    /// Runs `executable` with `arguments` in a new process group; after `timeout` seconds the group is
    /// sent SIGTERM, two seconds later SIGKILL. Whatever the program leaves running is killed too.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-plugin-\(getpid())-\(UUID().uuidString).log").path
        defer { unlink(log) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&files, 1, 2)
        // Nothing else inherited: an inherited HDF5 descriptor would keep that file's lock after we close it.
        closeInherited(&files, &attributes)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let started = posix_spawn(&pid, executable, &files, &attributes, argv, environ)
        guard started == 0 else {
            throw LoupeError.invalidInput("cannot start \(executable): \(String(cString: strerror(started)))")
        }

        var status: Int32 = 0
        var timedOut = false
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if Date() >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                let grace = Date().addingTimeInterval(2)
                while waitpid(pid, &status, WNOHANG) == 0 {
                    if Date() >= grace { kill(-pid, SIGKILL); _ = waitpid(pid, &status, 0); break }
                    usleep(20_000)
                }
                break
            }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)  // anything it left behind
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let signal = status & 0x7f
        return Outcome(status: timedOut ? nil : (signal == 0 ? (status >> 8) & 0xff : signal), signal: signal == 0 || timedOut ? nil : signal, output: output)
    }
}
