import Foundation
import LoupeCore

/// `purity`: does the representation cluster by class or by a nuisance such as colour? Every metric is
/// computed against the class labels and, when the file holds a colour (background, mean colour or the
/// images), against that colour binned into k groups. An embedding with labels is enough: the nuisance
/// metrics are then empty and a note says what would fill them.
public struct PurityAnalyzer: Analyzer {
    public init() {}

    public var id: String { Self.id }
    public let summary = "Cluster quality against the classes AND against image colour: k-means purity, NMI, ARI, k-NN accuracy, silhouette, trustworthiness"
    public let arity = InputArity.oneOrMore

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            FeatureOptions.requirement(),
            Requirement(D.labels, producer: "the probe labels, written by every Loupe dump"),
            Requirement(D.background, or: [D.meanRGB, D.images], producer: "the nuisance attribute: background colour, mean colour, or the images to compute it from",
                        optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            FeatureOptions.features,
            OptionSpec("normalize", default: "l2", "row treatment before clustering: l2 (unit length, the study's choice), none or standardize"),
            OptionSpec("k", default: "classes", "k-means clusters: `classes` (the number of classes) or a number"),
            OptionSpec("restarts", default: "10", "k-means++ restarts (the best inertia is kept)"),
            OptionSpec("nuisance", default: "auto", "nuisance attribute: auto (background if present, else mean colour, else none), background, mean-rgb or none"),
            OptionSpec("nuisance-groups", default: "classes", "groups the nuisance colour is binned into by k-means: `classes` or a number"),
            OptionSpec("knn", default: "10", "neighbours of the leave-one-out k-NN accuracy"),
            OptionSpec("map", default: "pca", "2-D map whose trustworthiness is reported: pca or none"),
            OptionSpec("seed", default: "0", "seed of k-means and of the colour binning"),
        ]
    }

    public var artifacts: [Artifact] {
        [
            Artifact("purity_bars.png", "each metric against the classes and against colour, side by side"),
            Artifact("purity_epochs.png", "k-NN accuracy and NMI by class and by colour over epochs", when: "given dumps of two or more epochs"),
            Artifact("purity_metrics.csv", "one row per file: every metric by class and by colour"),
        ]
    }

    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] { try FeatureOptions.placeholders(options) }

    /// Every metric for one file.
    public struct Scores {
        public var epoch: Int
        public var run: String
        public var samples: Int
        public var dropped: Int
        public var k: Int
        /// What the nuisance groups are ("background colour"), nil when the file has none.
        public var nuisance: String?
        /// purity, nmi, ari, knn_accuracy, silhouette — by class and by the nuisance (nil: no nuisance).
        public var byClass: [String: Double]
        public var byNuisance: [String: Double]?
        public var trustworthiness: Double
        public var inertia: Double

        static let metrics = ["knn_accuracy", "nmi", "purity", "ari", "silhouette"]
        static let names = ["knn_accuracy": "k-NN accuracy", "nmi": "NMI", "purity": "purity", "ari": "ARI", "silhouette": "silhouette"]

        /// "class", "colour" or "neither", from the k-NN accuracies' lift over chance; nil without a nuisance.
        public var verdict: String? {
            guard let byNuisance else { return nil }
            let c = byClass["knn_accuracy"] ?? .nan, u = byNuisance["knn_accuracy"] ?? .nan
            let chance = 1 / Double(max(k, 1))
            let liftClass = (c - chance) / (1 - chance), liftNuisance = (u - chance) / (1 - chance)
            if liftClass < 0.1 && liftNuisance < 0.1 { return "neither" }
            return liftClass >= liftNuisance ? "class" : "colour"
        }

        var json: JSONValue {
            var pairs: [(String, JSONValue)] = [
                ("epoch", .int(epoch)), ("run", .string(run)), ("samples", .int(samples)), ("k", .int(k)), ("nuisance", nuisance.map { .string($0) } ?? .null),
                ("class", .object(Self.metrics.map { ($0, .double(byClass[$0] ?? .nan)) })),
                ("colour", byNuisance.map { n in .object(Self.metrics.map { ($0, .double(n[$0] ?? .nan)) }) } ?? .null),
                ("trustworthiness", .double(trustworthiness)), ("kmeans_inertia", .double(inertia)), ("clusters_by", verdict.map { .string($0) } ?? .null)]
            if nuisance == nil { pairs.append(("nuisance_note", .string(PurityAnalyzer.noNuisanceNote))) }
            return .object(pairs)
        }

        /// A nuisance metric as table text: empty without a nuisance.
        func nuisanceText(_ metric: String, digits: Int = 3) -> String { byNuisance.map { Fmt.g($0[metric] ?? .nan, digits: digits) } ?? "" }
    }

    /// What would fill the nuisance columns.
    static let noNuisanceNote = "no nuisance attribute in the file, so only the class metrics are reported; "
        + "\(RunFormat.Dump.background) (background colour), \(RunFormat.Dump.meanRGB) (mean colour, N×3) or \(RunFormat.Dump.images) "
        + "(the images, N×H×W×3) would add the same metrics against the colour groups"

    /// The nuisance a file offers under the `nuisance` option: background, mean-rgb or nil.
    static func nuisanceSource(_ dump: DumpFile, choice: String) -> String? {
        let D = RunFormat.Dump.self
        switch choice {
        case "background": return "background"
        case "mean-rgb": return "mean-rgb"
        case "none": return nil
        default: return dump.has(D.background) ? "background" : (dump.has(D.meanRGB) || dump.has(D.images)) ? "mean-rgb" : nil
        }
    }

    public func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws {
        _ = try options.int("restarts", min: 1)
        _ = try options.int("knn", min: 1)
        let choice = try options.choice("nuisance", ["auto", "background", "mean-rgb", "none"])
        _ = try options.choice("map", ["pca", "none"])
        for name in ["k", "nuisance-groups"] where options.string(name).lowercased() != "classes" { _ = try options.int(name, min: 2) }
        let D = RunFormat.Dump.self
        for dump in inputs.dumps where choice == "background" && !dump.has(D.background) {
            throw LoupeError.invalidInput("nuisance=background but \(dump.path) has no \(D.background); use nuisance=mean-rgb or nuisance=none")
        }
        for dump in inputs.dumps where choice == "mean-rgb" && !dump.has(D.meanRGB) && !dump.has(D.images) {
            throw LoupeError.invalidInput("nuisance=mean-rgb but \(dump.path) has neither \(D.meanRGB) nor \(D.images); use nuisance=none")
        }
    }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let dumps = inputs.dumps.sorted { ($0.epoch, $0.path) < ($1.epoch, $1.path) }
        var out = AnalyzerOutput()
        let seed = try options.seed()
        out.seeds = [("kmeans", seed), ("nuisance-binning", seed)]
        var all: [Scores] = []
        for (index, dump) in dumps.enumerated() {
            let s = try score(dump, options: options, seed: seed, quiet: inputs.quiet, into: &out, group: dumps.count == 1 ? "" : "/file-\(index)")
            all.append(s)
        }
        let last = all[all.count - 1]
        out.markdown(verdictText(last))
        out.table(Table(title: "Against the classes and against colour (\(last.nuisance ?? "none given"))\(dumps.count > 1 ? ", epoch \(last.epoch)" : "")",
                        columns: ["metric", "by class", "by colour"],
                        rows: Scores.metrics.map { [Scores.names[$0]!, Fmt.g(last.byClass[$0] ?? .nan), last.nuisanceText($0)] }
                            + [["trustworthiness (\(options.string("map")) map)", Fmt.g(last.trustworthiness), ""]]))
        out.figure(try barsFigure(last))
        if all.count > 1 { out.figure(try epochsFigure(all)) }
        var header = ["epoch", "run", "samples"]
        for m in Scores.metrics { header += ["\(m)_class", "\(m)_colour"] }
        header += ["trustworthiness", "clusters_by"]
        out.table(Table(title: "All files", columns: header, rows: all.map { s in
            var row = [String(s.epoch), s.run, String(s.samples)]
            for m in Scores.metrics { row += [Fmt.g(s.byClass[m] ?? .nan, digits: 4), s.nuisanceText(m, digits: 4)] }
            return row + [Fmt.g(s.trustworthiness, digits: 4), s.verdict ?? ""]
        }, fileName: "purity_metrics.csv"))
        if case .object(let pairs) = last.json { for (k, v) in pairs { out.set(k, v) } }
        if all.count > 1 { out.set("per_file", .array(all.map(\.json))) }
        return out
    }

    func score(_ dump: DumpFile, options: AnalyzerOptions, seed: UInt64, quiet: Bool, into out: inout AnalyzerOutput, group: String) throws -> Scores {
        let features = try FeatureMatrix.read(dump, spec: options.string("features"), normalize: options.string("normalize"))
        let x = features.matrix.values, n = features.matrix.rows, d = features.matrix.columns
        let allLabels = try dump.labels()
        let labels = features.kept.map { allLabels[$0] }
        let classCount = max(Set(labels).count, 1)
        func count(_ name: String) throws -> Int { options.string(name).lowercased() == "classes" ? classCount : try options.int(name, min: 2) }
        let k = try count("k"), groups = try count("nuisance-groups")
        guard n > max(k, groups) else {
            throw LoupeError.invalidInput("purity needs more samples than clusters: \(dump.path) has \(n) usable rows for k = \(max(k, groups))")
        }
        let knn = min(try options.int("knn", min: 1), n - 1)

        // The nuisance attribute, binned into groups.
        let D = RunFormat.Dump.self
        let source = PurityAnalyzer.nuisanceSource(dump, choice: try options.choice("nuisance", ["auto", "background", "mean-rgb", "none"]))
        var nuisance: [Int]?
        var nuisanceName: String?
        if let source {
            let useBackground = source == "background"
            let colour = try (useBackground ? dump.unitRGB(D.background) : dump.meanRGB()).selecting(rows: features.kept)
            nuisanceName = useBackground ? "background colour" : "mean colour"
            let groupsOf = ClusterMetrics.binByKMeans(colour.values, n: n, d: 3, k: groups, seed: seed)
            guard groupsOf.count == n else { throw LoupeError.invalidInput("internal: colour binning returned \(groupsOf.count) groups for \(n) samples") }
            nuisance = groupsOf
        }

        let progress = ProgressBar("k-means \(dump.label)", total: try options.int("restarts", min: 1), quiet: quiet)
        let kmeans = try KMeans.fit(x, n: n, d: d, k: k, restarts: try options.int("restarts", min: 1), seed: seed, progress: progress)
        progress.finish()
        guard kmeans.labels.count == n else { throw LoupeError.invalidInput("internal: k-means returned \(kmeans.labels.count) labels for \(n) samples") }

        // Per-row k-NN correctness, kept for bootstrap intervals over samples; the accuracy is its mean.
        let correctByClass = ClusterMetrics.knnCorrect(x, n: n, d: d, labels: labels, k: knn)
        let correctByNuisance = nuisance.flatMap { ClusterMetrics.knnCorrect(x, n: n, d: d, labels: $0, k: knn) }
        func metrics(_ truth: [Int], _ correct: [Bool]?) -> [String: Double] {
            ["purity": ClusterMetrics.purity(labels: truth, clusters: kmeans.labels),
             "nmi": ClusterMetrics.normalizedMutualInformation(truth, kmeans.labels),
             "ari": ClusterMetrics.adjustedRandIndex(truth, kmeans.labels),
             "knn_accuracy": correct.map { c in Double(c.filter { $0 }.count) / Double(n) } ?? .nan,
             "silhouette": ClusterMetrics.silhouette(x, n: n, d: d, labels: truth)]
        }
        var trust = Double.nan
        if try options.choice("map", ["pca", "none"]) == "pca", d >= 2 {
            let map = try PCA.fit(x, n: n, d: d, components: 2, method: .auto, seed: seed)
            trust = ClusterMetrics.trustworthiness(high: x, dHigh: d, low: map.scores, dLow: 2, n: n, k: min(5, max(1, n / 2 - 1)))
        }
        let s = Scores(epoch: dump.epoch, run: dump.run, samples: n, dropped: features.dropped.count, k: k, nuisance: nuisanceName,
                       byClass: metrics(labels, correctByClass), byNuisance: nuisance.map { metrics($0, correctByNuisance) }, trustworthiness: trust, inertia: kmeans.inertia)
        if let note = features.droppedNote(ids: try dump.ids(), file: dump.path) { out.markdown("**Left out** (\(dump.label)): " + note); out.warn(note) }
        out.add(.ints(group + "/kmeans_labels", kmeans.labels, "k-means cluster per kept row"))
        if let nuisance, let nuisanceName { out.add(.ints(group + "/nuisance_groups", nuisance, "\(nuisanceName) group per kept row (k-means of the RGB)")) }
        out.add(.ints(group + "/kept_rows", features.kept, "file rows used"))
        if let correctByClass {
            out.add(.ints(group + "/knn_correct_class", correctByClass.map { $0 ? 1 : 0 }, "per kept row: 1 if its leave-one-out \(knn)-NN vote gives its class (mean = knn_accuracy by class)"))
        }
        if let correctByNuisance, let nuisanceName {
            out.add(.ints(group + "/knn_correct_colour", correctByNuisance.map { $0 ? 1 : 0 }, "per kept row: 1 if its leave-one-out \(knn)-NN vote gives its \(nuisanceName) group (mean = knn_accuracy by colour)"))
        }
        out.add(.doubles(group + "/class_metrics", Scores.metrics.map { s.byClass[$0]! }, "against the classes: " + Scores.metrics.joined(separator: ", ")))
        if let byNuisance = s.byNuisance, let nuisanceName {
            out.add(.doubles(group + "/colour_metrics", Scores.metrics.map { byNuisance[$0]! }, "against the \(nuisanceName) groups: " + Scores.metrics.joined(separator: ", ")))
        }
        out.add(.doubles(group + "/trustworthiness", [trust], "trustworthiness of the 2-D PCA map (k = 5)"))
        return s
    }

    func verdictText(_ s: Scores) -> String {
        let c = s.byClass["knn_accuracy"] ?? .nan
        let chance = "chance ≈ \(Fmt.g(1 / Double(max(s.k, 1))))"
        guard let byNuisance = s.byNuisance, let nuisance = s.nuisance else {
            return "Against the classes: leave-one-out k-NN accuracy \(Fmt.g(c)) (\(chance)), k-means NMI \(Fmt.g(s.byClass["nmi"] ?? .nan)). "
                + "**No nuisance attribute**: \(PurityAnalyzer.noNuisanceNote)."
        }
        let u = byNuisance["knn_accuracy"] ?? .nan
        let what: String = switch s.verdict {
        case "class": "The representation clusters **by class** more than by \(nuisance)"
        case "colour": "The representation clusters **by \(nuisance)** more than by class"
        default: "The representation clusters neither by class nor by \(nuisance)"
        }
        return "\(what): leave-one-out k-NN accuracy \(Fmt.g(c)) by class vs \(Fmt.g(u)) by colour group (\(chance)), NMI \(Fmt.g(s.byClass["nmi"] ?? .nan)) vs \(Fmt.g(byNuisance["nmi"] ?? .nan)). Colour groups are k-means bins of the \(nuisance) into \(s.k) groups."
    }

    func barsFigure(_ s: Scores) throws -> Figure {
        let palette = Palette.colors(count: 2)
        let xs = Scores.metrics.indices.map { Double($0 + 1) }
        var series: [LineChart.Series] = [.init("by class", x: xs, y: Scores.metrics.map { s.byClass[$0] ?? .nan }, color: palette[0], bars: true)]
        if let byNuisance = s.byNuisance, let nuisance = s.nuisance {
            series.append(.init("by \(nuisance)", x: xs, y: Scores.metrics.map { byNuisance[$0] ?? .nan }, color: palette[1], bars: true))
        }
        var chart = LineChart(title: "Class or colour? (\(s.run), epoch \(s.epoch))", xLabel: "", yLabel: "score", series: series)
        chart.xTickLabels = Scores.metrics.map { Scores.names[$0]! }
        let lows = (Array(s.byClass.values) + Array((s.byNuisance ?? [:]).values)).filter(\.isFinite)
        chart.yRange = min(0, (lows.min() ?? 0) - 0.05)...1.05
        return try FigureRenderer.figure("purity_bars.png", title: "Class versus colour",
                                         caption: s.nuisance.map { "Each metric against the class labels (blue) and against the \($0) groups (orange). Higher blue than orange: the representation follows class; the reverse: colour." }
                                             ?? "Each metric against the class labels (no nuisance attribute in the file).",
                                         charts: [chart], panelSize: (560, 340))
    }

    func epochsFigure(_ all: [Scores]) throws -> Figure {
        let palette = Palette.colors(count: 2)
        let xs = all.map { Double($0.epoch) }
        func chart(_ metric: String) -> LineChart {
            var series: [LineChart.Series] = [.init("by class", x: xs, y: all.map { $0.byClass[metric] ?? .nan }, color: palette[0])]
            if all.contains(where: { $0.byNuisance != nil }) {
                series.append(.init("by colour", x: xs, y: all.map { $0.byNuisance?[metric] ?? .nan }, color: palette[1], dashed: true))
            }
            var c = LineChart(title: Scores.names[metric]!, xLabel: "epoch", yLabel: Scores.names[metric]!, series: series)
            c.integerX = true
            c.yRange = -0.02...1.02
            return c
        }
        return try FigureRenderer.figure("purity_epochs.png", title: "Class and colour over training",
                                         caption: "Solid: against the classes; dashed: against the colour groups.",
                                         charts: [chart("knn_accuracy"), chart("nmi")], columns: 2)
    }
}
