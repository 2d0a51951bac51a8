import Foundation

/// Crash-safe file creation: write under a temporary name in the target folder, sync, rename.
///
/// A file that exists under its final name is therefore always complete; a crash leaves at worst a
/// `.NAME.tmp-PID` file beside it, which readers never look at.
public enum AtomicFile {
    /// The temporary name used for `path` by this process.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        return folder + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    }

    /// The process id in a temporary name made by `temporaryPath`, or nil for any other name.
    public static func writerProcess(ofTemporaryName name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        return pid_t(name[marker.upperBound...])
    }

    /// Whether a process with this id exists (a stale temporary file's writer does not).
    public static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Calls `body` with a temporary path to write; then syncs and renames it to `path`.
    /// Every object holding the temporary file open must be released when `body` returns.
    @discardableResult
    public static func write<R>(to path: String, _ body: (String) throws -> R) throws -> R {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw LoupeError.io(path: path, message: "folder '\(folder)' does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw LoupeError.io(path: path, message: "folder '\(folder)' is not writable")
        }
        let temporary = temporaryPath(for: path)
        do {
            let result = try body(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else {
                throw LoupeError.io(path: path, message: "rename failed: \(String(cString: strerror(errno)))")
            }
            try? sync(folder)
            return result
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes `data` crash-safe.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw LoupeError.io(path: path, message: "cannot write (disk full or read-only?)")
            }
        }
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LoupeError.io(path: path, message: "cannot reopen to sync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LoupeError.io(path: path, message: "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
