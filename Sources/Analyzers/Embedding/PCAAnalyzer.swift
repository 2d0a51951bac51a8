import Foundation
import LoupeCore

/// `pca`: principal components of the embedding, the scree plot, and maps of PC1 × PC2 by class, by
/// colour and with thumbnails; how much of PC1 and PC2 the class and the image colour explain.
public struct PCAAnalyzer: Analyzer {
    public init() {}

    public var id: String { Self.id }
    public let summary = "PCA of the embedding: explained variance (scree), PC1 × PC2 maps, how much class and colour explain each PC"
    public let arity = InputArity.one

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            FeatureOptions.requirement(),
            Requirement(D.labels, producer: "probe labels (colours, legend, R² by class)", optional: true),
            Requirement(D.images, producer: "probe images (thumbnails, mean colour)", optional: true),
            Requirement(D.meanRGB, producer: "mean colour per image (R² by colour)", optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            FeatureOptions.features, FeatureOptions.normalize,
            OptionSpec("components", default: "50", "components kept (at most min(N, D))"),
            OptionSpec("method", default: "auto", "auto, exact (covariance eigendecomposition) or randomized"),
            OptionSpec("seed", default: "0", "seed of the randomized method"),
        ]
    }

    public var artifacts: [Artifact] {
        EmbeddingFigures.artifacts("pca", "PC1 × PC2") + [Artifact("pca_scree.png", "explained variance ratio per component and cumulative")]
    }

    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] { try FeatureOptions.placeholders(options) }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let dump = inputs.dumps[0]
        let features = try FeatureMatrix.read(dump, spec: options.string("features"), normalize: options.string("normalize"))
        let n = features.matrix.rows, d = features.matrix.columns
        guard n >= 2 else { throw LoupeError.invalidInput("PCA needs at least 2 usable rows; \(dump.path) has \(n)") }
        let asked = try options.int("components", min: 1)
        let k = min(asked, n, d)
        let method: PCA.Method = switch try options.choice("method", ["auto", "exact", "randomized"]) {
        case "exact": .exact
        case "randomized": .randomized
        default: .auto
        }
        let seed = try options.seed()
        let pca = try PCA.fit(features.matrix.values, n: n, d: d, components: k, method: method, seed: seed)
        guard pca.scores.count == n * k, pca.explainedVarianceRatio.count == k else {
            throw LoupeError.invalidInput("internal: PCA returned \(pca.scores.count) scores and \(pca.explainedVarianceRatio.count) ratios for \(n)×\(k)")
        }
        let probe = try ProbeContext.load(dump)

        var out = AnalyzerOutput()
        out.seeds = [("pca", seed)]
        if let note = features.droppedNote(ids: try dump.ids(), file: dump.path) { out.markdown("**Left out**: " + note); out.warn(note) }
        if k < asked { out.markdown("Kept \(k) components (asked for \(asked); at most min(N = \(n), D = \(d))).") }
        out.add(.floats("/scores", features.expanded(pca.scores, width: k), shape: [features.fileRows, k], "PC scores per probe sample (NaN: row left out)"))
        out.add(.floats("/components", pca.components, shape: [k, d], "principal axes, one per row"))
        out.add(.floats("/mean", pca.mean, "feature mean removed before the projection"))
        out.add(.doubles("/explained_variance", pca.explainedVariance, "variance along each component"))
        out.add(.doubles("/explained_variance_ratio", pca.explainedVarianceRatio, "share of the total variance per component"))
        out.add(.doubles("/singular_values", pca.singularValues, "singular values of the centred data"))
        out.add(.ints("/kept_rows", features.kept, "file rows that entered PCA"))

        // PC1 × PC2 (a single component is drawn against zero).
        var xy = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n { xy[2 * i] = pca.scores[i * k]; xy[2 * i + 1] = k > 1 ? pca.scores[i * k + 1] : 0 }
        let ratio = pca.explainedVarianceRatio
        let axis = ("PC1 (\(Fmt.percent(ratio[0])))", k > 1 ? "PC2 (\(Fmt.percent(ratio[1])))" : "PC2")
        var cumulative = 0.0
        let cum = ratio.map { cumulative += $0; return cumulative }
        out.markdown("PCA of \(features.source) (\(n) × \(d)): PC1 explains \(Fmt.percent(ratio[0]))\(k > 1 ? ", PC2 \(Fmt.percent(ratio[1]))" : ""); the first \(k) together \(Fmt.percent(cum.last ?? 0)).")

        // What PC1 and PC2 follow: class (η², between-class share of the variance) and colour (R² of a
        // linear fit on the mean RGB).
        var rows: [[String]] = []
        for pc in 0..<min(2, k) {
            let scores = (0..<n).map { Double(pca.scores[$0 * k + pc]) }
            let byClass = probe.labels.map { l in Regression.etaSquared(scores, groups: features.kept.map { l[$0] }) }
            let byColour = probe.meanRGB.map { m in Regression.rSquared(scores, m.selecting(rows: features.kept)) }
            rows.append(["PC\(pc + 1)", Fmt.percent(ratio[pc]), byClass.map { Fmt.g($0) } ?? "—", byColour.map { Fmt.g($0) } ?? "—"])
            if let byClass { out.set("pc\(pc + 1)_r2_class", .double(byClass)) }
            if let byColour { out.set("pc\(pc + 1)_r2_colour", .double(byColour)) }
        }
        out.table(Table(title: "What the first components follow", columns: ["component", "explained variance", "R² by class (η²)", "R² by mean colour"], rows: rows))

        try EmbeddingFigures.add(to: &out, prefix: "pca", method: "PCA", axis: axis, xy: xy, kept: features.kept, probe: probe,
                                 seed: seed, hideTicks: false, file: dump)
        let shown = min(k, 30)
        var scree = LineChart(title: "Explained variance", xLabel: "component", yLabel: "explained variance ratio", series: [
            .init("per component", x: (1...shown).map(Double.init), y: Array(ratio.prefix(shown)), color: Palette.colors(count: 1)[0], bars: true),
            .init("cumulative", x: (1...shown).map(Double.init), y: Array(cum.prefix(shown)), color: RGB(hex: "#d62728")),
        ])
        scree.integerX = true
        scree.yRange = 0...1.02
        out.figure(try FigureRenderer.figure("pca_scree.png", title: "Scree plot", caption: "Share of the variance per component (bars) and cumulative (line), first \(shown) components.",
                                             charts: [scree], panelSize: (480, 320)))
        out.set("components", .int(k))
        out.set("explained_variance_ratio", .doubles(Array(ratio.prefix(10))))
        out.set("cumulative_explained_variance", .double(cum.last ?? 0))
        out.set("samples", .int(n))
        out.set("dropped_rows", .int(features.dropped.count))
        out.set("features", .string(features.source))
        return out
    }
}

/// Small least-squares helpers for "how much does X explain".
enum Regression {
    /// R² of an ordinary least-squares fit of `y` on the columns of `x` plus an intercept.
    static func rSquared(_ y: [Double], _ x: Matrix) -> Double {
        let n = y.count, p = x.columns + 1
        guard n > p else { return .nan }
        var a = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
        for i in 0..<n {
            let row = [1.0] + x.row(i).map(Double.init)
            for r in 0..<p {
                b[r] += row[r] * y[i]
                for c in 0..<p { a[r * p + c] += row[r] * row[c] }
            }
        }
        guard let beta = solve(a, b, p) else { return .nan }
        let mean = y.reduce(0, +) / Double(n)
        var ssRes = 0.0, ssTot = 0.0
        for i in 0..<n {
            let row = [1.0] + x.row(i).map(Double.init)
            let fit = zip(row, beta).map(*).reduce(0, +)
            ssRes += (y[i] - fit) * (y[i] - fit)
            ssTot += (y[i] - mean) * (y[i] - mean)
        }
        return ssTot > 0 ? 1 - ssRes / ssTot : .nan
    }

    /// η²: the share of the variance of `y` between the groups.
    static func etaSquared(_ y: [Double], groups: [Int]) -> Double {
        let mean = y.reduce(0, +) / Double(max(y.count, 1))
        var sums: [Int: (Double, Int)] = [:]
        for (v, g) in zip(y, groups) { sums[g, default: (0, 0)].0 += v; sums[g, default: (0, 0)].1 += 1 }
        let between = sums.values.map { s, c in Double(c) * pow(s / Double(c) - mean, 2) }.reduce(0, +)
        let total = y.map { pow($0 - mean, 2) }.reduce(0, +)
        return total > 0 ? between / total : .nan
    }

    /// Gaussian elimination with partial pivoting; nil when singular.
    static func solve(_ a: [Double], _ b: [Double], _ p: Int) -> [Double]? {
        var m = a, v = b
        for col in 0..<p {
            guard let pivot = (col..<p).max(by: { abs(m[$0 * p + col]) < abs(m[$1 * p + col]) }), abs(m[pivot * p + col]) > 1e-12 else { return nil }
            if pivot != col {
                for c in 0..<p { m.swapAt(col * p + c, pivot * p + c) }
                v.swapAt(col, pivot)
            }
            for r in (col + 1)..<p {
                let f = m[r * p + col] / m[col * p + col]
                for c in col..<p { m[r * p + c] -= f * m[col * p + c] }
                v[r] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: p)
        for r in stride(from: p - 1, through: 0, by: -1) {
            var s = v[r]
            for c in (r + 1)..<p { s -= m[r * p + c] * x[c] }
            x[r] = s / m[r * p + r]
        }
        return x
    }
}
