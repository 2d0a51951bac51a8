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
        @Option(help: "FFT: interpolation nodes per box and dimension.") var interpolationPoints = TSNE.Interpolation().points
        @Option(help: "FFT: largest box side.") var intervalWidth = 1.0
        @Option(help: "Threads.") var threads = 2
        @Option(help: "Seed.") var seed: UInt64 = 0
        @Option(help: "Neighbour search for P: exact, approx or auto.") var neighbors = "auto"
        @Option(help: "Write the 2-D map here (.npy, float32 n × 2).") var writeEmbedding: String?
        @Flag(help: "Print JSON instead of a line of text.") var json = false

        func validate() throws {
            guard NearestNeighbors.Method(rawValue: neighbors) != nil else {
                throw ValidationError("--neighbors must be exact, approx or auto, got \(neighbors)")
            }
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
                options.neighbors = NearestNeighbors.Method(rawValue: neighbors)!
                var embedding: [Float] = []
                let r = try AnalyzerBench.tsne(file: file, options: options) { embedding = $0 }
                if let writeEmbedding { try AnalyzerBench.writeNPY(embedding, shape: [r.n, 2], to: writeEmbedding) }
                if json {
                    try printJSON(r)
                } else {
                    print(String(format: "t-SNE N=%d D=%d perplexity %g, %@: %.2f s (neighbours + P %.2f s, %@), KL %.4f%@",
                                 r.n, r.d, r.perplexity, r.method, r.seconds, r.affinitySeconds, r.neighbors?.method.rawValue ?? "?", r.kl,
                                 r.knn10Accuracy.map { String(format: ", 10-NN accuracy %.4f", $0) } ?? ""))
                }
            }
        }
    }

    /// `loupe bench knn`: wall time and recall of the neighbour search t-SNE uses (k = 3·perplexity).
    struct KNNBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "knn",
            abstract: "Wall time and recall (against exact) of the k-nearest-neighbour search on a file's /embedding.",
            discussion: """
            Exact neighbours are read from --exact-cache PREFIX.indices.npy / .distances.npy, or computed (and timed) and
            written there when missing. --write PREFIX saves the searched neighbours the same way (int32, float32 squared).
            Examples:
              loupe bench knn fashion_70000.h5 --method approx --exact-cache data/fashion_70000.knn90 --json
            """)

        @Argument(help: "HDF5 file with /embedding (n × d).") var file: String
        @Option(help: "Neighbours per row.") var k = 90
        @Option(help: "exact, approx or auto.") var method = "approx"
        @Option(help: "Seed.") var seed: UInt64 = 0
        @Option(help: "Threads.") var threads = 2
        @Option(help: "Path prefix of the exact neighbours (read, or computed and written).") var exactCache: String?
        @Option(help: "Path prefix to write the searched neighbours to.") var write: String?
        @Option(help: "k-means cells of the approximate search (default √n).") var clusters: Int?
        @Option(help: "Recall the approximate search's probe count is calibrated for.") var recallTarget = 0.995
        @Flag(help: "Print JSON instead of a line of text.") var json = false

        func validate() throws {
            guard NearestNeighbors.Method(rawValue: method) != nil else {
                throw ValidationError("--method must be exact, approx or auto, got \(method)")
            }
            guard k >= 1, threads >= 1 else { throw ValidationError("--k and --threads must be at least 1") }
        }

        func run() throws {
            try reportingErrors {
                var options = NearestNeighbors.ApproximateOptions()
                options.clusters = clusters
                options.recallTarget = recallTarget
                let r = try AnalyzerBench.knn(file: file, k: k, method: NearestNeighbors.Method(rawValue: method)!, seed: seed,
                                              threads: threads, options: options, exactCache: exactCache, write: write)
                if json {
                    try printJSON(r)
                } else {
                    print(String(format: "kNN N=%d D=%d k=%d %@ (ran %@, %d cells, %d probes, estimated recall %.4f, %.3f of pairs): %.2f s%@%@",
                                 r.n, r.d, r.k, r.report.requested.rawValue, r.report.method.rawValue, r.report.clusters, r.report.probes,
                                 r.report.estimatedRecall, r.report.searchedFraction, r.report.seconds,
                                 r.recall.map { String(format: "; recall vs exact %.4f", $0) } ?? "",
                                 r.exactSeconds.map { String(format: "; exact %.2f s", $0) } ?? ""))
                }
            }
        }
    }
}
