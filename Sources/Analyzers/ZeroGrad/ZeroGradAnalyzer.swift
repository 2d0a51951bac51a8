import Foundation
import LoupeCore

/// `zero-grad`: finds zero, vanishing, non-finite and missing gradients per layer and epoch and says why,
/// ranked by the share of the affected observations each cause explains, with the evidence and the fix:
/// probability outputs, sigmoid (one-output) and softmax saturation, NaN/∞ gradients, activations without
/// gradients, a 1×1 layer, dead ReLUs, a layer the target does not reach, float16 flushing. Observations
/// that explain no affected sample (a few inactive channels, clipped Grad-CAM maps) are notes.
///
/// A sample's gradient at a layer is *vanishing* when it is finite, not all zero and its max |g| is below
/// `vanishing-ratio` × S (S = the layer's typical max |g|: the median over samples with a non-zero
/// gradient in float32's normal regime of the output layer, the largest such median over the input files)
/// or below `floor` (default 2⁻²⁴ ≈ 6e−8, float16's smallest subnormal: such a value prints as 0 and
/// float16 would store it as 0).
public struct ZeroGradAnalyzer: Analyzer {
    public init() {}

    public let id = "zero-grad"
    public let summary = "Zero, vanishing, NaN and missing gradients per layer and epoch, diagnosed: probability outputs, softmax/sigmoid saturation, non-finite values, dead ReLUs, 1×1 layers, unreached layers, float16"
    public let arity = InputArity.oneOrMore

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            Requirement(D.gradients + "/<layer>", or: [D.activations + "/<layer>"],
                        producer: "written by `loupe probe --layers L`, with the --target to check (a layer with activations but no gradients is diagnosed)"),
            Requirement(D.activations + "/<layer>", producer: "for dead ReLUs, dead channels and Grad-CAM clipping", optional: true),
            Requirement(D.logits, producer: "written by every Loupe dump; needed to tell saturation and probability outputs by the values", optional: true),
            Requirement(D.labels, producer: "probe labels (the target class)", optional: true),
            Requirement(D.ids, producer: "probe ids", optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            OptionSpec("layers", default: "all", "layers to check: names or globs, `all` or `last`"),
            OptionSpec("vanishing-ratio", default: "1e-6", "a gradient is vanishing below this fraction of the layer's typical max |g|"),
            OptionSpec("floor", default: "5.96e-8", "a gradient is vanishing below this absolute max |g| (float16's smallest subnormal; 0 turns it off)"),
            OptionSpec("figure-layer", default: "last", "layer shown in the margin figure"),
        ]
    }

    public var artifacts: [Artifact] {
        [
            Artifact("zero_grad_heatmap.png", "layers × epochs: share of samples with zero or vanishing gradients, and of exactly-zero entries"),
            Artifact("zero_grad_margin.png", "logit margin against log10 max |gradient| per sample", when: "the dump has /logits"),
            Artifact("zero_grad_layers.csv", "per layer and epoch: zero entries, all-zero and vanishing samples, NaN/Inf, float16 underflow, dead channels"),
            Artifact("zero_grad_samples.csv", "per sample and epoch: margin, float32 regime of the output layer, max |g| per layer"),
        ]
    }

    /// Layers with gradients or activations (a layer with activations only is a finding, not an error).
    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] {
        let candidates = dump.orderLayers(Array(Set(dump.gradientLayers).union(dump.activationLayers)))
        return ["layer": LayerSelection(options.string("layers")).resolve(candidates)]
    }

    public func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws {
        _ = try options.double("vanishing-ratio", min: 0)
        _ = try options.double("floor", min: 0)
    }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let ratio = try options.double("vanishing-ratio", min: 0)
        let floor = try options.double("floor", min: 0)
        let order = inputs.dumps.indices.sorted {
            (inputs.dumps[$0].epoch, inputs.dumps[$0].target.description, $0) < (inputs.dumps[$1].epoch, inputs.dumps[$1].target.description, $1)
        }
        let dumps = order.map { inputs.dumps[$0] }
        var layers: [String] = []
        for i in order { for l in inputs.layers(i) where !layers.contains(l) { layers.append(l) } }
        layers = dumps[0].recordedLayerOrder == nil ? Self.networkOrder(layers) : dumps[0].orderLayers(layers)

        // The output layer replayed in float32, per file.
        var replays: [TargetReplay?] = []
        for d in dumps {
            guard d.has(RunFormat.Dump.logits), let s = d.shape(RunFormat.Dump.logits), s.count == 2, s[1] >= 1 else { replays.append(nil); continue }
            let labels = d.has(RunFormat.Dump.labels) && d.target != .logitPredicted ? try d.labels() : nil
            replays.append(TargetReplay(scores: try d.floats(RunFormat.Dump.logits), classes: s[1], labels: labels, target: d.target))
        }

        // Statistics per (file, layer).
        var stats: [(Int, String, GradientStats, HDF5ElementType?)] = []
        let progress = inputs.progress("zero-grad", total: dumps.count * layers.count)
        for (d, dump) in dumps.enumerated() {
            for layer in layers {
                let hasG = dump.has(RunFormat.Dump.gradient(layer)), hasA = dump.has(RunFormat.Dump.activation(layer))
                guard hasG || hasA else { continue }
                let g = hasG ? try dump.gradients(layer) : nil
                let a = hasA ? try dump.activations(layer) : nil
                stats.append((d, layer, GradientStats.measure(gradients: g, activations: a), hasG ? dump.elementType(RunFormat.Dump.gradient(layer)) ?? .float32 : nil))
                progress.advance()
            }
        }
        progress.finish()

        // The layer's typical scale S: medians over finite, non-zero samples in the normal regime.
        var scale: [String: Double] = [:]
        for (d, layer, s, _) in stats where s.hasGradients {
            let values = s.maxAbs.indices.compactMap { i -> Double? in
                guard s.maxAbs[i] > 0, !s.nonFinite[i] else { return nil }
                if let r = replays[d], i < r.regimes.count, r.regimes[i].isSaturated { return nil }
                return s.maxAbs[i]
            }
            if !values.isEmpty { scale[layer] = max(scale[layer] ?? 0, ZeroGradDiagnoser.median(values)) }
        }
        let cells: [ZeroGradObservations.Cell] = stats.map { d, layer, s, type in
            let limit = max(ratio * (scale[layer] ?? 0), floor)
            let vanishing = s.maxAbs.indices.map { s.hasGradients && !s.allZero[$0] && !s.nonFinite[$0] && s.maxAbs[$0] < limit }
            return .init(dump: d, layer: layer, rank: layers.firstIndex(of: layer) ?? 0, stats: s, storedAs: type, vanishing: vanishing,
                         symptoms: ZeroGradObservations.symptoms(s, vanishing: vanishing))
        }
        let observations = ZeroGradObservations(dumps: dumps, layers: layers, cells: cells, replays: replays)
        let diagnoses = ZeroGradDiagnoser.diagnose(observations)

        var out = AnalyzerOutput()
        writeArrays(&out, dumps: dumps, layers: layers, cells: cells, replays: replays)
        out.markdown(diagnosisMarkdown(diagnoses))
        let columns = columnLabels(dumps)
        out.figure(try heatmapFigure(layers: layers, columns: columns, cells: cells, dumps: dumps))
        let withGradients = layers.filter { l in cells.contains { $0.layer == l && $0.stats.hasGradients } }
        if replays.contains(where: { $0 != nil }), !withGradients.isEmpty {
            let figureLayer = LayerSelection(options.string("figure-layer")).resolve(withGradients).first { withGradients.contains($0) } ?? withGradients.last!
            out.figure(try marginFigure(layer: figureLayer, dumps: dumps, cells: cells, replays: replays))
        }
        out.table(layerTable(dumps: dumps, cells: cells, scale: scale))
        out.table(sampleTable(dumps: dumps, layers: layers, cells: cells, replays: replays))
        out.markdown("""
        **Definitions.** An *observation* is one probe sample at one recorded layer of one file; it is *affected* when its gradient is non-finite (NaN/±∞), missing (activations without gradients), all zero or vanishing, when its activation is all zero, or when the layer is 1×1. *Score*: the share of the affected observations a cause explains (every score on this one scale); a cause explaining none is a *note*. *All-zero*: every entry exactly 0. *Vanishing*: finite, not all zero, but max |g| < \(Fmt.g(ratio)) × the layer's typical max |g| (median over samples in the output layer's normal regime) or < \(Fmt.g(floor)) (float16's smallest subnormal). *Regimes* replay the output layer in float32 from `/logits` (softmax; sigmoid for one output; the model's own softmax, log_softmax or sigmoid when `/logits` hold probabilities): `normal`, `shrunk` (scaled by less than 1e-3), `rounded` (p rounds to exactly 1 or 0; gradient tiny but non-zero), `exact-zero` (every term is 0).
        """)

        let top = diagnoses.first
        out.set("diagnosis", .string(top?.id ?? "healthy"))
        out.set("healthy", .bool(top?.id == "healthy"))
        out.set("score", .double(top?.score ?? 1))
        out.set("diagnoses", .array(diagnoses.map(\.json)))
        out.set("notes", .strings(diagnoses.filter { $0.kind == .note }.map(\.id)))
        out.set("affected_observations", .int(observations.affectedCount))
        out.set("observations", .int(observations.observationCount))
        out.set("layers", .strings(layers))
        out.set("zero_or_vanishing_samples", .object(cells.map { c in
            ("\(c.layer) @ \(columns[c.dump])", .int(c.stats.allZero.indices.filter { c.stats.allZero[$0] || c.vanishing[$0] }.count))
        }))
        return out
    }

    /// Network order guessed from torchvision-style names when the file does not record it: dotted
    /// components compared naturally (`features.9` before `features.10`), and a module's own output after
    /// its children's (`layer4.1.conv2` runs before `layer4.1` returns).
    static func networkOrder(_ names: [String]) -> [String] {
        names.sorted { a, b in
            let x = a.split(separator: "."), y = b.split(separator: ".")
            for (p, q) in zip(x, y) where p != q { return String(p).compare(String(q), options: .numeric) == .orderedAscending }
            return x.count > y.count  // a child (longer name) before its parent
        }
    }

    func columnLabels(_ dumps: [DumpFile]) -> [String] {
        let mixed = Set(dumps.map(\.target.description)).count > 1
        let dup = Set(dumps.map(\.epoch)).count < dumps.count
        return dumps.map { d in mixed ? "\(d.epoch) \(d.target)" : dup ? "\(d.epoch) \(d.run)" : "\(d.epoch)" }
    }

    // MARK: - Output

    func writeArrays(_ out: inout AnalyzerOutput, dumps: [DumpFile], layers: [String], cells: [ZeroGradObservations.Cell],
                     replays: [TargetReplay?]) {
        out.add(.strings("/layers", layers, "layers checked (rows of the fraction matrices)"))
        out.add(.ints("/epochs", dumps.map(\.epoch), "epoch of each file (columns of the fraction matrices)"))
        out.add(.strings("/targets", dumps.map(\.target.description), "gradient target of each file"))
        var zeroEntries = [Double](repeating: .nan, count: layers.count * dumps.count)
        var affected = zeroEntries, symptomatic = zeroEntries
        for c in cells {
            let li = layers.firstIndex(of: c.layer)!
            zeroEntries[li * dumps.count + c.dump] = c.stats.zeroFraction
            affected[li * dumps.count + c.dump] = Double(c.stats.allZero.indices.filter { c.stats.allZero[$0] || c.vanishing[$0] }.count) / Double(max(c.stats.samples, 1))
            symptomatic[li * dumps.count + c.dump] = Double(c.symptoms.filter { !$0.isEmpty }.count) / Double(max(c.stats.samples, 1))
            if !c.stats.hasGradients { zeroEntries[li * dumps.count + c.dump] = .nan }
        }
        out.add(.doubles("/zero_entry_fraction", zeroEntries, shape: [layers.count, dumps.count], "share of exactly-zero gradient entries, layers × files (NaN: layer absent or without gradients)"))
        out.add(.doubles("/zero_or_vanishing_fraction", affected, shape: [layers.count, dumps.count], "share of samples whose gradient is all zero or vanishing, layers × files"))
        out.add(.doubles("/affected_fraction", symptomatic, shape: [layers.count, dumps.count], "share of samples with any symptom (non-finite, missing, zero, vanishing, zero activation, 1×1), layers × files"))
        var names = Set<String>()
        for (d, dump) in dumps.enumerated() {
            var g = "/epoch-" + String(format: "%04d", dump.epoch)
            if names.contains(g) { g += "-" + dump.target.description + "-\(d)" }
            names.insert(g)
            if let r = replays[d] {
                out.add(.doubles(g + "/margin", r.margins, "margin toward the target class: z_y − max_{j≠y} z_j (on log p for probability outputs; ±z for one output)"))
                out.add(.strings(g + "/regime", r.regimes.map(\.rawValue), "float32 regime of the output layer: no-softmax, normal, shrunk, rounded, exact-zero, non-finite-scores"))
                out.add(.doubles(g + "/softmax_factor", r.factors, "max_j |∂target/∂z_j| in float64: how much the output layer scales the gradient (1 without one)"))
                out.add(.floats(g + "/p_target_float32", r.pTarget, "target-class probability computed in float32"))
                out.add(.ints(g + "/target_class", r.targetClass, "class whose score the gradients are of"))
                out.add(.strings(g + "/score_kind", [r.kind.rawValue], "what /logits holds: logits, binary-logit, probabilities, log-probabilities, sigmoid-probabilities"))
            }
            for c in cells where c.dump == d {
                out.add(.ints(g + "/\(c.layer)/symptoms", c.symptoms.map { Int($0.rawValue) }, "bit set per sample: 1 non-finite, 2 missing, 4 all zero, 8 vanishing, 16 zero activation, 32 1×1"))
                guard c.stats.hasGradients else { continue }
                out.add(.doubles(g + "/\(c.layer)/max_abs", c.stats.maxAbs, "max |gradient| per sample"))
                out.add(.ints(g + "/\(c.layer)/all_zero", c.stats.allZero.map { $0 ? 1 : 0 }, "1 if every gradient entry of the sample is exactly 0"))
                out.add(.ints(g + "/\(c.layer)/vanishing", c.vanishing.map { $0 ? 1 : 0 }, "1 if non-zero but negligible (see the report's definition)"))
                if let dead = c.stats.deadChannels { out.add(.ints(g + "/\(c.layer)/dead_channels", dead, "channels zero for every probe sample")) }
                if let cam = c.stats.camRawMax { out.add(.doubles(g + "/\(c.layer)/cam_raw_max", cam, "max of Σ mean(g)·A (≤ 0: Grad-CAM's ReLU clips the map)")) }
            }
        }
    }

    func diagnosisMarkdown(_ diagnoses: [ZeroGradDiagnosis]) -> String {
        var s = "## Diagnosis\n\nRanked by the share of the affected observations (probe sample × layer) each cause explains (score 0–1); notes explain none and come last.\n\n"
        for (k, d) in diagnoses.enumerated() {
            let label = d.kind == .note ? "note" : d.kind == .verdict ? "verdict" : "score \(Fmt.g(d.score, digits: 2)), \(d.explained) of \(d.affected) affected"
            s += "\(k + 1). **\(d.title)** (`\(d.id)`, \(label))\n"
            for e in d.evidence { s += "   - \(e)\n" }
            s += "   - *Fix*: \(d.fix)\n"
        }
        return s
    }

    func layerTable(dumps: [DumpFile], cells: [ZeroGradObservations.Cell], scale: [String: Double]) -> Table {
        let rows = cells.map { c -> [String] in
            let s = c.stats
            let nonzero = max(s.entries - s.zeroEntries, 1)
            return [String(dumps[c.dump].epoch), dumps[c.dump].target.description, c.layer, c.storedAs?.rawValue ?? "no gradients",
                    Fmt.percent(s.zeroFraction), String(s.allZero.filter { $0 }.count), String(c.vanishing.filter { $0 }.count),
                    String(s.nanEntries), String(s.infEntries), Fmt.percent(Double(s.underFloat16Normal) / Double(nonzero)),
                    s.deadChannels.map { "\($0.count)/\(s.channels)" } ?? "—", Fmt.g(ZeroGradDiagnoser.median(s.maxAbs.filter { $0 > 0 })),
                    String(c.symptoms.filter { !$0.isEmpty }.count)]
        }
        return Table(title: "Gradients per layer and epoch",
                     columns: ["epoch", "target", "layer", "stored as", "zero entries", "all-zero samples", "vanishing samples", "NaN", "Inf",
                               "non-zero under f16 min normal", "dead channels", "median max|g|", "affected samples"],
                     rows: rows, fileName: "zero_grad_layers.csv")
    }

    func sampleTable(dumps: [DumpFile], layers: [String], cells: [ZeroGradObservations.Cell], replays: [TargetReplay?]) -> Table {
        var rows: [[String]] = []
        for (d, dump) in dumps.enumerated() {
            let ids = (try? dump.ids()) ?? []
            let mine = layers.map { l in cells.first { $0.dump == d && $0.layer == l } }
            for i in 0..<(dump.sampleCount ?? 0) {
                var row = [String(dump.epoch), dump.target.description, i < ids.count ? ids[i] : String(i),
                           replays[d].map { Fmt.g($0.margins[i], digits: 2) } ?? "", replays[d].map { $0.regimes[i].rawValue } ?? "",
                           replays[d].map { String(format: "%.9g", Double($0.pTarget[i])) } ?? ""]
                row += mine.map { c in
                    c.map { c in !c.stats.hasGradients ? "missing" : c.stats.nonFinite[i] ? "non-finite" : c.stats.allZero[i] ? "0" : String(format: "%.3e", c.stats.maxAbs[i]) } ?? ""
                }
                rows.append(row)
            }
        }
        var t = Table(title: "Per sample (zero_grad_samples.csv)", columns: ["epoch", "target", "id", "margin", "regime", "p_target_float32"] + layers.map { "max|g| \($0)" },
                      rows: rows, fileName: "zero_grad_samples.csv")
        t.showInReport = false
        return t
    }

    // MARK: - Figures

    func heatmapFigure(layers: [String], columns: [String], cells: [ZeroGradObservations.Cell], dumps: [DumpFile]) throws -> Figure {
        var affected = [Double](repeating: .nan, count: layers.count * dumps.count), zero = affected
        for c in cells {
            let i = layers.firstIndex(of: c.layer)! * dumps.count + c.dump
            affected[i] = Double(c.symptoms.filter { !$0.isEmpty }.count) / Double(max(c.stats.samples, 1))
            zero[i] = c.stats.hasGradients ? c.stats.zeroFraction : .nan
        }
        func chart(_ title: String, _ values: [Double], _ bar: String) -> HeatmapChart {
            var h = HeatmapChart(title: title, xLabel: "epoch", yLabel: "layer", values: values, rowLabels: layers, columnLabels: columns)
            h.colormap = .inferno
            h.range = 0...1
            h.colorbarLabel = bar
            return h
        }
        let height = max(260, Double(layers.count) * 34 + 140)
        return try FigureRenderer.figure("zero_grad_heatmap.png", title: "Zero and vanishing gradients",
                                         caption: "Left: share of probe samples affected at the layer (gradient all zero, vanishing, non-finite or missing, activation all zero, or a 1×1 layer). Right: share of gradient entries that are exactly zero (high values are normal after ReLU/max-pool).",
                                         charts: [chart("Affected samples", affected, "share of samples"),
                                                  chart("Exactly-zero gradient entries", zero, "share of entries")],
                                         columns: 2, panelSize: (max(380, Double(columns.count) * 52 + 220), height))
    }

    func marginFigure(layer: String, dumps: [DumpFile], cells: [ZeroGradObservations.Cell], replays: [TargetReplay?]) throws -> Figure {
        var xs: [Double] = [], ys: [Double] = [], colors: [RGB] = [], hollow: [Bool] = []
        let epochColors = dumps.count == 1 ? [Palette.colors(count: 1)[0]] : dumps.indices.map { Colormap.viridis.color(0.9 * Double($0) / Double(dumps.count - 1)) }
        var zeroRows: [(Double, RGB)] = []
        for (d, _) in dumps.enumerated() {
            guard let m = replays[d]?.margins, let c = cells.first(where: { $0.dump == d && $0.layer == layer && $0.stats.hasGradients }) else { continue }
            for i in m.indices where i < c.stats.samples && m[i].isFinite && !c.stats.nonFinite[i] {
                if c.stats.allZero[i] { zeroRows.append((m[i], epochColors[d])); continue }
                xs.append(m[i]); ys.append(log10(c.stats.maxAbs[i])); colors.append(epochColors[d]); hollow.append(false)
            }
        }
        let finiteY = ys.filter(\.isFinite)
        let floorY = ((finiteY.min() ?? 0) - 2).rounded(.down)
        for (m, color) in zeroRows { xs.append(m); ys.append(floorY); colors.append(color); hollow.append(true) }
        let binary = replays.contains { $0?.classes == 1 }
        var chart = ScatterChart(title: "Logit margin vs gradient size at \(layer)",
                                 xLabel: binary ? "logit toward the true class  (z for y = 1, −z for y = 0)" : "logit margin  z_y − max_{j≠y} z_j",
                                 yLabel: "log10 max |gradient|", x: xs, y: ys, colors: colors, hollow: hollow)
        if !zeroRows.isEmpty { chart.horizontalLines = [(floorY, "exactly 0 (hollow)")] }
        let saturating = dumps.indices.contains { d in dumps[d].target.passesThroughSoftmax || replays[d]?.kind.isModelOutput == true }
        let maxMargin = xs.max() ?? 0
        if saturating && binary {
            // σ rounds to 1 (positives: gradient exactly 0) and e^(−z) overflows (negatives: σ = 0).
            let one = SigmoidFloat32.roundsToOne(), zero = -Double(Foundation.log(Double(Float.greatestFiniteMagnitude)))
            if maxMargin > 0.5 * one { chart.verticalLines.append((one, "σ = 1 in float32")) }
            if maxMargin > 0.7 * -zero { chart.verticalLines.append((-zero, "σ = 0 in float32")) }
        } else if saturating {
            let k = max(2, replays.compactMap { $0?.classes }.first ?? 2)
            let t = SoftmaxFloat32.thresholds(classes: k)
            if maxMargin > 0.5 * t.roundsToOne { chart.verticalLines.append((t.roundsToOne, "p = 1 in float32")) }
            if maxMargin > 0.7 * t.exactZero { chart.verticalLines.append((t.exactZero, "gradient exactly 0")) }
        }
        if dumps.count > 1 {
            chart.legend = dumps.indices.map { LegendEntry("epoch \(dumps[$0].epoch)" + (Set(dumps.map(\.target.description)).count > 1 ? " \(dumps[$0].target)" : ""), epochColors[$0]) }
        }
        return try FigureRenderer.figure("zero_grad_margin.png", title: "Margin against gradient size",
                                         caption: "One point per probe sample and epoch; hollow points have an all-zero gradient. Dashed: the float32 thresholds where the softmax probability rounds to 1 and where its gradient becomes exactly 0.",
                                         charts: [chart], panelSize: (560, 380))
    }
}
