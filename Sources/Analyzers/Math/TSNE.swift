// t-distributed stochastic neighbour embedding with Barnes-Hut gradients.
// L. van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 15 (2014) 3221–3245;
// L. van der Maaten & G. Hinton, "Visualizing data using t-SNE", JMLR 9 (2008) 2579–2605.
// Defaults follow openTSNE 1.0 (Poličar, Stražar & Zupan, J. Stat. Softw. 109, 2024) where it refines the
// reference implementation: learning rate n / exaggeration (Belkina et al., Nat. Commun. 10, 2019),
// PCA initialisation rescaled to standard deviation 1e-4 plus a little jitter, gains +0.2 / ×0.8 + 0.01,
// the embedding re-centred after every step, and the gradient without the factor 4 (absorbed by the rate).
// Momentum is the reference implementation's 0.5 during early exaggeration, then 0.8 (openTSNE 1.0 uses 0.8
// throughout; both are options). KL is evaluated exactly over the non-zeros of P with the normaliser Z of the
// same gradient pass — approximated by the repulsion in `fit` — as openTSNE and scikit-learn report it.
//
// Pipeline: exact kNN (BLAS blocks) → perplexity calibration → symmetric sparse P (TSNE+Affinities.swift)
// → gradient descent with momentum and gains, early exaggeration first (this file) → gradient from the sparse
// attractive sum and the repulsion (TSNE+Gradient.swift): Barnes-Hut (BarnesHutTree.swift) or FFT-accelerated
// interpolation (TSNE+Interpolation.swift; Linderman et al., Nat. Methods 16, 2019), chosen by `method`.
import Foundation
import LoupeCore

/// t-SNE to two dimensions with Barnes-Hut or FFT-interpolated repulsion.
public struct TSNE {
    /// How the repulsive forces are computed.
    public enum Method: String, Sendable, CaseIterable {
        /// Barnes-Hut quadtree with opening angle `theta` (van der Maaten 2014): O(n·log n) per iteration.
        case barnesHut = "bh"
        /// FFT-accelerated interpolation on a grid (FIt-SNE, Linderman et al. 2019): O(n) per iteration plus
        /// the transforms of a grid that grows with the embedding's extent, not with n.
        case fft
        /// `fft` from `fftMinimumPoints` points on, `barnesHut` below.
        case auto
    }

    /// Smallest n for which `Method.auto` picks the interpolation: where it overtakes Barnes-Hut (θ = 0.5) on
    /// the shared 10-cluster benchmark (docs/analyzers.md, "t-SNE").
    public static let fftMinimumPoints = 5_000

    /// The method `method` stands for at n points.
    public static func resolve(_ method: Method, n: Int) -> Method {
        method == .auto ? (n >= fftMinimumPoints ? .fft : .barnesHut) : method
    }

    public struct Options {
        /// Repulsion: Barnes-Hut, FFT-accelerated interpolation, or chosen by n.
        public var method: Method = .auto
        /// Effective number of neighbours; needs n − 1 ≥ 3·perplexity.
        public var perplexity: Double = 30
        /// Barnes-Hut opening angle; 0 computes the exact repulsion through the tree (slow, for checks).
        public var theta: Double = 0.5
        /// Grid of the FFT-accelerated interpolation (openTSNE's defaults).
        public var interpolation = Interpolation()
        /// Total iterations, early exaggeration included.
        public var iterations = 1000
        public var earlyExaggeration: Double = 12
        public var exaggerationIterations = 250
        /// nil = n / exaggeration in each phase (openTSNE's "auto"), in openTSNE's gradient scaling.
        public var learningRate: Double? = nil
        public var initialization: Initialization = .pca
        public var seed: UInt64 = 0
        /// Threads for the force loops and the BLAS neighbour search.
        public var threads = 2
        /// Momentum during early exaggeration and afterwards (reference implementation: 0.5 → 0.8).
        public var initialMomentum: Double = 0.5
        public var finalMomentum: Double = 0.8
        /// Largest distance a point moves in one step (openTSNE's max_step_norm, 5 by default; nil: no limit).
        /// Without it a few points are flung far out during early exaggeration: on the 70,000 × 512 mixture
        /// the map grew 800 wide and shrank back to 75, and the interpolation grid, which spans every point,
        /// grew with it to 6,750 × 6,400 nodes (1.5 GB, most of the fit's time).
        public var maxStepNorm: Double? = 5
        /// KL divergence is evaluated (and recorded in `klHistory`) every this many iterations.
        public var klEvery = 50
        /// Neighbour search for P: exact, approx (inverted file, recall ≥ 0.995 estimated) or auto (exact up to
        /// NearestNeighbors.autoExactMaxRows rows). Seeded by `seed`.
        public var neighbors: NearestNeighbors.Method = .auto
        public init() {}
    }

    public enum Initialization {
        /// First two principal components, rescaled to standard deviation 1e-4 (column 0), plus jitter of 1e-6.
        case pca
        /// Gaussian with standard deviation 1e-4.
        case random
    }

    public struct Result {
        /// n×2, row-major, centred.
        public var embedding: [Float]
        /// KL(P‖Q) of the final embedding (sparse P; Z from the same gradient method as the fit).
        public var kl: Double
        /// How the neighbours of P were found, and the wall time of P (neighbours, calibration, symmetrisation).
        public var neighbors: NearestNeighbors.Report? = nil
        public var affinitySeconds: Double? = nil
        /// KL every `klEvery` iterations, evaluated at the positions before that iteration's update.
        public var klHistory: [(iteration: Int, kl: Double)]
        public var seed: UInt64
        /// The repulsion used (`auto` resolved; `fitExact` reports `barnesHut`, whose θ = 0 is the same sum).
        public var method: Method

        public init(embedding: [Float], kl: Double, klHistory: [(iteration: Int, kl: Double)], seed: UInt64,
                    method: Method = .barnesHut) {
            self.embedding = embedding; self.kl = kl; self.klHistory = klHistory; self.seed = seed; self.method = method
        }
    }

    /// Embeds the n×d rows of `x` in 2-D with the repulsion `options.method` picks for n.
    /// - Throws: `LoupeError.invalidInput` for NaN/Inf rows (with their count), a perplexity too large for n
    ///   (with the largest allowed), or out-of-range options.
    /// - Complexity: O(n²·d) for the exact neighbours (BLAS), then O(iterations·n·log n) with Barnes-Hut or
    ///   O(iterations·(n + G·log G)) with the interpolation, G the grid's node count.
    public static func fit(_ x: [Float], n: Int, d: Int, options: Options, progress: ProgressBar? = nil) throws -> Result {
        let method = resolve(options.method, n: n)
        let repulsion: Repulsion = method == .fft ? .interpolation(options.interpolation) : .barnesHut(theta: options.theta)
        var result = try run(x, n: n, d: d, options: options, repulsion: repulsion, progress: progress)
        result.method = method
        return result
    }

    /// As `fit` with the exact O(n²) repulsion (same sparse P, same optimiser): the reference for θ = 0 checks.
    public static func fitExact(_ x: [Float], n: Int, d: Int, options: Options, progress: ProgressBar? = nil) throws -> Result {
        try run(x, n: n, d: d, options: options, repulsion: .exact, progress: progress)
    }

    /// Largest perplexity t-SNE accepts for n points.
    public static func maximumPerplexity(n: Int) -> Double { Double(n - 1) / 3 }

    static func validate(_ x: [Float], n: Int, d: Int, options o: Options) throws {
        try MatrixInput.check(x, n: n, d: d, what: "t-SNE input", minRows: 2)
        guard o.perplexity.isFinite, o.perplexity >= 1 else {
            throw LoupeError.invalidInput("t-SNE: perplexity must be at least 1, got \(o.perplexity)")
        }
        guard Double(n - 1) >= 3 * o.perplexity else {
            throw LoupeError.invalidInput(String(
                format: "t-SNE: perplexity %g is too large for %d points (it needs n − 1 ≥ 3·perplexity); "
                    + "the maximum perplexity for n = %d is %.2f", o.perplexity, n, n, maximumPerplexity(n: n)))
        }
        guard o.theta.isFinite, o.theta >= 0 else { throw LoupeError.invalidInput("t-SNE: theta must be ≥ 0, got \(o.theta)") }
        let grid = o.interpolation
        guard (1...8).contains(grid.points), grid.minIntervals >= 1, grid.maxIntervals >= grid.minIntervals,
              grid.intervalWidth.isFinite, grid.intervalWidth > 0 else {
            throw LoupeError.invalidInput("t-SNE: interpolation needs 1–8 points per box, 1 ≤ minimum intervals ≤ "
                + "maximum intervals and an interval width > 0")
        }
        guard o.iterations >= 0, o.exaggerationIterations >= 0 else {
            throw LoupeError.invalidInput("t-SNE: iteration counts must be ≥ 0")
        }
        guard o.earlyExaggeration.isFinite, o.earlyExaggeration > 0 else {
            throw LoupeError.invalidInput("t-SNE: early exaggeration must be > 0, got \(o.earlyExaggeration)")
        }
        if let rate = o.learningRate, !(rate.isFinite && rate > 0) {
            throw LoupeError.invalidInput("t-SNE: learning rate must be > 0, got \(rate)")
        }
        guard (0..<1).contains(o.initialMomentum), (0..<1).contains(o.finalMomentum) else {
            throw LoupeError.invalidInput("t-SNE: momentum must be in [0, 1)")
        }
        if let limit = o.maxStepNorm, !(limit.isFinite && limit > 0) {
            throw LoupeError.invalidInput("t-SNE: the maximum step norm must be > 0, got \(limit)")
        }
    }

    static func run(_ x: [Float], n: Int, d: Int, options o: Options, repulsion: Repulsion,
                    progress: ProgressBar?) throws -> Result {
        try validate(x, n: n, d: d, options: o)
        let threads = max(1, o.threads)
        return try BLAS.withThreads(threads) {
            let affinityStart = ContinuousClock.now
            let (p, knn) = affinities(x, n: n, d: d, perplexity: o.perplexity, neighbors: o.neighbors, seed: o.seed, threads: threads)
            let affinitySeconds = (ContinuousClock.now - affinityStart).seconds
            var generator = SeededGenerator(seed: o.seed)
            let y0 = try initialEmbedding(x, n: n, d: d, initialization: o.initialization, generator: &generator)
            var result = optimize(p: p, initial: y0, options: o, repulsion: repulsion, threads: threads, progress: progress)
            result.neighbors = knn
            result.affinitySeconds = affinitySeconds
            return result
        }
    }

    /// PCA scores rescaled to std 1e-4 in the first column plus N(0, 1e-6) jitter, or N(0, 1e-4) noise.
    static func initialEmbedding(_ x: [Float], n: Int, d: Int, initialization: Initialization,
                                 generator: inout SeededGenerator) throws -> [Double] {
        if case .pca = initialization, d >= 2 {
            let scores = try PCA.fit(x, n: n, d: d, components: 2, seed: generator.next()).scores.map { Double($0) }
            var mean = 0.0, squares = 0.0
            for i in 0..<n { mean += scores[2 * i] }
            mean /= Double(n)
            for i in 0..<n { squares += (scores[2 * i] - mean) * (scores[2 * i] - mean) }
            let std = (squares / Double(n)).squareRoot()
            if std > 0 {
                let scale = 1e-4 / std
                return scores.map { $0 * scale + 1e-6 * Double(generator.nextGaussian()) }
            }
        }
        return (0..<(2 * n)).map { _ in 1e-4 * Double(generator.nextGaussian()) }
    }

    /// Gradient descent with momentum and per-coordinate gains (Jacobs 1988) from `initial` (n×2).
    static func optimize(p: SparseAffinities, initial: [Double], options o: Options, repulsion: Repulsion, threads: Int,
                         progress: ProgressBar?) -> Result {
        let n = p.n
        var y = initial
        var update = [Double](repeating: 0, count: 2 * n)
        var gains = [Double](repeating: 1, count: 2 * n)
        var grad = [Double](repeating: 0, count: 2 * n)
        let workspace = GradientWorkspace(n: n)
        var history: [(iteration: Int, kl: Double)] = []
        progress?.setTotal(o.iterations)
        let klEvery = max(1, o.klEvery)
        for iteration in 0..<o.iterations {
            let early = iteration < o.exaggerationIterations
            let exaggeration = early ? o.earlyExaggeration : 1
            let rate = o.learningRate ?? Double(n) / exaggeration
            let momentum = early ? o.initialMomentum : o.finalMomentum
            let evaluate = (iteration + 1) % klEvery == 0
            let (_, kl) = gradient(y, p: p, exaggeration: exaggeration, repulsion: repulsion, threads: threads,
                                   evaluateKL: evaluate, workspace: workspace, into: &grad)
            if let kl { history.append((iteration + 1, kl)) }
            step(&y, update: &update, gains: &gains, gradient: grad, momentum: momentum, rate: rate, maxNorm: o.maxStepNorm)
            progress?.advance(note: kl.map { String(format: "KL %.4f", $0) })
        }
        let (_, kl) = gradient(y, p: p, exaggeration: 1, repulsion: repulsion, threads: threads, evaluateKL: true,
                               workspace: workspace, into: &grad)
        return Result(embedding: y.map { Float($0) }, kl: kl ?? .nan, klHistory: history, seed: o.seed)
    }

    /// One update: gains grow by 0.2 where the gradient's sign disagrees with the last update's (np.sign,
    /// so a zero update counts as disagreeing) and shrink as ×0.8 + 0.01 elsewhere; then the embedding is re-centred.
    static func step(_ y: inout [Double], update: inout [Double], gains: inout [Double], gradient: [Double],
                     momentum: Double, rate: Double, maxNorm: Double? = nil) {
        let count = y.count
        var sx = 0.0, sy = 0.0
        for c in 0..<count {
            let g = gradient[c], u = update[c]
            let flipped = (u > 0 ? 1 : (u < 0 ? -1 : 0)) != (g > 0 ? 1 : (g < 0 ? -1 : 0))
            gains[c] = flipped ? gains[c] + 0.2 : gains[c] * 0.8 + 0.01
            update[c] = momentum * u - rate * gains[c] * g
        }
        // The limit applies to the stored update too, as openTSNE's does, so momentum cannot undo it.
        if let maxNorm {
            for c in stride(from: 0, to: count, by: 2) {
                let norm = (update[c] * update[c] + update[c + 1] * update[c + 1]).squareRoot()
                if norm > maxNorm { let scale = maxNorm / norm; update[c] *= scale; update[c + 1] *= scale }
            }
        }
        for c in 0..<count {
            y[c] += update[c]
            if c & 1 == 0 { sx += y[c] } else { sy += y[c] }
        }
        let m = Double(count / 2)
        sx /= m; sy /= m
        for c in stride(from: 0, to: count, by: 2) { y[c] -= sx; y[c + 1] -= sy }
    }
}
