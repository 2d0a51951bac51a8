import Foundation
import LoupeCore

/// `zero-grad`: finds all-zero and vanishing gradients per layer and epoch and says why, ranked, with
/// the evidence and the fix (softmax saturation, float16 flushing, dead ReLUs, no gradient recorded, a
/// layer the target does not reach, a Grad-CAM map clipped by its ReLU).
///
/// A sample's gradient at a layer is *vanishing* when it is not all zero and its max |g| is below
/// `vanishing-ratio` × S (S = the layer's typical max |g|: the median over samples with a non-zero
/// gradient in float32's normal softmax regime, the largest such median over the input files) or
/// below `floor` (default 2⁻²⁴ ≈ 6e−8, float16's smallest subnormal: such a value prints as 0 and
/// float16 would store it as 0).
public struct ZeroGradAnalyzer: Analyzer {
    public init() {}

    public let id = "zero-grad"
    public let summary = "Zero and vanishing gradients per layer and epoch, diagnosed: softmax saturation, float16 flushing, dead ReLUs, unreached layers"
    public let arity = InputArity.oneOrMore

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            Requirement(D.gradients + "/<layer>", producer: "written by `loupe probe --layers L`, with the --target to check"),
            Requirement(D.activations + "/<layer>", producer: "for dead channels and Grad-CAM clipping", optional: true),
            Requirement(D.logits, producer: "written by every Loupe dump; needed to tell softmax saturation by the margins", optional: true),
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
            Artifact("zero_grad_samples.csv", "per sample and epoch: margin, float32 softmax regime, max |g| per layer"),
        ]
    }

    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] {
        ["layer": LayerSelection(options.string("layers")).resolve(dump.gradientLayers)]
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
        layers = dumps[0].orderLayers(layers)

        // Margins and float32 regimes per file.
        var regimes: [[SoftmaxRegime]?] = [], margins: [[Double]?] = [], pTarget: [[Float]?] = [], targetClass: [[Int]?] = []
        var factors: [[Double]?] = []
        for d in dumps {
            guard d.has(RunFormat.Dump.logits), let s = d.shape(RunFormat.Dump.logits), s.count == 2 else {
                regimes.append(nil); margins.append(nil); pTarget.append(nil); targetClass.append(nil); factors.append(nil); continue
            }
            let z = try d.floats(RunFormat.Dump.logits), k = s[1]
            let labels = d.has(RunFormat.Dump.labels) && d.target != .logitPredicted ? try d.labels() : nil
            var r: [SoftmaxRegime] = [], m: [Double] = [], p: [Float] = [], ys: [Int] = [], f: [Double] = []
            for i in 0..<s[0] {
                let row = z[(i * k)..<((i + 1) * k)]
                let y = labels.map { min(max($0[i], 0), k - 1) } ?? (row.indices.max { row[$0] < row[$1] }.map { $0 - row.startIndex } ?? 0)
                ys.append(y)
                r.append(SoftmaxFloat32.regime(row, y: y, target: d.target))
                m.append(SoftmaxFloat32.margin(row, y: y))
                p.append(SoftmaxFloat32.probabilities(row)[y])
                f.append(SoftmaxFloat32.factor(row, y: y, target: d.target))
            }
            regimes.append(r); margins.append(m); pTarget.append(p); targetClass.append(ys); factors.append(f)
        }

        // Statistics per (file, layer).
        var stats: [(Int, String, GradientStats, HDF5ElementType)] = []
        var missingGradients: [[String]] = []
        let progress = inputs.progress("zero-grad", total: dumps.count * layers.count)
        for (d, dump) in dumps.enumerated() {
            for layer in layers where dump.has(RunFormat.Dump.gradient(layer)) {
                let g = try dump.gradients(layer)
                let a = dump.has(RunFormat.Dump.activation(layer)) ? try dump.activations(layer) : nil
                stats.append((d, layer, GradientStats.measure(gradients: g, activations: a), dump.elementType(RunFormat.Dump.gradient(layer)) ?? .float32))
                progress.advance()
            }
            missingGradients.append(dump.activationLayers.filter { !dump.has(RunFormat.Dump.gradient($0)) })
        }
        progress.finish()

        // The layer's typical scale S: medians over healthy-regime samples with non-zero gradients.
        var scale: [String: Double] = [:]
        for (d, layer, s, _) in stats {
            let values = s.maxAbs.indices.compactMap { i -> Double? in
                guard s.maxAbs[i] > 0 else { return nil }
                if let r = regimes[d], i < r.count, r[i].isSaturated { return nil }
                return s.maxAbs[i]
            }
            if !values.isEmpty { scale[layer] = max(scale[layer] ?? 0, ZeroGradDiagnoser.median(values)) }
        }
        var cells: [ZeroGradObservations.Cell] = stats.map { d, layer, s, type in
            let limit = max(ratio * (scale[layer] ?? 0), floor)
            let vanishing = s.maxAbs.indices.map { !s.allZero[$0] && s.maxAbs[$0] < limit }
            return .init(dump: d, layer: layer, stats: s, storedAs: type, vanishing: vanishing, unreached: false)
        }
        for d in dumps.indices {
            let mine = cells.indices.filter { cells[$0].dump == d }
            let blank = mine.filter { cells[$0].stats.allZero.allSatisfy { $0 } }
            if blank.count < mine.count { for i in blank { cells[i].unreached = true } }
        }
        let observations = ZeroGradObservations(dumps: dumps, layers: layers, cells: cells, regimes: regimes, margins: margins, missingGradients: missingGradients)
        let diagnoses = ZeroGradDiagnoser.diagnose(observations)

        var out = AnalyzerOutput()
        writeArrays(&out, dumps: dumps, layers: layers, cells: cells, regimes: regimes, margins: margins, pTarget: pTarget, targetClass: targetClass, factors: factors)
        out.markdown(diagnosisMarkdown(diagnoses))
        let columns = columnLabels(dumps)
        out.figure(try heatmapFigure(layers: layers, columns: columns, cells: cells, dumps: dumps))
        if margins.contains(where: { $0 != nil }) {
            let figureLayer = LayerSelection(options.string("figure-layer")).resolve(layers).first { layers.contains($0) } ?? layers.last!
            out.figure(try marginFigure(layer: figureLayer, dumps: dumps, cells: cells, margins: margins))
        }
        out.table(layerTable(dumps: dumps, cells: cells, scale: scale))
        out.table(sampleTable(dumps: dumps, layers: layers, cells: cells, regimes: regimes, margins: margins, pTarget: pTarget))
        out.markdown("""
        **Definitions.** *All-zero*: every entry of the sample's gradient at the layer is exactly 0. *Vanishing*: not all zero, but max |g| < \(Fmt.g(ratio)) × the layer's typical max |g| (median over samples in float32's normal softmax regime) or < \(Fmt.g(floor)) (float16's smallest subnormal: such values print as 0 and float16 stores them as 0). *Regimes* replay the softmax backward in float32 from `/logits`: `normal`, `shrunk` (the softmax scales the gradient by less than 1e-3: margin ≳ 7), `rounded` (p rounds to exactly 1 or 0; gradient tiny but non-zero), `exact-zero` (every term is 0).
        """)

        out.set("diagnosis", .string(diagnoses.first?.id ?? "healthy"))
        out.set("healthy", .bool(diagnoses.first?.id == "healthy"))
        out.set("diagnoses", .array(diagnoses.map(\.json)))
        out.set("layers", .strings(layers))
        out.set("zero_or_vanishing_samples", .object(cells.map { c in
            ("\(c.layer) @ \(columns[c.dump])", .int(c.stats.allZero.indices.filter { c.stats.allZero[$0] || c.vanishing[$0] }.count))
        }))
        return out
    }

    func columnLabels(_ dumps: [DumpFile]) -> [String] {
        let mixed = Set(dumps.map(\.target.description)).count > 1
        let dup = Set(dumps.map(\.epoch)).count < dumps.count
        return dumps.map { d in mixed ? "\(d.epoch) \(d.target)" : dup ? "\(d.epoch) \(d.run)" : "\(d.epoch)" }
    }

    // MARK: - Output

    func writeArrays(_ out: inout AnalyzerOutput, dumps: [DumpFile], layers: [String], cells: [ZeroGradObservations.Cell],
                     regimes: [[SoftmaxRegime]?], margins: [[Double]?], pTarget: [[Float]?], targetClass: [[Int]?], factors: [[Double]?]) {
        out.add(.strings("/layers", layers, "layers checked (rows of the fraction matrices)"))
        out.add(.ints("/epochs", dumps.map(\.epoch), "epoch of each file (columns of the fraction matrices)"))
        out.add(.strings("/targets", dumps.map(\.target.description), "gradient target of each file"))
        var zeroEntries = [Double](repeating: .nan, count: layers.count * dumps.count)
        var affected = zeroEntries
        for c in cells {
            let li = layers.firstIndex(of: c.layer)!
            zeroEntries[li * dumps.count + c.dump] = c.stats.zeroFraction
            affected[li * dumps.count + c.dump] = Double(c.stats.allZero.indices.filter { c.stats.allZero[$0] || c.vanishing[$0] }.count) / Double(max(c.stats.samples, 1))
        }
        out.add(.doubles("/zero_entry_fraction", zeroEntries, shape: [layers.count, dumps.count], "share of exactly-zero gradient entries, layers × files (NaN: layer absent)"))
        out.add(.doubles("/zero_or_vanishing_fraction", affected, shape: [layers.count, dumps.count], "share of samples whose gradient is all zero or vanishing, layers × files"))
        var names = Set<String>()
        for (d, dump) in dumps.enumerated() {
            var g = "/epoch-" + String(format: "%04d", dump.epoch)
            if names.contains(g) { g += "-" + dump.target.description + "-\(d)" }
            names.insert(g)
            if let m = margins[d] { out.add(.doubles(g + "/margin", m, "logit margin z_y − max_{j≠y} z_j of the target class")) }
            if let r = regimes[d] { out.add(.strings(g + "/regime", r.map(\.rawValue), "float32 softmax regime: no-softmax, normal, shrunk, rounded, exact-zero")) }
            if let f = factors[d] { out.add(.doubles(g + "/softmax_factor", f, "max_j |∂target/∂z_j| in float64: how much the softmax scales the gradient (1 without softmax)")) }
            if let p = pTarget[d] { out.add(.floats(g + "/p_target_float32", p, "target-class probability computed in float32")) }
            if let y = targetClass[d] { out.add(.ints(g + "/target_class", y, "class whose score the gradients are of")) }
            for c in cells where c.dump == d {
                out.add(.doubles(g + "/\(c.layer)/max_abs", c.stats.maxAbs, "max |gradient| per sample"))
                out.add(.ints(g + "/\(c.layer)/all_zero", c.stats.allZero.map { $0 ? 1 : 0 }, "1 if every gradient entry of the sample is exactly 0"))
                out.add(.ints(g + "/\(c.layer)/vanishing", c.vanishing.map { $0 ? 1 : 0 }, "1 if non-zero but negligible (see the report's definition)"))
                if let dead = c.stats.deadChannels { out.add(.ints(g + "/\(c.layer)/dead_channels", dead, "channels zero for every probe sample")) }
                if let cam = c.stats.camRawMax { out.add(.doubles(g + "/\(c.layer)/cam_raw_max", cam, "max of Σ mean(g)·A (≤ 0: Grad-CAM's ReLU clips the map)")) }
            }
        }
    }

    func diagnosisMarkdown(_ diagnoses: [ZeroGradDiagnosis]) -> String {
        var s = "## Diagnosis\n\nRanked by how much of what was observed each explanation accounts for (score 0–1).\n\n"
        for (k, d) in diagnoses.enumerated() {
            s += "\(k + 1). **\(d.title)** (`\(d.id)`, score \(Fmt.g(d.score, digits: 2)))\n"
            for e in d.evidence { s += "   - \(e)\n" }
            s += "   - *Fix*: \(d.fix)\n"
        }
        return s
    }

    func layerTable(dumps: [DumpFile], cells: [ZeroGradObservations.Cell], scale: [String: Double]) -> Table {
        let rows = cells.map { c -> [String] in
            let s = c.stats
            let nonzero = max(s.entries - s.zeroEntries, 1)
            return [String(dumps[c.dump].epoch), dumps[c.dump].target.description, c.layer, c.storedAs.rawValue,
                    Fmt.percent(s.zeroFraction), String(s.allZero.filter { $0 }.count), String(c.vanishing.filter { $0 }.count),
                    String(s.nanEntries), String(s.infEntries), Fmt.percent(Double(s.underFloat16Normal) / Double(nonzero)),
                    s.deadChannels.map { "\($0.count)/\(s.channels)" } ?? "—", Fmt.g(ZeroGradDiagnoser.median(s.maxAbs.filter { $0 > 0 })),
                    c.unreached ? "yes" : ""]
        }
        return Table(title: "Gradients per layer and epoch",
                     columns: ["epoch", "target", "layer", "stored as", "zero entries", "all-zero samples", "vanishing samples", "NaN", "Inf",
                               "non-zero under f16 min normal", "dead channels", "median max|g|", "unreached"],
                     rows: rows, fileName: "zero_grad_layers.csv")
    }

    func sampleTable(dumps: [DumpFile], layers: [String], cells: [ZeroGradObservations.Cell], regimes: [[SoftmaxRegime]?],
                     margins: [[Double]?], pTarget: [[Float]?]) -> Table {
        var rows: [[String]] = []
        for (d, dump) in dumps.enumerated() {
            let ids = (try? dump.ids()) ?? []
            let mine = layers.map { l in cells.first { $0.dump == d && $0.layer == l } }
            for i in 0..<(dump.sampleCount ?? 0) {
                var row = [String(dump.epoch), dump.target.description, i < ids.count ? ids[i] : String(i),
                           margins[d].map { Fmt.g($0[i], digits: 2) } ?? "", regimes[d].map { $0[i].rawValue } ?? "",
                           pTarget[d].map { String(format: "%.9g", Double($0[i])) } ?? ""]
                row += mine.map { c in c.map { $0.stats.allZero[i] ? "0" : String(format: "%.3e", $0.stats.maxAbs[i]) } ?? "" }
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
            affected[i] = Double(c.stats.allZero.indices.filter { c.stats.allZero[$0] || c.vanishing[$0] }.count) / Double(max(c.stats.samples, 1))
            zero[i] = c.stats.zeroFraction
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
                                         caption: "Left: share of probe samples whose gradient at the layer is all zero or vanishing. Right: share of gradient entries that are exactly zero (high values are normal after ReLU/max-pool).",
                                         charts: [chart("Samples with zero or vanishing gradient", affected, "share of samples"),
                                                  chart("Exactly-zero gradient entries", zero, "share of entries")],
                                         columns: 2, panelSize: (max(380, Double(columns.count) * 52 + 220), height))
    }

    func marginFigure(layer: String, dumps: [DumpFile], cells: [ZeroGradObservations.Cell], margins: [[Double]?]) throws -> Figure {
        var xs: [Double] = [], ys: [Double] = [], colors: [RGB] = [], hollow: [Bool] = []
        let epochColors = dumps.count == 1 ? [Palette.colors(count: 1)[0]] : dumps.indices.map { Colormap.viridis.color(0.9 * Double($0) / Double(dumps.count - 1)) }
        var zeroRows: [(Double, RGB)] = []
        for (d, _) in dumps.enumerated() {
            guard let m = margins[d], let c = cells.first(where: { $0.dump == d && $0.layer == layer }) else { continue }
            for i in m.indices where i < c.stats.samples {
                if c.stats.allZero[i] { zeroRows.append((m[i], epochColors[d])); continue }
                xs.append(m[i]); ys.append(log10(c.stats.maxAbs[i])); colors.append(epochColors[d]); hollow.append(false)
            }
        }
        let finiteY = ys.filter(\.isFinite)
        let floorY = ((finiteY.min() ?? 0) - 2).rounded(.down)
        for (m, color) in zeroRows { xs.append(m); ys.append(floorY); colors.append(color); hollow.append(true) }
        var chart = ScatterChart(title: "Logit margin vs gradient size at \(layer)", xLabel: "logit margin  z_y − max_{j≠y} z_j",
                                 yLabel: "log10 max |gradient|", x: xs, y: ys, colors: colors, hollow: hollow)
        if !zeroRows.isEmpty { chart.horizontalLines = [(floorY, "exactly 0 (hollow)")] }
        if dumps.contains(where: { $0.target.passesThroughSoftmax }) {
            let k = max(2, dumps.first.flatMap { $0.shape(RunFormat.Dump.logits)?.last } ?? 2)
            let t = SoftmaxFloat32.thresholds(classes: k)
            let maxMargin = xs.max() ?? 0
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
