import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite struct EmbeddingTests {
    @Test func nanRowsAreDroppedAndRemembered() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/nan.h5"
        try HDF5File.writeAtomically(path) { f in
            try f.write(RunFormat.Dump.embedding, [1, 2, .nan, 4, 5, 6, 7, .infinity], shape: [4, 2])
            try f.write(RunFormat.Dump.labels, [Int32(0), 1, 0, 1])
        }
        let dump = try DumpFile(path)
        let m = try FeatureMatrix.read(dump, spec: "embedding")
        #expect(m.kept == [0, 2] && m.dropped == [1, 3])
        #expect(m.matrix.values == [1, 2, 5, 6])
        let note = m.droppedNote(ids: ["a", "b", "c", "d"], file: path)
        #expect(note?.contains("2 of 4 samples") == true && note?.contains("b, d") == true && note?.contains(path) == true, "\(note ?? "nil")")

        let back = m.expanded([9, 9, 8, 8], width: 2)
        #expect(back[0] == 9 && back[2].isNaN && back[4] == 8 && back[7].isNaN)
        let l2 = try FeatureMatrix.read(dump, spec: "embedding", normalize: "l2")
        #expect(abs(l2.matrix.values[0] * l2.matrix.values[0] + l2.matrix.values[1] * l2.matrix.values[1] - 1) < 1e-6)
    }

    @Test("every analyzer that drops NaN rows names how many and which samples in its notes (the console) as well as summary.json")
    func droppedRowsReachTheConsole() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var spec = DumpSpec(n: 30)
        spec.ids = (0..<30).map { "img-\($0)" }
        let path = try TestDumps.write(spec, to: folder + "/d.h5")
        var embedding = try HDF5File.open(path).read(RunFormat.Dump.embedding, as: Float.self)
        embedding[4 * 5] = .nan
        embedding[11 * 5 + 2] = .infinity
        let file = try HDF5File.open(path, writable: true)
        try file.write("embedding_with_nan", embedding, shape: [30, 5])
        file.close()
        for (analyzer, options) in [(PCAAnalyzer() as any Analyzer, ["features": "/embedding_with_nan"]),
                                    (TSNEAnalyzer(), ["features": "/embedding_with_nan", "perplexity": "5", "iterations": "250"]),
                                    (PurityAnalyzer(), ["features": "/embedding_with_nan"])] {
            let record = try AnalyzerRunner(quiet: true).run(analyzer, files: [path], options: options, out: folder + "/out-" + analyzer.id)
            #expect(record.notes.contains { $0.contains("2 of 30 samples") && $0.contains("img-4, img-11") }, "\(analyzer.id): \(record.notes)")
            let summary = try String(contentsOfFile: folder + "/out-\(analyzer.id)/summary.json", encoding: .utf8)
            #expect(summary.contains("img-4, img-11"), "\(analyzer.id)")
        }
    }

    @Test func layerFeaturesAreMeanPooled() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(n: 3, layers: [("layer4.1", 2, 2, 2)]), to: folder + "/d.h5")
        let dump = try DumpFile(path)
        let m = try FeatureMatrix.read(dump, spec: "layer4.1")
        let act = try dump.activations("layer4.1")
        #expect(m.matrix.rows == 3 && m.matrix.columns == 2)
        #expect(abs(m.matrix[1, 1] - (act[1, 1, 0, 0] + act[1, 1, 0, 1] + act[1, 1, 1, 0] + act[1, 1, 1, 1]) / 4) < 1e-6)
        #expect(try FeatureMatrix.path("activations/layer3") == "/activations/layer3")
        #expect(try FeatureMatrix.path("embedding") == "/embedding")
    }

    @Test func perplexityTooLargeForNIsAClearError() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(n: 24), to: folder + "/d.h5")
        #expect {
            try AnalyzerRunner(quiet: true).run(TSNEAnalyzer(), files: [path], options: ["perplexity": "30"], out: folder + "/out")
        } throws: { "\($0)".contains("perplexity 30 needs more than") && "\($0)".contains("perplexity=7") }
    }

    @Test func regressionHelpers() {
        // y = 2 + 3·r − g exactly → R² = 1; y independent of groups → η² = 0; y = group mean → η² = 1.
        let x = Matrix(rows: 6, columns: 3, values: [0, 1, 0, 1, 0, 1, 2, 2, 0, 3, 1, 1, 4, 0, 2, 5, 3, 1])
        let y = (0..<6).map { 2 + 3 * Double(x[$0, 0]) - Double(x[$0, 1]) }
        #expect(abs(Regression.rSquared(y, x) - 1) < 1e-9)
        #expect(abs(Regression.etaSquared([1, 2, 1, 2], groups: [0, 0, 1, 1])) < 1e-12)
        #expect(abs(Regression.etaSquared([1, 1, 5, 5], groups: [0, 0, 1, 1]) - 1) < 1e-12)
    }

    /// Renders the three embedding maps and the interactive map from made-up coordinates (no t-SNE).
    @Test func embeddingFiguresRender() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = DumpSpec(n: 90, size: 16, classes: 6)
        let path = try TestDumps.write(spec, to: folder + "/d.h5")
        let dump = try DumpFile(path)
        let probe = try ProbeContext.load(dump)
        var rng = SeededGenerator(seed: 3)
        var xy: [Float] = []
        for i in 0..<spec.n {
            let c = Float(i % spec.classes)
            xy += [cos(c) * 8 + rng.nextGaussian(), sin(c) * 8 + rng.nextGaussian()]
        }
        var out = AnalyzerOutput()
        try EmbeddingFigures.add(to: &out, prefix: "tsne", method: "t-SNE", axis: ("t-SNE 1", "t-SNE 2"), xy: xy, kept: Array(0..<spec.n),
                                 probe: probe, seed: 1, hideTicks: true, file: dump)
        #expect(out.figures.map(\.fileName) == ["tsne_class.png", "tsne_colour.png", "tsne_thumbnails.png"])
        guard case .interactive(let map) = out.blocks.last else { Issue.record("no interactive map"); return }
        #expect(map.thumbnails.count == spec.n && map.labels[0].contains("class-0"))
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FIGURE_DIR"] {
            for f in out.figures { try f.png.write(to: URL(fileURLWithPath: dir + "/" + f.fileName)) }
            let report = Report(title: "Loupe · tsne (figures only)", subtitle: "made-up map", facts: [("Inputs", [path])], notes: [], blocks: out.blocks, results: [])
            try HTMLReport.render(report).write(toFile: dir + "/embedding.html", atomically: true, encoding: .utf8)
        }
    }

    @Test func ckaNeedsTheSameProbeSetAndSharedLayers() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try TestDumps.write(DumpSpec(run: "a"), to: folder + "/a.h5")
        let b = try TestDumps.write(DumpSpec(run: "b", seed: 2), to: folder + "/b.h5")
        let other = try TestDumps.write(DumpSpec(n: 20, run: "c"), to: folder + "/c.h5")
        #expect {
            try AnalyzerRunner(quiet: true).run(CKAAnalyzer(), files: [a, other], options: [:], out: folder + "/x")
        } throws: { "\($0)".contains("24 probe samples") && "\($0)".contains("has 20") }
        #expect {
            try AnalyzerRunner(quiet: true).run(CKAAnalyzer(), files: [a, b], options: ["layers": "layer9"], out: folder + "/y")
        } throws: { "\($0)".contains("layer9 not in both files") }
        #expect {
            try AnalyzerRunner(quiet: true).run(CKAAnalyzer(), files: [a], options: [:], out: folder + "/z")
        } throws: { "\($0)".contains("takes two files") }
        // Structure only: the numbers come from CKA.linear (tested in the math branch).
        let record = try AnalyzerRunner(quiet: true).run(CKAAnalyzer(), files: [a, b], options: [:], out: folder + "/ok")
        let result = try HDF5File.open(folder + "/ok/result.h5")
        #expect(try result.dataset("/cka").shape == [4, 4])
        #expect(try result.dataset("/representations").readStrings() == ["layer3", "layer4.1", "embedding", "logits"])
        #expect(record.files.contains(folder + "/ok/cka_heatmap.png"))
    }
}
