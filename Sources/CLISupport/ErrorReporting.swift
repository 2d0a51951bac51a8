import ArgumentParser
import Foundation

/// Runs `body`; a thrown error becomes one line on stderr ("loupe: …") and exit code 1, never a trap.
public func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("loupe: error: \(error)\n".utf8))
        // Leave without the C libraries' exit handlers: libhdf5 1.10 crashes closing a file whose flush
        // failed (a full disk), which would turn this reported error into a segfault. Every file Loupe
        // writes is already complete or removed (temp file, then rename); only stdout needs flushing.
        fflush(stdout)
        _exit(1)
    }
}
