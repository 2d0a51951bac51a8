// Timed runs of the numerical core on the shared benchmark inputs (../shared/bench/make_gmm_h5.py dumps and
// a PCA matrix written by scripts/bench/analyzers_bench.sh), for side-by-side comparison with openTSNE and
// scikit-learn. Called by a CLI command and by the opt-in release test MathBenchRunner; prints nothing.
import Foundation
import LoupeCore

/// Benchmarks of t-SNE and PCA on run-format files holding `/embedding` (n×d float32).
public enum AnalyzerBench {
    public struct TSNERecord: Codable {
        public var file: String
        public var n: Int
        public var d: Int
        public var perplexity: Double
        public var iterations: Int
        public var threads: Int
        public var theta: Double
        /// Repulsion used: "bh" or "fft" (`auto` resolved).
        public var method: String
        /// Wall time of `TSNE.fit`, input already in memory (as the peers are timed).
        public var seconds: Double
        /// Wall time of the neighbour search + affinities alone (a separate, untimed-in-`seconds` run).
        public var affinitySeconds: Double
        public var kl: Double
        /// Leave-one-out 10-NN accuracy of `/probe/labels` in the 2-D map (nearest-first ties), if labels exist.
        public var knn10Accuracy: Double?
        public var klHistory: [Double]
    }

    public struct PCARecord: Codable {
        public var file: String
        public var n: Int
        public var d: Int
        public var components: Int
        public var method: String
        /// Wall time of `PCA.fit` (centring, decomposition, projection), input in memory.
        public var seconds: Double
        public var explainedVarianceRatio: [Double]
        public var explainedVariance: [Double]
    }

    /// Reads `/embedding` (and `/probe/labels` when present).
    public static func load(_ path: String) throws -> (x: [Float], n: Int, d: Int, labels: [Int]?) {
        let file = try HDF5File.open(path)
        let dataset = try file.dataset("/embedding")
        guard dataset.shape.count == 2 else {
            throw LoupeError.invalidInput("\(path): /embedding must be 2-D, has shape \(dataset.shape)")
        }
        let x = try dataset.read(as: Float.self)
        var labels: [Int]?
        if file.contains("/probe/labels") { labels = try file.read("/probe/labels", as: Int64.self).map { Int($0) } }
        return (x, dataset.shape[0], dataset.shape[1], labels)
    }

    /// Times one t-SNE fit of the file's `/embedding`.
    public static func tsne(file path: String, options: TSNE.Options = TSNE.Options()) throws -> TSNERecord {
        let (x, n, d, labels) = try load(path)
        let clock = ContinuousClock()
        let affinityTime = BLAS.withThreads(options.threads) {
            clock.measure { _ = TSNE.affinities(x, n: n, d: d, perplexity: options.perplexity, threads: options.threads) }
        }
        var result: TSNE.Result?
        let fitTime = try clock.measure { result = try TSNE.fit(x, n: n, d: d, options: options) }
        let r = result!
        return TSNERecord(file: path, n: n, d: d, perplexity: options.perplexity, iterations: options.iterations,
                          threads: options.threads, theta: options.theta, method: r.method.rawValue, seconds: fitTime.seconds,
                          affinitySeconds: affinityTime.seconds, kl: r.kl,
                          knn10Accuracy: labels.map { ClusterMetrics.knnAccuracy(r.embedding, n: n, d: 2, labels: $0, k: 10) },
                          klHistory: r.klHistory.map(\.kl))
    }

    /// Times one PCA fit of the file's `/embedding`.
    public static func pca(file path: String, components: Int = 50, method: PCA.Method = .auto, threads: Int = 2) throws -> PCARecord {
        let (x, n, d, _) = try load(path)
        var result: PCA.Result?
        let time = try BLAS.withThreads(threads) {
            try ContinuousClock().measure { result = try PCA.fit(x, n: n, d: d, components: components, method: method) }
        }
        return PCARecord(file: path, n: n, d: d, components: components, method: "\(method)", seconds: time.seconds,
                         explainedVarianceRatio: result!.explainedVarianceRatio,
                         explainedVariance: result!.explainedVariance)
    }

    /// Runs `repeats` timed t-SNE fits per file in `tsneFiles` and PCA fits per file in `pcaFiles`
    /// (exact and randomized), and returns them as JSON (`{"tsne": [...], "pca": [...]}`).
    public static func run(tsneFiles: [String], pcaFiles: [String], repeats: Int = 3, options: TSNE.Options = TSNE.Options(),
                           pcaComponents: Int = 50) throws -> Data {
        struct Report: Codable { var tsne: [TSNERecord]; var pca: [PCARecord] }
        var report = Report(tsne: [], pca: [])
        for file in tsneFiles {
            for _ in 0..<max(1, repeats) { report.tsne.append(try tsne(file: file, options: options)) }
        }
        for file in pcaFiles {
            _ = try pca(file: file, components: pcaComponents, method: .exact)  // warm-up, as the peer script does
            for method in [PCA.Method.exact, .randomized] {
                for _ in 0..<max(1, repeats) { report.pca.append(try pca(file: file, components: pcaComponents, method: method)) }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
