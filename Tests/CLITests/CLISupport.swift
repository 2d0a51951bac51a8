import Foundation
// Every file of this test target sees the shared helpers (runProcess, makeTemporaryFolder, safetensorsData).
@_exported import LoupeTestSupport

/// The `loupe` binary built beside the test bundle.
let loupeBinary: String = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("loupe").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("loupe").path
}()

/// Runs `loupe` with `arguments`; returns exit status, stdout and stderr.
func loupe(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    var env = ProcessInfo.processInfo.environment
    env["LOUPE_QUIET"] = "1"
    // A host's OPENBLAS_CORETYPE would add its warning to stderr, which tests of error messages read.
    env["OPENBLAS_CORETYPE"] = nil
    for (k, v) in environment { env[k] = v }
    return try runProcess(loupeBinary, arguments, environment: env)
}
