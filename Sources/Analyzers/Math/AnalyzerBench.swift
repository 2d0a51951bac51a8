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
        /// Wall time of the neighbour search + affinities inside that fit (part of `seconds`).
        public var affinitySeconds: Double
        /// The neighbour search of that fit (method, cells, probes, estimated recall, seconds).
        public var neighbors: NearestNeighbors.Report?
        /// Peak resident memory of this process so far, MiB (getrusage ru_maxrss).
        public var peakRSSMiB: Double?
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
    public static func tsne(file path: String, options: TSNE.Options = TSNE.Options(),
                            embedding: ([Float]) -> Void = { _ in }) throws -> TSNERecord {
        let (x, n, d, labels) = try load(path)
        let clock = ContinuousClock()
        var result: TSNE.Result?
        let fitTime = try clock.measure { result = try TSNE.fit(x, n: n, d: d, options: options) }
        let r = result!
        embedding(r.embedding)
        return TSNERecord(file: path, n: n, d: d, perplexity: options.perplexity, iterations: options.iterations,
                          threads: options.threads, theta: options.theta, method: r.method.rawValue, seconds: fitTime.seconds,
                          affinitySeconds: r.affinitySeconds ?? .nan, neighbors: r.neighbors, peakRSSMiB: peakRSSMiB(), kl: r.kl,
                          knn10Accuracy: labels.map { ClusterMetrics.knnAccuracy(r.embedding, n: n, d: 2, labels: $0, k: 10) },
                          klHistory: r.klHistory.map(\.kl))
    }

    /// Peak resident set size of this process, MiB (Linux reports ru_maxrss in KiB).
    public static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Writes a float32 array as .npy (for the benchmark script).
    public static func writeNPY(_ values: [Float], shape: [Int], to path: String) throws { try NPY.write(values, shape: shape, to: path) }

    public struct KNNRecord: Codable {
        public var file: String
        public var n: Int
        public var d: Int
        public var k: Int
        public var threads: Int
        /// The timed search (method requested, what ran, cells, probes, estimated recall, seconds).
        public var report: NearestNeighbors.Report
        /// Exact search wall time, when it was run here (no cache yet).
        public var exactSeconds: Double?
        /// Mean over rows of |found ∩ exact| / k, against the exact neighbours (cached or computed here).
        public var recall: Double?
        /// Fraction of rows whose k-th distance is within 1 % of the exact k-th distance.
        public var kthDistanceWithin1Percent: Double?
    }

    /// Times `NearestNeighbors.search` on a file's `/embedding` and measures its recall against exact neighbours,
    /// read from `exactCache` + ".indices.npy" / ".distances.npy" or, when absent, computed (timed) and written there.
    /// `write` (a path prefix) saves the searched neighbours the same way (int32 indices, float32 squared distances, n×k).
    public static func knn(file path: String, k: Int, method: NearestNeighbors.Method, seed: UInt64 = 0, threads: Int = 2,
                           options base: NearestNeighbors.ApproximateOptions = .init(),
                           exactCache: String?, write: String? = nil) throws -> KNNRecord {
        let (x, n, d, _) = try load(path)
        var options = base
        options.seed = seed
        let (indices, distances, report) = BLAS.withThreads(threads) {
            NearestNeighbors.search(x, n: n, d: d, k: k, method: method, options: options, threads: threads)
        }
        let kk = report.k
        if let write {
            try NPY.write(indices, shape: [n, kk], to: write + ".indices.npy")
            try NPY.write(distances, shape: [n, kk], to: write + ".distances.npy")
        }
        var record = KNNRecord(file: path, n: n, d: d, k: kk, threads: threads, report: report)
        guard let exactCache else { return record }
        var exactIndices: [Int32], exactDistances: [Float]
        if FileManager.default.fileExists(atPath: exactCache + ".indices.npy"),
           let cached = try? NPY.readInt32(exactCache + ".indices.npy"), cached.shape == [n, kk],
           let cachedD = try? NPY.readFloat32(exactCache + ".distances.npy"), cachedD.shape == [n, kk] {
            exactIndices = cached.values; exactDistances = cachedD.values
        } else {
            let start = ContinuousClock.now
            (exactIndices, exactDistances) = BLAS.withThreads(threads) { NearestNeighbors.exact(x, n: n, d: d, k: kk, threads: threads) }
            record.exactSeconds = (ContinuousClock.now - start).seconds
            try NPY.write(exactIndices, shape: [n, kk], to: exactCache + ".indices.npy")
            try NPY.write(exactDistances, shape: [n, kk], to: exactCache + ".distances.npy")
        }
        var hits = 0, close = 0
        var seen = Set<Int32>()
        for i in 0..<n {
            seen.removeAll(keepingCapacity: true)
            for e in 0..<kk { seen.insert(exactIndices[i * kk + e]) }
            for e in 0..<kk where seen.contains(indices[i * kk + e]) { hits += 1 }
            let a = Double(distances[i * kk + kk - 1]), b = Double(exactDistances[i * kk + kk - 1])
            if a <= b * 1.01 + 1e-12 { close += 1 }
        }
        record.recall = Double(hits) / Double(n * kk)
        record.kthDistanceWithin1Percent = Double(close) / Double(n)
        return record
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

/// Minimal .npy (format 1.0, little-endian, C order) reading and writing for the benchmark's neighbour caches.
enum NPY {
    static func write<T>(_ values: [T], shape: [Int], to path: String) throws {
        let descr = T.self == Int32.self ? "<i4" : T.self == Float.self ? "<f4" : "<f8"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func read<T>(_ path: String, descr: String, as: T.Type) throws -> (values: [T], shape: [Int]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count >= 10, data[data.startIndex] == 0x93, data[data.startIndex + 6] == 1 else {
            throw LoupeError.invalidInput("\(path): not a version-1 .npy file")
        }
        let length = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
        let header = String(decoding: data[(data.startIndex + 10)..<(data.startIndex + 10 + length)], as: UTF8.self)
        guard header.contains("'\(descr)'"), header.contains("'fortran_order': False"),
              let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw LoupeError.invalidInput("\(path): expected a C-ordered \(descr) array")
        }
        let shape = header[header.index(after: open)..<close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = data[(data.startIndex + 10 + length)...]
        guard body.count == count * MemoryLayout<T>.stride else { throw LoupeError.invalidInput("\(path): truncated") }
        let values = body.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self)) }
        return (values, shape)
    }

    static func readInt32(_ path: String) throws -> (values: [Int32], shape: [Int]) { try read(path, descr: "<i4", as: Int32.self) }
    static func readFloat32(_ path: String) throws -> (values: [Float], shape: [Int]) { try read(path, descr: "<f4", as: Float.self) }
}
