import Foundation
import LoupeCore

/// gzip decompression by running the system `gzip -dc`.
///
/// Why a process: Loupe declares no zlib module (only LoupeCore may open C libraries, and zlib is not
/// one of them), and Foundation on Linux has no public gunzip. `gzip` is an Essential package on
/// Debian, so it is present wherever `dataset-fashion-mnist` can be installed; this costs one fork
/// per file (the four Fashion-MNIST files decompress in well under a second).
enum Gunzip {
    /// True when `data` starts with the gzip magic bytes 1F 8B.
    static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed contents of the gzip file at `path`.
    /// - Throws: `LoupeError.io` when gzip is missing or fails (corrupt or truncated file).
    static func decompress(path: String) throws -> Data {
        guard let gzip = executable() else {
            throw LoupeError.io(path: path, message: "cannot decompress: no 'gzip' program found (apt-get install gzip), or decompress the file yourself")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = ["-dc", "--", path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LoupeError.io(path: path, message: "cannot run \(gzip): \(error.localizedDescription)")
        }
        // Drain stderr on the side so a chatty gzip cannot block while we read stdout.
        let errorText = LockedBox(Data())
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errorText.value = errors.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let message = String(decoding: errorText.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LoupeError.io(path: path, message: "gzip failed: \(message.isEmpty ? "status \(process.terminationStatus)" : message)")
        }
        return data
    }

    /// The gzip program: the usual Debian locations first, then $PATH.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/bin/gzip", "/bin/gzip"] + path.split(separator: ":").map { $0 + "/gzip" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A value guarded by a lock, for handing a result back from another thread.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
    /// Reads and changes the value in one locked step.
    @discardableResult
    func withValue<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&stored)
    }
}
