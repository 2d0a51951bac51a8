import Foundation
import LoupeCore

/// Runs a program with a time limit, its stdout and stderr captured to a file (no pipe to fill up).
enum Subprocess {
    struct Outcome {
        /// Exit status, or nil when it was stopped at the time limit.
        var status: Int32?
        var signalled: Bool
        var output: String

        /// The last `n` lines of what it printed, for error messages.
        func tail(_ n: Int = 15) -> String {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(n).joined(separator: "\n")
            return lines.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Runs `executable` with `arguments`; after `timeout` seconds it is sent SIGTERM, two seconds later SIGKILL.
    static func run(_ executable: String, _ arguments: [String], timeout: Double, environment: [String: String]? = nil) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-plugin-\(getpid())-\(UUID().uuidString).log").path
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw LoupeError.io(path: log, message: "cannot create a log file") }
        defer { try? FileManager.default.removeItem(atPath: log) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LoupeError.invalidInput("cannot start \(executable): \((error as NSError).localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                process.terminate()
                let grace = Date().addingTimeInterval(2)
                while process.isRunning && Date() < grace { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Outcome(status: timedOut ? nil : process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, output: output)
    }
}
