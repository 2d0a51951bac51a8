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
        throw ExitCode.failure
    }
}
