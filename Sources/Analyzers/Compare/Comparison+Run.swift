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
        let runner = AnalyzerRunner(quiet: quiet, timeout: timeout)
        var notes: [String] = []
        let singles = selected.filter { $0.inputMode != .pair }
        let pairwise = selected.filter { $0.inputMode == .pair }

        // 1. Everything that can be checked before work.
        var problems: [String] = []
        for analyzer in singles {
            let options = try AnalyzerOptions(analyzer: analyzer.id, specs: analyzer.options, given: optionMap[analyzer.id] ?? [:])
            for run in runInputs {
                do { _ = try runner.prepare(analyzer, files: files(for: analyzer, run), options: options) } catch { problems.append("\(run.name): \(error)") }
            }
        }
        for analyzer in pairwise {
            if runInputs.count < 2 {
                notes.append("\(analyzer.id) compares two runs; with one run it was skipped.")
                continue
            }
            let options = try AnalyzerOptions(analyzer: analyzer.id, specs: analyzer.options, given: optionMap[analyzer.id] ?? [:])
            for other in runInputs.dropFirst() {
                do { _ = try runner.prepare(analyzer, files: [runInputs[0].chosen.path, other.chosen.path], options: options) } catch { problems.append("\(error)") }
            }
        }
        if !problems.isEmpty { throw LoupeError.invalidInput("compare: " + problems.joined(separator: "; ")) }
        try OutputFolder.create(out)

        // 2. The analyses.
        var results: [String: [String: AnalyzerRunner.Record]] = [:]
        var written: [String] = []
        for run in runInputs {
            for analyzer in singles {
                if !quiet { FileHandle.standardError.write(Data("compare: \(analyzer.id) on \(run.name)\n".utf8)) }
                let record = try runner.run(analyzer, files: files(for: analyzer, run), options: optionMap[analyzer.id] ?? [:],
                                            out: out + "/" + run.name + "/" + analyzer.id)
                results[run.name, default: [:]][analyzer.id] = record
                written += record.files
            }
        }
        var pairs: [String: [Pair]] = [:]
        for analyzer in pairwise where runInputs.count > 1 {
            for other in runInputs.dropFirst() {
                if !quiet { FileHandle.standardError.write(Data("compare: \(analyzer.id) on \(runInputs[0].name) vs \(other.name)\n".utf8)) }
                let record = try runner.run(analyzer, files: [runInputs[0].chosen.path, other.chosen.path], options: optionMap[analyzer.id] ?? [:],
                                            out: out + "/" + Comparison.pairFolder(analyzer.id, runInputs[0].name, other.name))
                pairs[analyzer.id, default: []].append(Pair(first: runInputs[0].name, other: other.name, record: record))
                written += record.files
            }
        }

        // 3. Side by side, the table, the reports.
        let columns = metricColumns(selected, runInputs, results: results, pairs: pairs)
        let metrics = metricsTable(runInputs, columns)
        var blocks: [ReportBlock] = []
        blocks.append(.markdown(runsMarkdown(runInputs)))
        blocks.append(.table(metricsDisplay(runInputs, columns)))
        blocks.append(.markdown(glossary(columns)))
        for analyzer in selected {
            let figures = try sideBySide(analyzer, runInputs, results: results, pairs: pairs[analyzer.id] ?? [])
            guard !figures.isEmpty else { continue }
            blocks.append(.markdown("## \(analyzer.id)\n\n\(analyzer.summary)."))
            blocks += figures.map { .figure($0) }
        }
        blocks.append(.markdown(linksMarkdown(runInputs, selected: selected, pairs: pairs)))
        for block in blocks {
            if case .figure(let f) = block {
                try AtomicFile.write(f.png, to: out + "/" + f.fileName)
                written.append(out + "/" + f.fileName)
            }
        }
        try AtomicFile.write(Data(metrics.csv.utf8), to: out + "/metrics.csv")
        try AtomicFile.write(Data((metricsDisplay(runInputs, columns).markdown + "\n").utf8), to: out + "/metrics.md")
        written += [out + "/metrics.csv", out + "/metrics.md"]

        let summary: JSONValue = .object([
            ("runs", .strings(runInputs.map(\.folder))),
            ("epochs", .ints(runInputs.map(\.chosen.epoch))),
            ("analyzers", .strings(selected.map(\.id))),
            ("columns", .array(columns.map { c in
                .object([("name", .string(c.name)), ("analyzer", .string(c.analyzer)), ("direction", .string(c.direction.rawValue)), ("help", .string(c.help))])
            })),
            ("metrics", .array(runInputs.map { run in
                .object([("run", .string(run.name)), ("epoch", .int(run.chosen.epoch))] + columns.map { c in (c.name, c.value(run.name)?.json ?? .null) })
            })),
            ("notes", .strings(notes)),
        ])
        try AtomicFile.write(Data((summary.serialized(pretty: true) + "\n").utf8), to: out + "/summary.json")
        var references: [Report.ResultReference] = []
        for run in runInputs {
            for analyzer in singles {
                guard let r = results[run.name]?[analyzer.id] else { continue }
                references.append(.init(label: "\(run.name) · \(analyzer.id)", path: "\(run.name)/\(analyzer.id)/result.h5",
                                        summaryPath: "\(run.name)/\(analyzer.id)/summary.json", arrays: Array(Report.showcase(r.output.arrays).prefix(2))))
            }
        }
        for (id, list) in pairs.sorted(by: { $0.key < $1.key }) {
            for p in list {
                let folder = Comparison.pairFolder(id, p.first, p.other)
                references.append(.init(label: "\(id) \(p.first) vs \(p.other)", path: "\(folder)/result.h5", summaryPath: "\(folder)/summary.json",
                                        arrays: Array(Report.showcase(p.record.output.arrays).prefix(2))))
            }
        }
        let report = Report(title: "Loupe · compare \(runInputs.map(\.name).joined(separator: " vs "))",
                            subtitle: "\(selected.map(\.id).joined(separator: ", ")) on \(runInputs.count) run\(runInputs.count == 1 ? "" : "s")",
                            facts: [("Runs", runInputs.map { "`\($0.folder)` (epoch \($0.chosen.epoch))" }),
                                    ("Options", [options.isEmpty ? "defaults" : options.map { "`\($0)`" }.joined(separator: ", ")])],
                            notes: notes + Array(Set(results.values.flatMap { $0.values.flatMap(\.notes) })).sorted(), blocks: blocks, results: references,
                            setup: setupCode(runInputs, singles: singles, pairs: pairs))
        try AtomicFile.write(Data(NotebookReport.render(report).utf8), to: out + "/report.ipynb")
        try AtomicFile.write(Data(HTMLReport.render(report).utf8), to: out + "/report.html")
        written += [out + "/summary.json", out + "/report.ipynb", out + "/report.html"]
        return Record(runs: runInputs, results: results, pairs: pairs, metrics: metrics, files: written, notes: notes)
    }

    // MARK: - Table

    /// One column of the metrics table: an analyzer's declared column, bound to this comparison's runs.
    struct MetricColumn {
        var name: String
        var analyzer: String
        var direction: CompareDirection
        var help: String
        var value: (String) -> CompareValue?
    }

    /// Every selected analyzer's columns, in the order asked for. A pair analyzer's columns read the
    /// record of the first run against each other run; the first run is the reference.
    func metricColumns(_ selected: [any Analyzer], _ runs: [RunInput], results: [String: [String: AnalyzerRunner.Record]],
                       pairs: [String: [Pair]]) -> [MetricColumn] {
        var columns: [MetricColumn] = []
        for analyzer in selected {
            for c in analyzer.summaryColumns {
                if analyzer.inputMode == .pair {
                    guard let first = runs.first?.name, let list = pairs[analyzer.id], !list.isEmpty else { continue }
                    columns.append(MetricColumn(name: "\(c.name) vs \(first)", analyzer: analyzer.id, direction: c.direction, help: c.help) { run in
                        if run == first { return .text("reference") }
                        return list.first { $0.other == run }.flatMap { c.value($0.record.output.summary) }
                    })
                } else {
                    columns.append(MetricColumn(name: c.name, analyzer: analyzer.id, direction: c.direction, help: c.help) { run in
                        results[run]?[analyzer.id].flatMap { c.value($0.output.summary) }
                    })
                }
            }
        }
        return columns.filter { c in runs.contains { c.value($0.name) != nil } }
    }

    /// Rows: runs. Columns: those with a value for at least one run. Plain text (metrics.csv).
    func metricsTable(_ runs: [RunInput], _ columns: [MetricColumn]) -> Table {
        Table(title: "Runs compared", columns: ["run", "epoch"] + columns.map(\.name),
              rows: runs.map { r in [r.name, String(r.chosen.epoch)] + columns.map { $0.value(r.name)?.formatted ?? "—" } }, fileName: "metrics.csv")
    }

    /// The table as the reports show it: ↑/↓ on columns with a direction, the best run's number in bold.
    func metricsDisplay(_ runs: [RunInput], _ columns: [MetricColumn]) -> Table {
        var rows = metricsTable(runs, columns).rows
        for (j, c) in columns.enumerated() where c.direction != .neutral {
            let numbers = runs.map { r -> Double? in if case .number(let v)? = c.value(r.name) { return v }; return nil }
            let present = numbers.compactMap { $0 }
            guard present.count > 1, let best = c.direction == .higherIsBetter ? present.max() : present.min() else { continue }
            for i in runs.indices where numbers[i] == best { rows[i][j + 2] = "**\(rows[i][j + 2])**" }
        }
        return Table(title: "Runs compared", columns: ["run", "epoch"] + columns.map { $0.name + $0.direction.arrow }, rows: rows)
    }

    /// One line per column: what it means, from the analyzer's declaration.
    func glossary(_ columns: [MetricColumn]) -> String {
        guard !columns.isEmpty else { return "" }
        return columns.map { "*\($0.name)* (\($0.analyzer)): \($0.help)." }.joined(separator: " ")
            + " ↑: higher is better, ↓: lower is better; the best run's number is in bold."
    }

    /// The notebook's first cell: the metrics table, and every result.h5 and summary.json by run and analyzer.
    func setupCode(_ runs: [RunInput], singles: [any Analyzer], pairs: [String: [Pair]]) -> String {
        let q = NotebookCode.quoted
        var lines = [NotebookCode.imports, "", "metrics = list(csv.DictReader(open(\"metrics.csv\")))", "summary = json.load(open(\"summary.json\"))",
                     "# results[run][analyzer] and summaries[run][analyzer]; pair analyzers under results[\"FIRST vs OTHER\"]",
                     "results, summaries = {}, {}"]
        func add(_ key: String, _ id: String, _ folder: String) {
            lines.append("results.setdefault(\(q(key)), {})[\(q(id))] = h5py.File(\(q(folder + "/result.h5")), \"r\")")
            lines.append("summaries.setdefault(\(q(key)), {})[\(q(id))] = json.load(open(\(q(folder + "/summary.json"))))")
        }
        for run in runs { for a in singles { add(run.name, a.id, "\(run.name)/\(a.id)") } }
        for (id, list) in pairs.sorted(by: { $0.key < $1.key }) { for p in list { add("\(p.first) vs \(p.other)", id, Comparison.pairFolder(id, p.first, p.other)) } }
        lines += ["for row in metrics:", "    print(row)"]
        return lines.joined(separator: "\n")
    }

    /// Where a pair analyzer's output goes, relative to the comparison folder.
    static func pairFolder(_ id: String, _ a: String, _ b: String) -> String { "\(id)/\(a)__\(b)" }

    // MARK: - Figures

    /// The runs' figures of one analyzer, side by side: the artifacts it declares fit for comparing; for
    /// a pair analyzer, its first figure for each pair.
    func sideBySide(_ analyzer: any Analyzer, _ runs: [RunInput], results: [String: [String: AnalyzerRunner.Record]], pairs: [Pair]) throws -> [Figure] {
        let excluded = Set(analyzer.artifacts.filter { !$0.inCompare }.map(\.fileName))
        if analyzer.inputMode == .pair {
            let figures = pairs.compactMap { p in p.record.output.figures.first { !excluded.contains($0.fileName) }.map { (p, $0) } }
            guard let first = figures.first else { return [] }
            var figure = try compose("compare_" + first.1.fileName, title: first.1.title, images: try figures.map { try Image.decode($0.1.png) },
                                     headings: figures.map { "\($0.0.first) vs \($0.0.other)" })
            if let body = analyzer.notebookPlot(first.1.fileName) {
                figure.code = NotebookCode.panels(body, figures.map { p, _ in
                    let folder = Comparison.pairFolder(analyzer.id, p.first, p.other)
                    return ("\(p.first) vs \(p.other)", folder + "/result.h5", folder + "/summary.json")
                })
            }
            return [figure]
        }
        var names: [String] = []
        for run in runs {
            for f in results[run.name]?[analyzer.id]?.output.figures ?? [] where !names.contains(f.fileName) && !excluded.contains(f.fileName) {
                names.append(f.fileName)
            }
        }
        return try names.map { name in
            var images: [Image] = [], headings: [String] = []
            var panels: [(heading: String, result: String, summary: String)] = []
            var title = name
            for run in runs {
                guard let f = results[run.name]?[analyzer.id]?.output.figures.first(where: { $0.fileName == name }) else { continue }
                images.append(try Image.decode(f.png))
                headings.append("\(run.name) (epoch \(run.chosen.epoch))")
                panels.append((headings[headings.count - 1], "\(run.name)/\(analyzer.id)/result.h5", "\(run.name)/\(analyzer.id)/summary.json"))
                title = f.title
            }
            var figure = try compose("compare_" + name, title: title, images: images, headings: headings)
            figure.code = analyzer.notebookPlot(name).map { NotebookCode.panels($0, panels) }
            return figure
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

    func linksMarkdown(_ runs: [RunInput], selected: [any Analyzer], pairs: [String: [Pair]]) -> String {
        var s = "## Per-run reports\n\n"
        for r in runs {
            let links = selected.filter { $0.inputMode != .pair }.map { "[\($0.id)](\(r.name)/\($0.id)/report.html)" }
            s += "- **\(r.name)**: " + links.joined(separator: ", ") + "\n"
        }
        for analyzer in selected where analyzer.inputMode == .pair {
            for p in pairs[analyzer.id] ?? [] {
                s += "- **\(analyzer.id) \(p.first) vs \(p.other)**: [report](\(Comparison.pairFolder(analyzer.id, p.first, p.other))/report.html)\n"
            }
        }
        return s
    }
}
