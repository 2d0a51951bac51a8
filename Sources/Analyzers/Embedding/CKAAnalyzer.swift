import Foundation
import LoupeCore

/// `cka`: linear CKA (Kornblith et al., "Similarity of Neural Network Representations Revisited",
/// ICML 2019) between two files' representations of the same probe set, layer × layer.
public struct CKAAnalyzer: Analyzer {
    public init() {}

    public var id: String { Self.id }
    public let summary = "Linear CKA (Kornblith et al. 2019) between two runs' representations of the same probe set, layer × layer"
    public let arity = InputArity.two
    public let needsSameProbe = true

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            Requirement(D.embedding, or: [D.activations + "/<layer>"], producer: "/embedding is written by every Loupe dump, activations by `loupe probe --layers L`"),
            Requirement(D.ids, producer: "probe ids (checked to be the same in both files)", optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            OptionSpec("layers", default: "all", "layers compared (those both files have): names, globs or `all`"),
            OptionSpec("pool", default: "mean", "how a C×H×W activation becomes a vector: mean (over H×W, to C) or flatten (C·H·W)"),
            OptionSpec("include", default: "embedding,logits", "extra representations compared when both files have them"),
        ]
    }

    public var artifacts: [Artifact] { [Artifact("cka_heatmap.png", "CKA between every representation of the first file (rows) and the second (columns)")] }

    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] {
        ["layer": LayerSelection(options.string("layers")).resolve(dump.activationLayers).filter { dump.has(RunFormat.Dump.activation($0)) }]
    }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let (a, b) = (inputs.dumps[0], inputs.dumps[1])
        let pool = try options.choice("pool", ["mean", "flatten"])
        let shared = inputs.layers(0).filter(Set(inputs.layers(1)).contains)
        let named = options.list("layers").filter { !["all", "last", "first", "*"].contains($0.lowercased()) && !$0.contains("*") && !$0.contains("?") }
        let absent = named.filter { !shared.contains($0) }
        if !absent.isEmpty {
            throw LoupeError.invalidInput("cka: layer\(absent.count == 1 ? "" : "s") \(absent.joined(separator: ", ")) not in both files; both have: \(shared.isEmpty ? "none" : shared.joined(separator: ", "))")
        }
        var names = shared
        let extras = options.list("include").map { $0.lowercased() }
        for extra in ["embedding", "logits"] where extras.contains(extra) {
            let path = extra == "embedding" ? RunFormat.Dump.embedding : RunFormat.Dump.logits
            if a.has(path) && b.has(path) { names.append(extra) }
        }
        guard !names.isEmpty else {
            throw LoupeError.invalidInput("cka: \(a.path) and \(b.path) share no representation (layers: \(inputs.layers(0).joined(separator: ", ")) vs \(inputs.layers(1).joined(separator: ", ")); no common /embedding)")
        }
        let progress = inputs.progress("cka", total: 2 * names.count + names.count * names.count)
        func load(_ dump: DumpFile) throws -> [Matrix] {
            try names.map { name in
                defer { progress.advance() }
                if name == "embedding" { return try dump.matrix(RunFormat.Dump.embedding) }
                if name == "logits" { return try dump.matrix(RunFormat.Dump.logits) }
                let t = try dump.activations(name)
                if pool == "mean" { return FeatureMatrix.pooled(t) }
                let n = t.shape[0]
                return Matrix(rows: n, columns: t.count / max(n, 1), values: t.storage)
            }
        }
        let ra = try load(a), rb = try load(b)
        // Rows with NaN or ±∞ anywhere are left out of every comparison, so all cells use the same samples.
        let n = ra[0].rows
        let keep = (0..<n).filter { i in (ra + rb).allSatisfy { $0.row(i).allSatisfy(\.isFinite) } }
        guard keep.count >= 3 else { throw LoupeError.invalidInput("cka: only \(keep.count) samples have finite values in every representation") }
        let sa = ra.map { keep.count == n ? $0 : $0.selecting(rows: keep) }, sb = rb.map { keep.count == n ? $0 : $0.selecting(rows: keep) }
        var values = [Double](repeating: .nan, count: names.count * names.count)
        for i in names.indices {
            for j in names.indices {
                values[i * names.count + j] = CKA.linear(sa[i].values, sb[j].values, n: keep.count, dx: sa[i].columns, dy: sb[j].columns)
                progress.advance()
            }
        }
        progress.finish()

        var out = AnalyzerOutput()
        if keep.count < n {
            let ids = try a.ids(), kept = Set(keep)
            let left = (0..<n).filter { !kept.contains($0) }.prefix(8).map { $0 < ids.count ? ids[$0] : "row \($0)" }.joined(separator: ", ")
            let note = "\(n - keep.count) of \(n) probe samples hold NaN or ±∞ in some representation and were left out of every comparison: \(left)\(n - keep.count > 8 ? ", …" : "")"
            out.markdown("**Left out**: " + note)
            out.warn(note)
        }
        out.markdown("Linear CKA between **\(a.label)** (rows) and **\(b.label)** (columns) on \(keep.count) shared probe samples; activations \(pool == "mean" ? "mean-pooled over H×W" : "flattened"). 1 = the same representation up to rotation and scale, 0 = unrelated.")
        out.add(.doubles("/cka", values, shape: [names.count, names.count], "linear CKA, rows: first file's representations, columns: second's"))
        out.add(.strings("/representations", names, "representation names (rows and columns)"))
        out.add(.ints("/kept_rows", keep, "probe rows compared"))
        out.attributes = [("first", .string(a.path)), ("second", .string(b.path)), ("pool", .string(pool))]
        var heat = HeatmapChart(title: "Linear CKA", xLabel: b.label, yLabel: a.label, values: values, rowLabels: names, columnLabels: names)
        heat.range = 0...1
        heat.colorbarLabel = "CKA"
        heat.annotate = names.count <= 12
        let side = Double(names.count) * 46 + 220
        out.figure(try FigureRenderer.figure("cka_heatmap.png", title: "CKA layer × layer",
                                             caption: "Diagonal: the same layer in both runs. Bright off-diagonal cells mean a layer of one run resembles a different layer of the other.",
                                             charts: [heat], panelSize: (max(420, side + 60), max(340, side))))
        out.set("diagonal", .object(names.indices.map { (names[$0], .double(values[$0 * names.count + $0])) }))
        if let e = names.firstIndex(of: "embedding") { out.set("embedding", .double(values[e * names.count + e])) }
        out.set("samples", .int(keep.count))
        out.set("first", .string(a.path))
        out.set("second", .string(b.path))
        return out
    }
}
