import Analyzers
import ArgumentParser
import CLISupport
import Foundation
import LoupeCore

extension Bench {
    /// `loupe bench pca`: PCA.fit wall time on a file's `/embedding`, as shared/bench/pca.py times scikit-learn.
    struct PCABench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pca",
            abstract: "Wall time of PCA (centring, decomposition, scores) on a file's /embedding.",
            discussion: """
            The input is any HDF5 file with a 2-D float32 /embedding, e.g. one written by shared/bench/make_gmm_h5.py
            or scripts/bench/analyzers_bench.py. Reports the median of --repeats fits and the explained-variance ratios.
            Examples:
              loupe bench pca pca_20000x512.h5
              loupe bench pca pca_20000x512.h5 --method randomized --repeats 5 --json
            """)

        @Argument(help: "HDF5 file with /embedding (n × d).") var file: String
        @Option(help: "Components.") var components = 50
        @Option(help: "auto, exact or randomized.") var method = "auto"
        @Option(help: "OpenBLAS threads.") var threads = 2
        @Option(help: "Timed fits (median reported).") var repeats = 5
        @Flag(help: "Print JSON instead of a line of text.") var json = false

        func validate() throws {
            guard ["auto", "exact", "randomized"].contains(method) else {
                throw ValidationError("--method must be auto, exact or randomized, got \(method)")
            }
            guard components >= 1, threads >= 1, repeats >= 1 else {
                throw ValidationError("--components, --threads and --repeats must be at least 1")
            }
        }

        func run() throws {
            try reportingErrors {
                let m: PCA.Method = method == "exact" ? .exact : method == "randomized" ? .randomized : .auto
                var records: [AnalyzerBench.PCARecord] = []
                for _ in 0..<repeats {
                    records.append(try AnalyzerBench.pca(file: file, components: components, method: m, threads: threads))
                }
                let times = records.map(\.seconds).sorted()
                let median = times[times.count / 2]
                if json {
                    struct Out: Codable { var median: Double; var seconds: [Double]; var last: AnalyzerBench.PCARecord }
                    try printJSON(Out(median: median, seconds: records.map(\.seconds), last: records.last!))
                } else {
                    let r = records.last!
                    print(String(format: "PCA %d×%d, %d components (%@): median %.3f s over %d fits (min %.3f, max %.3f); first ratios %@",
                                 r.n, r.d, r.components, r.method, median, repeats, times.first!, times.last!,
                                 r.explainedVarianceRatio.prefix(3).map { String(format: "%.5f", $0) }.joined(separator: ", ")))
                }
            }
        }
    }

    /// `loupe bench tsne`: t-SNE wall time and final KL on a file's `/embedding`, as shared/bench/tsne.py times openTSNE.
    struct TSNEBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tsne",
            abstract: "Wall time, final KL and 10-NN accuracy of t-SNE (Barnes-Hut or FFT-interpolated) on a file's /embedding.",
            discussion: """
            Defaults match shared/bench/tsne.py: perplexity 30, 1000 iterations (250 with exaggeration 12), θ 0.5, 2 threads;
            --method auto picks Barnes-Hut below \(TSNE.fftMinimumPoints) points and the FFT interpolation from there.
            Examples:
              loupe bench tsne gmm_10000.h5
              loupe bench tsne gmm_10000.h5 --method fft
              loupe bench tsne gmm_2000.h5 --perplexity 20 --json
            """)

        @Argument(help: "HDF5 file with /embedding (n × d) and optionally /probe/labels.") var file: String
        @Option(help: "Perplexity.") var perplexity = 30.0
        @Option(help: "Total iterations.") var iterations = 1000
        @Option(help: "Repulsion: auto, bh or fft.") var method = "auto"
        @Option(help: "Barnes-Hut θ.") var theta = 0.5
        @Option(help: "FFT: interpolation nodes per box and dimension.") var interpolationPoints = 3
        @Option(help: "FFT: largest box side.") var intervalWidth = 1.0
        @Option(help: "Threads.") var threads = 2
        @Option(help: "Seed.") var seed: UInt64 = 0
        @Flag(help: "Print JSON instead of a line of text.") var json = false

        func validate() throws {
            guard perplexity > 0, iterations >= 1, theta >= 0, threads >= 1 else {
                throw ValidationError("need --perplexity > 0, --iterations ≥ 1, --theta ≥ 0, --threads ≥ 1")
            }
            guard TSNE.Method(rawValue: method) != nil else {
                throw ValidationError("--method must be auto, bh or fft, got \(method)")
            }
        }

        func run() throws {
            try reportingErrors {
                var options = TSNE.Options()
                options.perplexity = perplexity
                options.iterations = iterations
                options.theta = theta
                options.method = TSNE.Method(rawValue: method)!
                options.interpolation.points = interpolationPoints
                options.interpolation.intervalWidth = intervalWidth
                options.threads = threads
                options.seed = seed
                let r = try AnalyzerBench.tsne(file: file, options: options)
                if json {
                    try printJSON(r)
                } else {
                    print(String(format: "t-SNE N=%d D=%d perplexity %g, %@: %.2f s (affinities alone %.2f s), KL %.4f%@",
                                 r.n, r.d, r.perplexity, r.method, r.seconds, r.affinitySeconds, r.kl,
                                 r.knn10Accuracy.map { String(format: ", 10-NN accuracy %.4f", $0) } ?? ""))
                }
            }
        }
    }
}
