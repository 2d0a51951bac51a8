import Analyzers
import Foundation
import LoupeCore
import Train

/// Writes `report.ipynb`, `report.html`, `summary.json` and the figures of the demo into `out`.
struct DemoReport {
    var plan: DemoPlan
    var out: String
    var runs: [(name: String, folder: String)]
    var analyses: DemoAnalyses.Result
    var backbone: Backbone
    var seconds: Double

    /// Writes the report; returns its path and the findings, for the terminal.
    func write() throws -> (report: String, findings: [DemoFindings.Finding]) {
        let bootstrap = Bootstrap(seed: plan.seed)
        let findings = DemoFindings(evidence: try analyses.evidence(), nuisance: plan.data.nuisance, bootstrap: bootstrap).all()
        var blocks: [ReportBlock] = []
        blocks.append(.markdown(introduction))
        // Plain words, not ✅/❌: Chromium on Debian has no colour-emoji font and draws those as empty boxes.
        blocks.append(.markdown("## Findings\n\nEach finding is an effect size with a \(bootstrap.description). "
            + "A finding **holds** only when its interval lies on the claimed side of zero and the effect is at least \(DemoFindings.smallestEffect); "
            + "**contradicted** when the interval lies on the other side; otherwise **not shown**."))
        blocks.append(.table(findingsTable(findings)))
        blocks.append(.markdown(findings.map { "**(\($0.letter)) \($0.question)** \($0.verdict.description.prefix(1).uppercased() + $0.verdict.description.dropFirst()).\n\n\($0.text)" }
            .joined(separator: "\n\n")))
        blocks.append(.markdown("## Training"))
        blocks.append(.figure(try trainingCurves()))
        blocks.append(.table(trainingTable()))

        blocks.append(.markdown("## Grad-CAM over epochs\n\nThe true-class logit's Grad-CAM on the probe images at each dumped epoch. The score is the share of CAM energy inside the object mask (chance = the object's share of the image)."))
        for run in DemoAnalyses.runOrder {
            guard let r = analyses.gradcam[run] else { continue }
            blocks += r.output.figures.map { .figure(drawn($0, r, prefix: "\(run)_")) }
        }

        blocks.append(.markdown("## Zero gradients: `prob` versus `logit`\n\nThe last checkpoint of each run probed on its training images (what finding (d) rests on) and on the held-out probe images: gradients of the true-class probability stored as float16 (as the study's tool did) and as float32, and of the true-class logit."))
        // The float32 probes and the held-out logit dump enter the findings' numbers; their figures would
        // only repeat these three (and cost the page a megabyte).
        let probes: [(key: String, title: String)] = [
            ("train-prob-float16", "training images, target `prob` stored as float16"), ("train-logit", "training images, target `logit`"),
            ("prob-float16", "held-out probe images, target `prob` stored as float16"),
        ]
        for run in DemoAnalyses.runOrder {
            for (key, title) in probes {
                guard let r = analyses.zeroGrad[run]?[key] else { continue }
                let diagnosis = r.output.blocks.compactMap { if case .markdown(let m) = $0 { return m }; return nil }.first ?? ""
                blocks.append(.markdown("### \(run): \(title)\n\n" + diagnosis))
                // The logit probe's figures show healthy gradients; its diagnosis says so in words.
                if key.hasSuffix("logit") { continue }
                blocks += r.output.figures.map { .figure(drawn($0, r, prefix: "\(run)_\(key)_")) }
            }
        }

        blocks.append(.markdown("## Embeddings: PCA, t-SNE, purity\n\nThe global-average-pooled last conv stage of each run at its last epoch, coloured by class and by each image's actual mean colour."))
        blocks.append(.table(analyses.comparison.metrics))
        for analyzer in [PCAAnalyzer.id, TSNEAnalyzer.id, PurityAnalyzer.id] {
            for run in DemoAnalyses.runOrder {
                guard let r = analyses.comparison.results[run]?[analyzer] else { continue }
                // PCA's map with the probe images stays in its folder: the interactive PCA map shows each image
                // on hover, and t-SNE's image map is the one the study looks at (the page stays under 5 MB).
                let figures = r.output.figures.filter { analyzer != PCAAnalyzer.id || !$0.fileName.contains("thumbnails") }
                blocks += figures.map { .figure(drawn($0, r, prefix: "\(run)_")) }
                blocks += r.output.blocks.compactMap { if case .interactive = $0 { return $0 }; return nil }
            }
        }
        for run in DemoAnalyses.runOrder {
            for (perplexity, r) in (analyses.tsne[run] ?? [:]).sorted(by: { $0.key < $1.key }) where perplexity != analyses.perplexities.first {
                blocks.append(.markdown("### \(run): t-SNE, perplexity \(perplexity)"))
                // The maps by class and colour; the thumbnail map of the first perplexity stands for both.
                blocks += r.output.figures.filter { !$0.fileName.contains("thumbnails") }.map { .figure(drawn($0, r, prefix: "\(run)_p\(perplexity)_")) }
            }
        }
        if let cka = analyses.comparison.pairs[CKAAnalyzer.id]?.first {
            blocks.append(.markdown("## CKA between the two runs\n\nLinear CKA (Kornblith et al. 2019) of every pair of layers on the shared probe set."))
            blocks += cka.record.output.figures.map { .figure(drawn($0, cka.record, prefix: "\(CKAAnalyzer.id)_")) }
        }

        try FileManager.default.createDirectory(atPath: out + "/figures", withIntermediateDirectories: true)
        var fileNames = Set<String>()
        for block in blocks {
            if case .figure(let f) = block {
                precondition(fileNames.insert(f.fileName).inserted, "duplicate figure name \(f.fileName)")
                try AtomicFile.write(f.png, to: out + "/figures/" + f.fileName)
            }
        }
        let relocated = blocks.map { block -> ReportBlock in
            if case .figure(var f) = block { f.fileName = "figures/" + f.fileName; return .figure(f) }
            return block
        }
        let references = runs.flatMap { run -> [Report.ResultReference] in
            [PurityAnalyzer.id, PCAAnalyzer.id, TSNEAnalyzer.id].compactMap { a in
                guard analyses.comparison.results[run.name]?[a] != nil else { return nil }
                return .init(label: "\(run.name) · \(a)", path: "compare/\(run.name)/\(a)/result.h5", summaryPath: "compare/\(run.name)/\(a)/summary.json", arrays: [])
            } + [.init(label: "\(run.name) · \(GradCAMAnalyzer.id)", path: "\(run.name)/\(GradCAMAnalyzer.id)/result.h5",
                       summaryPath: "\(run.name)/\(GradCAMAnalyzer.id)/summary.json", arrays: []),
                 .init(label: "\(run.name) · \(ZeroGradAnalyzer.id) (prob, float16)", path: "\(run.name)/\(ZeroGradAnalyzer.id)-prob-float16/result.h5",
                       summaryPath: "\(run.name)/\(ZeroGradAnalyzer.id)-prob-float16/summary.json", arrays: [])]
        }
        let report = Report(title: "Loupe demo: inside a scratch CNN and a pretrained ResNet-18",
                            subtitle: "\(plan.data.subtitle), seed \(plan.seed)\(plan.quick ? " (quick sizes)" : "")",
                            facts: [("Runs", runs.map { "`\($0.folder)`" }), ("Backbone", ["`\(backbone.path)`", backbone.accuracyText]),
                                    ("Findings", findings.map { "(\($0.letter)) \($0.verdict)" }),
                                    ("Time", [String(format: "%.0f s end to end", seconds)])],
                            notes: [], blocks: relocated, results: references,
                            setup: NotebookCode.setup(references: references) + """

                            summary = json.load(open("summary.json"))
                            print("backbone:", summary["backbone"]["path"], "source accuracy", summary["backbone"]["source_validation_accuracy"])
                            for letter, finding in summary["findings"].items():
                                e = finding["effect"]
                                effect = f"{e['what']} {e['estimate']:+.3f} (95% CI {e['lower']:+.3f} to {e['upper']:+.3f}, n = {e['samples']})" if e else "no effect measured"
                                print(f"({letter}) {finding['verdict']}: {effect}")
                            """)
        try AtomicFile.write(Data(NotebookReport.render(report).utf8), to: out + "/report.ipynb")
        try AtomicFile.write(Data(HTMLReport.render(report).utf8), to: out + "/report.html")
        let summary: JSONValue = .object([
            ("seed", .int(Int(plan.seed))), ("quick", .bool(plan.quick)), ("seconds", .double(seconds)),
            ("runs", .object(runs.map { ($0.name, .string($0.folder)) })),
            ("backbone", .object([("path", .string(backbone.path)), ("source_validation_accuracy", backbone.sourceAccuracy.map { .double($0) } ?? .null),
                                  ("source_epochs", backbone.sourceEpochs.map { .int($0) } ?? .null), ("note", .string(backbone.note))])),
            ("bootstrap", .object([("method", .string("percentile bootstrap of the mean over probe samples (Efron & Tibshirani 1993), indices from SeededGenerator")),
                                   ("seed", .int(Int(bootstrap.seed))), ("resamples", .int(bootstrap.resamples)), ("level", .double(bootstrap.level)),
                                   ("smallest_effect", .double(DemoFindings.smallestEffect))])),
            ("findings", .object(findings.map { f in
                (f.letter, .object([("verdict", .string(f.verdict.rawValue)), ("holds", .bool(f.holds)), ("measurable", .bool(f.measurable)),
                                    ("effect", f.effect.map { e in .object([("what", .string(e.what)), ("estimate", .double(e.interval.estimate)),
                                                                           ("lower", .double(e.interval.lower)), ("upper", .double(e.interval.upper)),
                                                                           ("samples", .int(e.interval.samples))]) } ?? .null),
                                    ("line", .string(f.line)), ("rule", .string(f.rule)), ("text", .string(f.text)),
                                    ("numbers", .object(f.numbers.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))]))
            })),
        ])
        try AtomicFile.write(Data((summary.serialized(pretty: true) + "\n").utf8), to: out + "/summary.json")
        return (out + "/report.html", findings)
    }

    /// One row a finding: what it rests on, the effect, its interval and the verdict.
    func findingsTable(_ findings: [DemoFindings.Finding]) -> Table {
        Table(title: "Findings", columns: ["finding", "effect (what the verdict rests on)", "estimate", "95 % CI", "n", "verdict"], rows: findings.map { f in
            guard let e = f.effect else { return ["(\(f.letter))", f.also, "—", "—", "—", f.verdict.rawValue] }
            return ["(\(f.letter))", e.what.replacingOccurrences(of: "`", with: ""), e.format(e.interval.estimate),
                    e.format(e.interval.lower) + " to " + e.format(e.interval.upper), String(e.interval.samples), f.verdict.rawValue]
        }, fileName: "findings.csv")
    }

    /// A record's figure renamed, with the notebook cell that re-draws it from the record's result.h5.
    func drawn(_ figure: Figure, _ record: AnalyzerRunner.Record, prefix: String) -> Figure {
        let folder = URL(fileURLWithPath: record.folder).standardizedFileURL.path
        let base = URL(fileURLWithPath: out).standardizedFileURL.path + "/"
        let relative = folder.hasPrefix(base) ? String(folder.dropFirst(base.count)) : folder
        return renamed(figure.redrawn(by: record.analyzer, from: relative), prefix: prefix)
    }

    func renamed(_ figure: Figure, prefix: String) -> Figure {
        var f = figure
        f.fileName = prefix + f.fileName
        return f
    }

    var introduction: String {
        let study = "A study trained two dog-breed classifiers — a little CNN from scratch with augmentation, and ResNet-18 by transfer learning — and looked inside them."
        let data: String, pretraining: String
        switch plan.data {
        case .synthetic:
            data = "This report repeats it on Loupe's built-in synthetic data: each image shows one \"creature\" whose class decides its shape and texture, on a background whose colour is random and independent of the class."
            pretraining = "ResNet-18 on 12 source classes × \(plan.sourcePerClass) images, \(plan.sourceEpochs) epochs; \(backbone.accuracyText)"
        case .fashionMNIST:
            data = "This report repeats it on Fashion-MNIST (28 × 28 grey images upscaled to \(plan.imageSize) px): the even labels stand in for ImageNet, the odd labels are the study's small target task, and each image's mean intensity is the nuisance attribute. Fashion-MNIST has no object boxes, so the attention-on-object score is not available."
            pretraining = "ResNet-18 on the 5 even-labelled classes × \(plan.sourcePerClass) images, \(plan.sourceEpochs) epochs; \(backbone.accuracyText)"
        case .folder(let directory, _):
            data = "This report repeats it on the image folders in `\(directory)` at \(plan.imageSize) px; each image's mean colour is the nuisance attribute, and object boxes (a VOC `Annotation/` folder, as Stanford Dogs has) feed the attention-on-object score where present."
            pretraining = "the given weights (`--pretrained`)"
        }
        let ft = plan.finetuneConfig(pretrained: backbone.path)
        func f3(_ v: Double) -> String { String(format: "%g", v) }
        return """
        \(study) \(data)

        - **Pretraining** (the ImageNet stand-in): \(pretraining).
        - **Target task**: \(plan.targetClassCount) classes with \(plan.targetPerClass / 2) training images each; \(plan.probeSize) held-out images form the probe set shared by both runs.
        - **Scratch**: LittleConv (4 × conv-BN-ReLU-pool, 32–256 channels) with augmentation, AdamW, \(plan.scratchEpochs) epochs.
        - **Transfer**: the pretrained ResNet-18 with a new fc layer, all layers fine-tuned with SGD at a constant rate (head \(f3(ft.lr)), backbone \(f3(ft.lr * ft.backboneLRScale))), without augmentation as in the study, \(plan.finetuneEpochs) epochs.
        - Dumps at the first, middle and last epochs with the `logit` target; the last checkpoints probed again with the `prob` target on the probe set, and with `prob` and `logit` on \(plan.probeSize) of the training images (finding (d) rests on those: the study looked at the images it had).
        """
    }

    func trainingCurves() throws -> Figure {
        let colors = Palette.colors(count: 2)
        var accuracy: [LineChart.Series] = [], loss: [LineChart.Series] = []
        for (i, run) in runs.enumerated() {
            let rows = RunDirectory(run.folder).readMetrics()
            let x = rows.map { Double($0.epoch) }
            accuracy.append(.init("\(run.name) validation", x: x, y: rows.map(\.validationAccuracy), color: colors[i]))
            accuracy.append(.init("\(run.name) train", x: x, y: rows.map(\.trainAccuracy), color: colors[i], dashed: true, markers: false))
            loss.append(.init("\(run.name) validation", x: x, y: rows.map(\.validationLoss), color: colors[i]))
            loss.append(.init("\(run.name) train", x: x, y: rows.map(\.trainLoss), color: colors[i], dashed: true, markers: false))
        }
        var a = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: accuracy)
        a.integerX = true
        a.yRange = 0...1
        var l = LineChart(title: "Cross-entropy loss", xLabel: "epoch", yLabel: "loss", series: loss)
        l.integerX = true
        let png = try FigureRenderer.render([a, l], columns: 2)
        var figure = Figure(fileName: "training_curves.png", png: png, title: "Training curves",
                            caption: "Solid: validation (the held-out half of the target set); dashed: training batches (augmented).")
        // Re-drawn from each run's metrics.csv (absolute paths: the notebook lives in another folder).
        let list = runs.map { run in
            "    (\(NotebookCode.quoted(run.name)), \(NotebookCode.quoted(URL(fileURLWithPath: run.folder).standardizedFileURL.path + "/metrics.csv"))),"
        }.joined(separator: "\n")
        figure.code = NotebookCode.imports + """

        runs = [
        \(list)
        ]
        fig, (acc, loss) = plt.subplots(1, 2, figsize=(11, 4.2))
        for i, (name, path) in enumerate(runs):
            rows = list(csv.DictReader(open(path)))
            epoch = [int(r["epoch"]) for r in rows]
            for ax, key in ((acc, "acc"), (loss, "loss")):
                ax.plot(epoch, [float(r["val_" + key]) for r in rows], color=f"C{i}", marker="o", label=f"{name} validation")
                ax.plot(epoch, [float(r["train_" + key]) for r in rows], color=f"C{i}", linestyle="--", label=f"{name} train")
        acc.set_ylim(0, 1); acc.set_title("Accuracy"); loss.set_title("Cross-entropy loss")
        for ax in (acc, loss):
            ax.set_xlabel("epoch"); ax.legend(fontsize="small")
        plt.tight_layout()
        plt.show()
        """
        return figure
    }

    func trainingTable() -> Table {
        Table(title: "Last epoch", columns: ["run", "epochs", "train acc.", "val. acc.", "val. loss", "seconds"], rows: runs.map { run in
            let rows = RunDirectory(run.folder).readMetrics()
            guard let last = rows.last else { return [run.name, "0", "—", "—", "—", "—"] }
            return [run.name, String(last.epoch), Fmt.g(last.trainAccuracy), Fmt.g(last.validationAccuracy), Fmt.g(last.validationLoss),
                    Fmt.g(rows.map(\.seconds).reduce(0, +))]
        }, fileName: "training.csv")
    }
}
