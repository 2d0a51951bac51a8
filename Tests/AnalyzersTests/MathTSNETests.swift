import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite("t-SNE")
struct MathTSNETests {
    static func smallOptions(perplexity: Double = 10, iterations: Int = 100, theta: Double = 0.5) -> TSNE.Options {
        var o = TSNE.Options()
        o.perplexity = perplexity
        o.iterations = iterations
        o.exaggerationIterations = min(iterations, 50)
        o.theta = theta
        o.seed = 7
        o.threads = 2
        return o
    }

    /// Gradients at a spread-out embedding: BH with θ = 0 equals the exact O(n²) gradient.
    @Test func barnesHutWithThetaZeroEqualsExactGradient() throws {
        let (x, _) = MathSample.blobs(clusters: 3, perCluster: 20, d: 5, separation: 4, seed: 1)
        let n = 60
        let p = TSNE.affinities(x, n: n, d: 5, perplexity: 10, threads: 2)
        let y = MathSample.gaussian(2 * n, seed: 2, scale: 3).map { Double($0) }
        let ws = TSNE.GradientWorkspace(n: n)
        var exact = [Double](repeating: 0, count: 2 * n), bh = exact
        let e = TSNE.gradient(y, p: p, exaggeration: 1, repulsion: .exact, threads: 2, evaluateKL: true,
                              workspace: ws, into: &exact)
        let b = TSNE.gradient(y, p: p, exaggeration: 1, repulsion: .barnesHut(theta: 0), threads: 2, evaluateKL: true,
                              workspace: ws, into: &bh)
        let scale = exact.map(abs).max()!
        let worst = zip(exact, bh).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * scale, "max |Δg| \(worst) vs max |g| \(scale)")
        #expect(abs(e.z - b.z) <= 1e-5 * e.z)
        #expect(abs(e.kl! - b.kl!) <= 1e-5)
    }

    /// θ = 0.5 approximates the exact gradient closely (relative L2 error of a few percent at most).
    @Test func barnesHutGradientIsCloseToExact() throws {
        let n = 400
        let (x, _) = MathSample.blobs(clusters: 4, perCluster: 100, d: 8, separation: 3, seed: 3)
        let p = TSNE.affinities(x, n: n, d: 8, perplexity: 20, threads: 2)
        let y = MathSample.gaussian(2 * n, seed: 4, scale: 10).map { Double($0) }
        let ws = TSNE.GradientWorkspace(n: n)
        var exact = [Double](repeating: 0, count: 2 * n), bh = exact
        let e = TSNE.gradient(y, p: p, exaggeration: 1, repulsion: .exact, threads: 2, evaluateKL: false,
                              workspace: ws, into: &exact)
        let b = TSNE.gradient(y, p: p, exaggeration: 1, repulsion: .barnesHut(theta: 0.5), threads: 2,
                              evaluateKL: false, workspace: ws, into: &bh)
        let diff = zip(exact, bh).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        let norm = exact.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(diff / norm < 0.03, "relative error \(diff / norm)")
        #expect(diff / norm > 0, "θ = 0.5 should approximate")
        #expect(abs(e.z - b.z) / e.z < 0.01)
    }

    /// Same data, same initialisation: the BH path with θ = 0 follows the exact optimisation.
    /// (Float rounding in the tree and the attractive sums, ~1e-6 relative, grows about 10× every 5–7 iterations
    /// through the early-exaggeration dynamics, so the trajectories are compared after 25 iterations, by which
    /// the embedding has expanded ~2000-fold from its 1e-4 start.)
    @Test func thetaZeroFitFollowsExactFit() throws {
        let (x, _) = MathSample.blobs(clusters: 3, perCluster: 20, d: 5, separation: 4, seed: 1)
        var o = Self.smallOptions(iterations: 25, theta: 0)
        o.klEvery = 5
        let bh = try TSNE.fit(x, n: 60, d: 5, options: o)
        let exact = try TSNE.fitExact(x, n: 60, d: 5, options: o)
        let spread = exact.embedding.map(abs).max()!
        #expect(spread > 0.1, "the embedding should have expanded from its 1e-4 start")
        let worst = zip(bh.embedding, exact.embedding).map { abs($0 - $1) }.max()!
        #expect(worst <= 2e-3 * spread, "max |Δy| \(worst) vs spread \(spread)")
        #expect(abs(bh.kl - exact.kl) <= 1e-5 * exact.kl)
        #expect(bh.klHistory.map(\.iteration) == [5, 10, 15, 20, 25])
        #expect(bh.klHistory.last!.kl < bh.klHistory.first!.kl)
    }

    @Test func calibrationHitsTargetEntropy() {
        let n = 200, d = 6, perplexity = 15.0
        let x = MathSample.gaussian(n * d, seed: 5)
        let k = Int(3 * perplexity)
        let (_, dist) = NearestNeighbors.exact(x, n: n, d: d, k: k)
        let (p, _) = TSNE.conditionalAffinities(distances: dist, n: n, k: k, perplexity: perplexity, threads: 2)
        for i in 0..<n {
            let row = p[(i * k)..<((i + 1) * k)]
            #expect(abs(row.reduce(0, +) - 1) < 1e-12)
            #expect(abs(TSNE.entropy(row) - log(perplexity)) < 1e-6)
        }
        let sym = TSNE.symmetrize(indices: NearestNeighbors.exact(x, n: n, d: d, k: k).indices, conditional: p, n: n, k: k)
        #expect(abs(sym.values.reduce(0.0) { $0 + Double($1) } - 1) < 1e-5)
        // Symmetric: p_ij == p_ji.
        var lookup: [Int: Float] = [:]
        for i in 0..<n { for e in sym.rowStart[i]..<sym.rowStart[i + 1] { lookup[i * n + Int(sym.columns[e])] = sym.values[e] } }
        for (key, v) in lookup { #expect(lookup[(key % n) * n + key / n] == v) }
    }

    @Test func twoClustersSeparate() throws {
        let (x, labels) = MathSample.blobs(clusters: 2, perCluster: 60, d: 10, separation: 5, seed: 9)
        let r = try TSNE.fit(x, n: 120, d: 10, options: Self.smallOptions(perplexity: 15, iterations: 300))
        #expect(r.embedding.count == 240)
        #expect(r.kl.isFinite && r.kl > 0)
        let acc = ClusterMetrics.knnAccuracy(r.embedding, n: 120, d: 2, labels: labels, k: 5)
        #expect(acc == 1)
        // KL decreases over the run.
        #expect(r.klHistory.last!.kl < r.klHistory.first!.kl)
    }

    @Test func sameSeedSameEmbedding() throws {
        let (x, _) = MathSample.blobs(clusters: 2, perCluster: 30, d: 4, separation: 4, seed: 2)
        var o = Self.smallOptions(iterations: 60)
        o.initialization = .random
        let a = try TSNE.fit(x, n: 60, d: 4, options: o)
        let b = try TSNE.fit(x, n: 60, d: 4, options: o)
        #expect(a.embedding == b.embedding)
        o.seed = 8
        let c = try TSNE.fit(x, n: 60, d: 4, options: o)
        #expect(a.embedding != c.embedding)
    }

    @Test func progressCountsIterationsAndOptionsAreChecked() throws {
        let (x, _) = MathSample.blobs(clusters: 2, perCluster: 20, d: 3, separation: 4, seed: 3)
        let progress = ProgressBar("t-SNE", total: 1, quiet: true)
        _ = try TSNE.fit(x, n: 40, d: 3, options: Self.smallOptions(perplexity: 5, iterations: 30), progress: progress)
        #expect(progress.total == 30 && progress.done == 30)
        var o = Self.smallOptions(perplexity: 5)
        o.theta = -1
        #expect(throws: LoupeError.self) { try TSNE.fit(x, n: 40, d: 3, options: o) }
        o = Self.smallOptions(perplexity: 5)
        o.learningRate = 0
        #expect(throws: LoupeError.self) { try TSNE.fit(x, n: 40, d: 3, options: o) }
        o = Self.smallOptions(perplexity: 5)
        o.maxStepNorm = 0
        #expect(throws: LoupeError.self) { try TSNE.fit(x, n: 40, d: 3, options: o) }
    }

    /// A step longer than the limit is cut to it, direction kept, and so is the stored update (momentum);
    /// shorter steps are untouched.
    @Test func stepNormIsLimitedPerPoint() {
        var y = [0.0, 0, 10, 10], update = [0.0, 0, 0, 0], gains = [1.0, 1, 1, 1]
        let gradient = [-3.0, -4, 0.1, 0.2]  // rate 2, gains 1.2 (no update yet): steps of norm 12 and 0.54
        TSNE.step(&y, update: &update, gains: &gains, gradient: gradient, momentum: 0.5, rate: 2, maxNorm: 5)
        #expect(abs((update[0] * update[0] + update[1] * update[1]).squareRoot() - 5) < 1e-12)
        #expect(abs(update[0] / update[1] - 0.75) < 1e-12)
        #expect(abs(update[2] + 2 * 1.2 * 0.1) < 1e-12 && abs(update[3] + 2 * 1.2 * 0.2) < 1e-12)
        // Positions moved by the updates, then re-centred.
        let dx = (y[2] - y[0]) - (10 + update[2] - update[0])
        #expect(abs(dx) < 1e-12)
        var free = [0.0, 0, 10, 10], freeUpdate = [0.0, 0, 0, 0], freeGains = [1.0, 1, 1, 1]
        TSNE.step(&free, update: &freeUpdate, gains: &freeGains, gradient: gradient, momentum: 0.5, rate: 2, maxNorm: nil)
        #expect(abs((freeUpdate[0] * freeUpdate[0] + freeUpdate[1] * freeUpdate[1]).squareRoot() - 12) < 1e-12)
    }

    @Test func perplexityTooLargeSaysTheMaximum() {
        let x = MathSample.gaussian(40 * 3, seed: 1)
        var o = TSNE.Options()
        o.perplexity = 30
        #expect {
            try TSNE.fit(x, n: 40, d: 3, options: o)
        } throws: { error in
            "\(error)".contains("maximum perplexity for n = 40 is 13.00")
        }
    }

    @Test func nonFiniteRowsAreCounted() {
        var x = MathSample.gaussian(50 * 3, seed: 1)
        x[4] = .nan; x[5] = .infinity; x[30] = .nan
        #expect {
            try TSNE.fit(x, n: 50, d: 3, options: Self.smallOptions(perplexity: 5))
        } throws: { error in
            "\(error)".contains("2 of 50 rows contain NaN or Inf")
        }
    }
}
