import Foundation
import Testing
import LoupeCore
@testable import Analyzers

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH"] != nil))
func scratchTSNE() throws {
    let env = ProcessInfo.processInfo.environment
    let (x, n, d, _) = try AnalyzerBench.load(env["LOUPE_SCRATCH"]!)
    var o = TSNE.Options()
    o.klEvery = Int(env["KLEVERY"] ?? "25")!
    if let m = env["MOM0"].flatMap(Double.init) { o.initialMomentum = m }
    if let t = env["THETA"].flatMap(Double.init) { o.theta = t }
    if let it = env["ITERS"].flatMap(Int.init) { o.iterations = it }
    let t0 = Date()
    let r = try TSNE.fit(x, n: n, d: d, options: o)
    print("time", Date().timeIntervalSince(t0), "kl", r.kl)
    for h in r.klHistory { print("  it", h.iteration, h.kl) }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH2"] != nil))
func scratchTSNEPhases() throws {
    let env = ProcessInfo.processInfo.environment
    let (x, n, d, _) = try AnalyzerBench.load(env["LOUPE_SCRATCH2"]!)
    let o = TSNE.Options()
    var t0 = Date()
    let p = TSNE.affinities(x, n: n, d: d, perplexity: 30, threads: 2)
    print("affinities", Date().timeIntervalSince(t0), "nnz", p.nonZeros)
    var g = LoupeCore.SeededGenerator(seed: 0)
    t0 = Date()
    var y = try TSNE.initialEmbedding(x, n: n, d: d, initialization: .pca, generator: &g)
    print("init", Date().timeIntervalSince(t0))
    var update = [Double](repeating: 0, count: 2 * n), gains = [Double](repeating: 1, count: 2 * n)
    var grad = update
    let ws = TSNE.GradientWorkspace(n: n)
    var tb = 0.0, tr = 0.0, ta = 0.0, ts = 0.0
    for it in 0..<o.iterations {
        let early = it < 250
        let ex = early ? 12.0 : 1
        var t = Date()
        y.withUnsafeBufferPointer { ws.tree.build($0.baseAddress!, n: n) }
        tb += Date().timeIntervalSince(t); t = Date()
        let z = ws.forces.withUnsafeMutableBufferPointer { ws.tree.repulsion(theta: 0.5, threads: 2, into: $0.baseAddress!) }
        tr += Date().timeIntervalSince(t); t = Date()
        _ = TSNE.attraction(y, p: p, exaggeration: ex, threads: 2, evaluateKL: false, forces: ws.forces, z: z, into: &grad)
        ta += Date().timeIntervalSince(t); t = Date()
        TSNE.step(&y, update: &update, gains: &gains, gradient: grad, momentum: early ? 0.5 : 0.8, rate: Double(n) / ex)
        ts += Date().timeIntervalSince(t)
        if (it + 1) % 250 == 0 {
            print("it", it + 1, "build", tb, "repulsion", tr, "attraction", ta, "step", ts, "nodes", ws.tree.nodes.count)
        }
    }
}

func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH3"] != nil))
func scratchParts() throws {
    let env = ProcessInfo.processInfo.environment
    let (x, n, d, _) = try AnalyzerBench.load(env["LOUPE_SCRATCH3"]!)
    BLAS.setThreads(2)
    var t0 = Date()
    let (idx, dist) = NearestNeighbors.exact(x, n: n, d: d, k: 90)
    print("knn", Date().timeIntervalSince(t0)); t0 = Date()
    let (cp, _) = TSNE.conditionalAffinities(distances: dist, n: n, k: 90, perplexity: 30, threads: 2)
    print("calibrate", Date().timeIntervalSince(t0)); t0 = Date()
    let p = TSNE.symmetrize(indices: idx, conditional: cp, n: n, k: 90)
    print("symmetrize", Date().timeIntervalSince(t0)); t0 = Date()
    // final embedding state for the repulsion timing
    var o = TSNE.Options(); o.iterations = Int(env["ITERS"] ?? "1000")!
    let r = try TSNE.fit(x, n: n, d: d, options: o)
    let y = r.embedding.map { Double($0) }
    var forces = [Double](repeating: 0, count: 2 * n)
    var exactF = forces
    let exactZ = TSNE.exactRepulsion(y, n: n, threads: 2, into: &exactF)
    let exactNorm = exactF.map { $0 * $0 }.reduce(0, +).squareRoot()
    print("exact Z", exactZ)
    for leaf in [4, 8, 12, 16, 24] {
        var tree = BarnesHutTree(leafSize: leaf)
        var best = 1e9, best2 = 1e9, bestB = 1e9, z = 0.0
        for _ in 0..<40 {
            var t = Date()
            y.withUnsafeBufferPointer { tree.build($0.baseAddress!, n: n) }
            bestB = min(bestB, Date().timeIntervalSince(t))
            let c = threadCPU()
            z = forces.withUnsafeMutableBufferPointer { tree.repulsion(theta: 0.5, threads: 1, into: $0.baseAddress!) }
            best = min(best, threadCPU() - c)
            t = Date()
            z = forces.withUnsafeMutableBufferPointer { tree.repulsion(theta: 0.5, threads: 2, into: $0.baseAddress!) }
            best2 = min(best2, Date().timeIntervalSince(t))
        }
        let err = zip(forces, exactF).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / exactNorm
        print("leaf", leaf, "rel force err", err, "nodes", tree.nodes.count, "build ms", bestB * 1000, "repulsion 1t cpu ms", best * 1000, "2t", best2 * 1000, "z", z)
    }
    var grad = forces, bestA = 1e9
    for _ in 0..<40 {
        let c = threadCPU()
        _ = TSNE.attraction(y, p: p, exaggeration: 1, threads: 1, evaluateKL: false, forces: forces, z: 1, into: &grad)
        bestA = min(bestA, threadCPU() - c)
    }
    print("attraction 1t cpu ms", bestA * 1000)
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH4"] != nil))
func scratchQR() throws {
    for threads in [1, 2] {
        BLAS.setThreads(threads)
        var a = MathSample.gaussian(20000 * 60, seed: 1)
        let t0 = Date()
        BLAS.orthonormalizeColumns(&a, rows: 20000, columns: 60)
        print("qr threads", threads, Date().timeIntervalSince(t0))
        let x = MathSample.gaussian(20000 * 512, seed: 2)
        var c = [Float](repeating: 0, count: 60 * 512)
        let t1 = Date()
        BLAS.sgemm(transposeA: false, transposeB: false, m: 60, n: 512, k: 20000, alpha: 1, a: a, lda: 20000, b: x, ldb: 512, beta: 0, c: &c, ldc: 512)
        print("sgemm 60x512x20000", Date().timeIntervalSince(t1))
        let t2 = Date()
        _ = try PCA.fit(x, n: 20000, d: 512, components: 50, method: .randomized)
        print("randomized", Date().timeIntervalSince(t2))
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH5"] != nil))
func scratchParallel() {
    for threads in [1, 2, 1, 2] {
        var sums = [Double](repeating: 0, count: 64)
        let t = Date()
        sums.withUnsafeMutableBufferPointer { sp in
            let sb = sp.baseAddress!
            Parallel.chunks(64, chunks: 64, threads: threads) { c, _ in
                var s = 0.0
                for i in 0..<2_000_000 { s += sin(Double(i) * 1e-6) }
                sb[c] = s
            }
        }
        print("threads", threads, "wall", Date().timeIntervalSince(t), sums[0])
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_SCRATCH6"] != nil))
func scratchPCA() throws {
    let (x, n, d, _) = try AnalyzerBench.load(ProcessInfo.processInfo.environment["LOUPE_SCRATCH6"]!)
    BLAS.setThreads(1)
    for _ in 0..<3 {
        var c = threadCPU()
        let mean = PCA.columnMeans(x, n: n, d: d)
        print("means", threadCPU() - c); c = threadCPU()
        let r = PCA.fitCovariance(x, n: n, d: d, k: 50, mean: mean)
        print("covariance route total", threadCPU() - c, r.explainedVarianceRatio[0])
        var cov = [Double](repeating: 0, count: 512 * 512)
        for i in 0..<512 { cov[i * 513] = Double(i) + 1 }
        c = threadCPU()
        _ = try BLAS.symmetricEigen(cov, n: 512)
        print("eigen 512", threadCPU() - c)
        c = threadCPU()
        _ = PCA.project(x, n: n, d: d, mean: mean, components: r.components, k: 50)
        print("project", threadCPU() - c)
    }
}
