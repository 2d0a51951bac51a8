import Foundation
import LoupeCore

extension Comparison {
    /// Checks every run and analyzer first (one error listing every problem), then runs them, then
    /// writes the side-by-side figures, the metrics table and the reports.
    @discardableResult
    public func run() throws -> Record {
        let selected = try selectedAnalyzers()
        let optionMap = try optionsByAnalyzer(selected)
        let runInputs = try resolveRuns()
        let runner = AnalyzerRunner(quiet: quiet)
        var notes: [String] = []

        // 1. Everything that can be checked before work.
        var problems: [String] = []
        let wantsCKA = selected.contains { $0.id == "cka" }
        for analyzer in selected where analyzer.id != "cka" {
            let options = try AnalyzerOptions(analyzer: analyzer.id, specs: analyzer.options, given: optionMap[analyzer.id] ?? [:])
            for run in runInputs {
                do { _ = try runner.prepare(analyzer, files: files(for: analyzer, run), options: options) } catch { problems.append("\(run.name): \(error)") }
            }
        }
        if wantsCKA {
            if runInputs.count < 2 {
                notes.append("cka compares two runs; with one run it was skipped.")
            } else {
                let cka = CKAAnalyzer()
                let options = try AnalyzerOptions(analyzer: cka.id, specs: cka.options, given: optionMap[cka.id] ?? [:])
                for other in runInputs.dropFirst() {
                    do { _ = try runner.prepare(cka, files: [runInputs[0].chosen.path, other.chosen.path], options: options) } catch { problems.append("\(error)") }
                }
            }
        }
        if !problems.isEmpty { throw LoupeError.invalidInput("compare: " + problems.joined(separator: "; ")) }
        try OutputFolder.create(out)

        // 2. The analyses.
        var results: [String: [String: AnalyzerRunner.Record]] = [:]
        var written: [String] = []
        for run in runInputs {
            for analyzer in selected where analyzer.id != "cka" {
                if !quiet { FileHandle.standardError.write(Data("compare: \(analyzer.id) on \(run.name)\n".utf8)) }
                let record = try runner.run(analyzer, files: files(for: analyzer, run), options: optionMap[analyzer.id] ?? [:],
                                            out: out + "/" + run.name + "/" + analyzer.id)
                results[run.name, default: [:]][analyzer.id] = record
                written += record.files
            }
        }
        var ckaRecords: [(String, String, AnalyzerRunner.Record)] = []
        if wantsCKA && runInputs.count > 1 {
            for other in runInputs.dropFirst() {
                let record = try runner.run(CKAAnalyzer(), files: [runInputs[0].chosen.path, other.chosen.path], options: optionMap["cka"] ?? [:],
                                            out: out + "/cka/" + runInputs[0].name + "__" + other.name)
                ckaRecords.append((runInputs[0].name, other.name, record))
                written += record.files
            }
        }

        // 3. Side by side, the table, the reports.
        let metrics = metricsTable(runInputs, results: results, cka: ckaRecords)
        var blocks: [ReportBlock] = []
        blocks.append(.markdown(runsMarkdown(runInputs)))
        blocks.append(.table(metrics))
        blocks.append(.markdown(metricsGlossary))
        for analyzer in selected {
            let figures = try sideBySide(analyzer.id, runInputs, results: results, cka: ckaRecords)
            guard !figures.isEmpty else { continue }
            blocks.append(.markdown("## \(analyzer.id)\n\n\(analyzer.summary)."))
            blocks += figures.map { .figure($0) }
        }
        blocks.append(.markdown(linksMarkdown(runInputs, selected: selected, cka: ckaRecords)))
        for block in blocks {
            if case .figure(let f) = block {
                try AtomicFile.write(f.png, to: out + "/" + f.fileName)
                written.append(out + "/" + f.fileName)
            }
        }
        try AtomicFile.write(Data(metrics.csv.utf8), to: out + "/metrics.csv")
        try AtomicFile.write(Data((metrics.markdown + "\n").utf8), to: out + "/metrics.md")
        written += [out + "/metrics.csv", out + "/metrics.md"]

        let summary: JSONValue = .object([
            ("runs", .strings(runInputs.map(\.folder))),
            ("epochs", .ints(runInputs.map(\.chosen.epoch))),
            ("analyzers", .strings(selected.map(\.id))),
            ("metrics", .array(metrics.rows.map { row in .object(zip(metrics.columns, row).map { ($0, .string($1)) }) })),
            ("notes", .strings(notes)),
        ])
        try AtomicFile.write(Data((summary.serialized(pretty: true) + "\n").utf8), to: out + "/summary.json")
        var references: [Report.ResultReference] = []
        for run in runInputs {
            for analyzer in selected where analyzer.id != "cka" {
                guard let r = results[run.name]?[analyzer.id] else { continue }
                references.append(.init(label: "\(run.name) · \(analyzer.id)", path: "\(run.name)/\(analyzer.id)/result.h5",
                                        summaryPath: "\(run.name)/\(analyzer.id)/summary.json", arrays: Array(Report.showcase(r.output.arrays).prefix(2))))
            }
        }
        for (a, b, r) in ckaRecords {
            references.append(.init(label: "cka \(a) vs \(b)", path: "cka/\(a)__\(b)/result.h5", summaryPath: "cka/\(a)__\(b)/summary.json",
                                    arrays: Array(Report.showcase(r.output.arrays).prefix(2))))
        }
        let report = Report(title: "Loupe · compare \(runInputs.map(\.name).joined(separator: " vs "))",
                            subtitle: "\(selected.map(\.id).joined(separator: ", ")) on \(runInputs.count) run\(runInputs.count == 1 ? "" : "s")",
                            facts: [("Runs", runInputs.map { "`\($0.folder)` (epoch \($0.chosen.epoch))" }),
                                    ("Options", [options.isEmpty ? "defaults" : options.map { "`\($0)`" }.joined(separator: ", ")])],
                            notes: notes + Array(Set(results.values.flatMap { $0.values.flatMap(\.notes) })).sorted(), blocks: blocks, results: references)
        try AtomicFile.write(Data(NotebookReport.render(report).utf8), to: out + "/report.ipynb")
        try AtomicFile.write(Data(HTMLReport.render(report).utf8), to: out + "/report.html")
        written += [out + "/summary.json", out + "/report.ipynb", out + "/report.html"]
        return Record(runs: runInputs, results: results, cka: ckaRecords, metrics: metrics, files: written, notes: notes)
    }

    // MARK: - Table

    /// Rows: runs. Columns: the headline numbers that exist for at least one run.
    func metricsTable(_ runs: [RunInput], results: [String: [String: AnalyzerRunner.Record]], cka: [(String, String, AnalyzerRunner.Record)]) -> Table {
        typealias Column = (name: String, value: (String) -> String?)
        func summary(_ run: String, _ analyzer: String) -> JSONValue? { results[run]?[analyzer]?.output.summary }
        func number(_ v: JSONValue?) -> String? { v?.doubleValue.map { Fmt.g($0) } }
        var columns: [Column] = [
            ("k-NN acc. (class)", { number(summary($0, "purity")?["class"]?["knn_accuracy"]) }),
            ("k-NN acc. (colour)", { number(summary($0, "purity")?["colour"]?["knn_accuracy"]) }),
            ("NMI (class)", { number(summary($0, "purity")?["class"]?["nmi"]) }),
            ("NMI (colour)", { number(summary($0, "purity")?["colour"]?["nmi"]) }),
            ("purity (class)", { number(summary($0, "purity")?["class"]?["purity"]) }),
            ("purity (colour)", { number(summary($0, "purity")?["colour"]?["purity"]) }),
            ("silhouette (class)", { number(summary($0, "purity")?["class"]?["silhouette"]) }),
            ("clusters by", { summary($0, "purity")?["clusters_by"]?.stringValue }),
        ]
        if let first = runs.first?.name, !cka.isEmpty {
            columns.append(("CKA embedding vs \(first)", { run in
                if run == first { return "1" }
                return number(cka.first { $0.1 == run }?.2.output.summary["embedding"])
            }))
        }
        columns += [
            ("PC1 R² (colour)", { number(summary($0, "pca")?["pc1_r2_colour"]) }),
            ("PC1 R² (class)", { number(summary($0, "pca")?["pc1_r2_class"]) }),
            ("t-SNE KL", { number(summary($0, "tsne")?["kl"]) }),
            ("CAM energy on object", { run in
                guard case .array(let v)? = summary(run, "gradcam")?["attention_on_object"]?["energy_inside"] else { return nil }
                return number(v.last)
            }),
            ("gradients", { summary($0, "zero-grad")?["diagnosis"]?.stringValue }),
        ]
        let used = columns.filter { c in runs.contains { c.value($0.name) != nil } }
        return Table(title: "Runs compared", columns: ["run", "epoch"] + used.map(\.name),
                     rows: runs.map { r in [r.name, String(r.chosen.epoch)] + used.map { $0.value(r.name) ?? "—" } }, fileName: "metrics.csv")
    }

    var metricsGlossary: String {
        "*k-NN acc.*: leave-one-out 10-NN accuracy in the embedding; *(class)* against the labels, *(colour)* against the images' colour binned into as many groups as classes. *NMI*, *purity*: of k-means clusters. *clusters by*: which of the two the neighbours follow more (lift over chance). *CKA*: linear CKA of the embeddings on the shared probe set. *CAM energy on object*: share of Grad-CAM energy inside the object at the last epoch. *gradients*: the zero-gradient detector's top diagnosis."
    }

    // MARK: - Figures

    /// The runs' figures of one analyzer, side by side (thumbnail maps and the KL curve left out).
    func sideBySide(_ id: String, _ runs: [RunInput], results: [String: [String: AnalyzerRunner.Record]],
                    cka: [(String, String, AnalyzerRunner.Record)]) throws -> [Figure] {
        if id == "cka" {
            guard !cka.isEmpty else { return [] }
            let images = try cka.compactMap { try $0.2.output.figures.first.map { try Image.decode($0.png) } }
            return [try compose("compare_cka_heatmap.png", title: "CKA layer × layer", images: images, headings: cka.map { "\($0.0) vs \($0.1)" })]
        }
        var names: [String] = []
        for run in runs {
            for f in results[run.name]?[id]?.output.figures ?? [] where !names.contains(f.fileName) && !f.fileName.contains("thumbnails") && f.fileName != "tsne_kl.png" {
                names.append(f.fileName)
            }
        }
        return try names.map { name in
            var images: [Image] = [], headings: [String] = []
            var title = name
            for run in runs {
                guard let f = results[run.name]?[id]?.output.figures.first(where: { $0.fileName == name }) else { continue }
                images.append(try Image.decode(f.png))
                headings.append("\(run.name) (epoch \(run.chosen.epoch))")
                title = f.title
            }
            return try compose("compare_" + name, title: title, images: images, headings: headings)
        }
    }

    func compose(_ fileName: String, title: String, images: [Image], headings: [String]) throws -> Figure {
        let chart = SideBySideChart(title: "", images: images, headings: headings, columns: images.count > 3 ? 3 : images.count)
        let panel = min(Double(images.map(\.width).max() ?? 800) / 2, 560)
        let png = try FigureRenderer.render([chart], panelSize: chart.preferredSize(panelWidth: panel))
        return Figure(fileName: fileName, png: png, title: title, caption: "One panel per run: " + headings.joined(separator: ", ") + ".")
    }

    // MARK: - Text

    func runsMarkdown(_ runs: [RunInput]) -> String {
        var rows: [[String]] = []
        for r in runs {
            let d = try? DumpFile(r.chosen.path)
            rows.append([r.name, "`\(r.folder)`", String(r.chosen.epoch), String(r.dumps.count), d?.model ?? "?", d?.target.description ?? "?", d?.sampleCount.map(String.init) ?? "?"])
        }
        let t = Table(title: "Runs", columns: ["run", "folder", "epoch", "dumps", "model", "target", "probe samples"], rows: rows)
        return "## Runs\n\n" + t.markdown
    }

    func linksMarkdown(_ runs: [RunInput], selected: [any Analyzer], cka: [(String, String, AnalyzerRunner.Record)]) -> String {
        var s = "## Per-run reports\n\n"
        for r in runs {
            let links = selected.filter { $0.id != "cka" }.map { "[\($0.id)](\(r.name)/\($0.id)/report.html)" }
            s += "- **\(r.name)**: " + links.joined(separator: ", ") + "\n"
        }
        for (a, b, _) in cka { s += "- **cka \(a) vs \(b)**: [report](cka/\(a)__\(b)/report.html)\n" }
        return s
    }
}
