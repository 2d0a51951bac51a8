import Foundation
import LoupeCore

/// Options shared by the analyzers that read a feature matrix.
enum FeatureOptions {
    static let features = OptionSpec("features", default: "embedding",
                                     "what to embed: `embedding` (/embedding), `logits`, or a layer name (its activations, mean-pooled to N×C)")
    static let normalize = OptionSpec("normalize", default: "none", "row treatment before the analysis: none, l2 (unit length) or standardize (per column)")

    static func requirement() -> Requirement {
        Requirement("<features>", producer: "named by the `features` option: /embedding by default, written by every Loupe dump; or /activations/LAYER from `loupe probe --layers LAYER`")
    }

    static func placeholders(_ options: AnalyzerOptions) throws -> [String: [String]] {
        let path = try FeatureMatrix.path(options.string("features"))
        return ["features": [path]]
    }
}

/// `tsne`: t-SNE of the embedding with Barnes-Hut (van der Maaten 2014) or FFT-interpolated (Linderman et al.
/// 2019) repulsion, coloured by class, by colour and with thumbnails.
public struct TSNEAnalyzer: Analyzer {
    public init() {}

    public var id: String { Self.id }
    public let summary = "t-SNE map of the embedding (Barnes-Hut or FFT-interpolated): by class, by image colour, with thumbnails; KL divergence"
    public let arity = InputArity.one

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            FeatureOptions.requirement(),
            Requirement(D.labels, producer: "probe labels (colours and legend)", optional: true),
            Requirement(D.images, producer: "probe images (thumbnails, mean colour)", optional: true),
            Requirement(D.meanRGB, producer: "mean colour per image", optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            FeatureOptions.features, FeatureOptions.normalize,
            OptionSpec("perplexity", default: "30", "effective number of neighbours (the study used 20 and 32); needs N > 3·perplexity"),
            OptionSpec("method", default: "auto", "repulsion: bh (Barnes-Hut, accuracy `theta`), fft (FFT-accelerated interpolation, FIt-SNE) or auto (fft from N = \(TSNE.fftMinimumPoints) on)"),
            OptionSpec("theta", default: "0.5", "Barnes-Hut accuracy (0 = exact t-SNE); method=bh only"),
            OptionSpec("iterations", default: "1000", "gradient-descent iterations"),
            OptionSpec("exaggeration", default: "12", "early exaggeration factor"),
            OptionSpec("exaggeration-iterations", default: "250", "iterations with early exaggeration"),
            OptionSpec("learning-rate", default: "auto", "step size; auto = max(N / exaggeration / 4, 50) as openTSNE"),
            OptionSpec("max-step", default: "5", "largest distance a point moves in one iteration (openTSNE's max_step_norm), or none"),
            OptionSpec("init", default: "pca", "initial map: pca or random"),
            OptionSpec("seed", default: "0", "seed of every random choice"),
            OptionSpec("threads", default: "2", "worker threads"),
            OptionSpec("neighbors", default: "auto", "neighbour search for P: exact, approx (inverted file, probes calibrated to recall 0.995 on 1000 sampled rows) or auto (exact up to \(NearestNeighbors.autoExactMaxRows) rows)"),
        ]
    }

    public var artifacts: [Artifact] {
        EmbeddingFigures.artifacts("tsne", "t-SNE") + [Artifact("tsne_kl.png", "KL divergence over the iterations", inCompare: false)]
    }

    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] { try FeatureOptions.placeholders(options) }

    public func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws {
        let perplexity = try options.double("perplexity", min: 1)
        _ = try options.choice("method", TSNE.Method.allCases.map(\.rawValue))
        _ = try Self.maxStep(options)
        let dump = inputs.dumps[0]
        if let n = dump.shape(try FeatureMatrix.path(options.string("features")))?.first {
            try Self.requireEnoughSamples(n, perplexity: perplexity, file: dump.path, usable: false)
        }
    }

    /// The `max-step` option: a distance > 0, or nil for `none`.
    static func maxStep(_ options: AnalyzerOptions) throws -> Double? {
        options.string("max-step").lowercased() == "none" ? nil : try options.double("max-step", min: 1e-9)
    }

    static func requireEnoughSamples(_ n: Int, perplexity: Double, file: String, usable: Bool) throws {
        guard Double(n - 1) >= 3 * perplexity else {
            throw LoupeError.invalidInput("t-SNE with perplexity \(Fmt.g(perplexity)) needs more than 3·perplexity = \(Int(3 * perplexity)) samples, but \(file) has \(n)\(usable ? " usable" : "") rows: lower it (perplexity=\(max(1, (n - 1) / 3)) or less)")
        }
    }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let dump = inputs.dumps[0]
        var o = TSNE.Options()
        o.perplexity = try options.double("perplexity", min: 1)
        o.method = TSNE.Method(rawValue: try options.choice("method", TSNE.Method.allCases.map(\.rawValue)))!
        o.theta = try options.double("theta", min: 0, max: 1)
        o.iterations = try options.int("iterations", min: 1)
        o.earlyExaggeration = try options.double("exaggeration", min: 1)
        o.exaggerationIterations = try options.int("exaggeration-iterations", min: 0)
        let rate = options.string("learning-rate")
        o.learningRate = rate.lowercased() == "auto" ? nil : try options.double("learning-rate", min: 1e-9)
        o.maxStepNorm = try Self.maxStep(options)
        o.initialization = try options.choice("init", ["pca", "random"]) == "pca" ? .pca : .random
        o.seed = try options.seed()
        o.threads = try options.int("threads", min: 1)
        o.neighbors = NearestNeighbors.Method(rawValue: try options.choice("neighbors", NearestNeighbors.Method.allCases.map(\.rawValue)))!
        let features = try FeatureMatrix.read(dump, spec: options.string("features"), normalize: options.string("normalize"))
        let n = features.matrix.rows
        try Self.requireEnoughSamples(n, perplexity: o.perplexity, file: dump.path, usable: true)
        let progress = inputs.progress("t-SNE", total: o.iterations)
        let result = try TSNE.fit(features.matrix.values, n: n, d: features.matrix.columns, options: o, progress: progress)
        progress.finish()
        guard result.embedding.count == 2 * n else {
            throw LoupeError.invalidInput("internal: t-SNE returned \(result.embedding.count) values for \(n) points")
        }
        let probe = try ProbeContext.load(dump)

        var out = AnalyzerOutput()
        out.seeds = [("tsne", result.seed)]
        if let note = features.droppedNote(ids: try dump.ids(), file: dump.path) { out.markdown("**Left out**: " + note); out.warn(note) }
        let repulsion = result.method == .fft
            ? "FFT-interpolated repulsion (\(o.interpolation.points)² nodes per box\(o.method == .auto ? ", chosen by N" : ""))"
            : "Barnes-Hut θ = \(Fmt.g(o.theta))\(o.method == .auto ? " (chosen by N)" : "")"
        out.markdown("t-SNE of \(features.source) (\(n) × \(features.matrix.columns)), perplexity \(Fmt.g(o.perplexity)), \(repulsion), \(o.iterations) iterations, seed \(result.seed). Final KL divergence **\(Fmt.g(result.kl))**. Distances between clusters in a t-SNE map are not meaningful; neighbourhoods are.")
        out.add(.floats("/embedding", features.expanded(result.embedding, width: 2), shape: [features.fileRows, 2], "t-SNE map, one row per probe sample (NaN: row left out)"))
        out.add(.ints("/kept_rows", features.kept, "file rows that entered t-SNE"))
        out.add(.doubles("/kl", [result.kl], "final KL divergence"))
        out.add(.ints("/kl_history/iteration", result.klHistory.map(\.iteration), "iterations at which KL was measured"))
        out.add(.doubles("/kl_history/kl", result.klHistory.map(\.kl), "KL divergence at those iterations"))
        if let labels = probe.labels { out.add(.ints("/labels", labels, "probe labels")) }
        out.attributes = [("perplexity", .double(o.perplexity)), ("method", .string(result.method.rawValue)), ("theta", .double(o.theta)),
                          ("features", .string(features.source))]

        try EmbeddingFigures.add(to: &out, prefix: "tsne", method: "t-SNE", axis: ("t-SNE 1", "t-SNE 2"), xy: result.embedding, kept: features.kept,
                                 probe: probe, seed: result.seed, hideTicks: true, file: dump)
        if !result.klHistory.isEmpty {
            var kl = LineChart(title: "t-SNE optimisation", xLabel: "iteration", yLabel: "KL divergence",
                               series: [.init("", x: result.klHistory.map { Double($0.iteration) }, y: result.klHistory.map(\.kl), color: Palette.colors(count: 1)[0], markers: false)])
            kl.integerX = true
            out.figure(try FigureRenderer.figure("tsne_kl.png", title: "KL divergence",
                                                 caption: "The jump after iteration \(o.exaggerationIterations) is the end of early exaggeration.", charts: [kl], panelSize: (460, 300)))
        }
        out.set("kl", .double(result.kl))
        out.set("samples", .int(n))
        out.set("dropped_rows", .int(features.dropped.count))
        out.set("perplexity", .double(o.perplexity))
        out.set("method", .string(result.method.rawValue))
        out.set("features", .string(features.source))
        if let labels = probe.labels {
            let kept = features.kept.map { labels[$0] }
            out.set("map_knn_accuracy_class", .double(ClusterMetrics.knnAccuracy(result.embedding, n: n, d: 2, labels: kept, k: min(10, n - 1))))
            out.set("map_trustworthiness", .double(ClusterMetrics.trustworthiness(high: features.matrix.values, dHigh: features.matrix.columns,
                                                                                    low: result.embedding, dLow: 2, n: n, k: min(5, max(1, n / 2 - 1)), seed: o.seed)))
            out.set("map_trustworthiness_rows", .int(min(n, n > ClusterMetrics.trustworthinessExactMaxRows ? ClusterMetrics.trustworthinessSampleRows : n)))
        }
        if let knn = result.neighbors {
            out.attributes += [("neighbors", .string(knn.requested.rawValue)), ("neighbors_method", .string(knn.method.rawValue)),
                               ("neighbors_seed", .string(String(knn.seed))), ("neighbors_clusters", .int(Int64(knn.clusters))),
                               ("neighbors_probes", .int(Int64(knn.probes))), ("neighbors_estimated_recall", .double(knn.estimatedRecall))]
            out.seeds.append(("tsne_neighbors", knn.seed))
            out.set("neighbors_method", .string(knn.method.rawValue))
            out.set("neighbors_estimated_recall", .double(knn.estimatedRecall))
        }
        return out
    }
}
