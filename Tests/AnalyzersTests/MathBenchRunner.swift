import Foundation
import Testing
import Analyzers

/// Opt-in benchmark (not a test): runs only when LOUPE_BENCH_OUT is set, meant for release builds via
/// scripts/bench/analyzers_bench.sh. Inputs: LOUPE_BENCH_TSNE / LOUPE_BENCH_PCA (comma-separated .h5 paths),
/// LOUPE_BENCH_REPEATS, LOUPE_BENCH_ITERATIONS, LOUPE_BENCH_THREADS, LOUPE_BENCH_METHOD (auto, bh, fft).
@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_BENCH_OUT"] != nil))
func analyzerBenchRunner() throws {
    let env = ProcessInfo.processInfo.environment
    let list = { (key: String) in (env[key] ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty } }
    var options = TSNE.Options()
    if let it = env["LOUPE_BENCH_ITERATIONS"].flatMap(Int.init) { options.iterations = it }
    if let th = env["LOUPE_BENCH_THREADS"].flatMap(Int.init) { options.threads = th }
    if let m = env["LOUPE_BENCH_MOMENTUM0"].flatMap(Double.init) { options.initialMomentum = m }
    if let m = env["LOUPE_BENCH_METHOD"].flatMap(TSNE.Method.init(rawValue:)) { options.method = m }
    let data = try AnalyzerBench.run(tsneFiles: list("LOUPE_BENCH_TSNE"), pcaFiles: list("LOUPE_BENCH_PCA"),
                                     repeats: env["LOUPE_BENCH_REPEATS"].flatMap(Int.init) ?? 3, options: options)
    try data.write(to: URL(fileURLWithPath: env["LOUPE_BENCH_OUT"]!))
}
