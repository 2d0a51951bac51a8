import Foundation
import LoupeCore
import Testing
@testable import Analyzers

/// Analyzers own their presentation: a seventh analyzer joins compare, the headline and the listing
/// by one registry line; summaries are checked against their types; purity needs no nuisance.
@Suite struct PresentationTests {
    /// The one registry line a seventh analyzer needs.
    static let registry = AnalyzerRegistry(AnalyzerRegistry.builtIn + [ProbeBalanceAnalyzer()])

    func makeRuns(_ folder: String) throws -> [String] {
        try ["a", "b"].enumerated().map { r, name in
            let run = folder + "/" + name
            try TestDumps.write(DumpSpec(n: 24 + 6 * r, epoch: 3, run: name, seed: UInt64(r + 1)), to: run + "/dumps/" + RunFormat.Run.dumpName(epoch: 3))
            return run
        }
    }

    @Test func aSeventhAnalyzerJoinsCompareHeadlineAndListing() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let runs = try makeRuns(folder)
        let out = folder + "/cmp"
        let record = try Comparison(runs: runs, analyzers: ["probe-balance", "pca"], out: out, quiet: true, registry: Self.registry).run()

        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(csv[0] == ["run", "epoch", "probe samples", "largest class share", "PC1 R² (colour)", "PC1 R² (class)"])
        #expect(csv[1][2] == "24" && csv[2][2] == "30")
        let md = try String(contentsOfFile: out + "/metrics.md", encoding: .utf8)
        #expect(md.contains("largest class share ↓"))
        #expect(FileManager.default.fileExists(atPath: out + "/a/probe-balance/result.h5"))

        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let columns = summary["columns"] as! [[String: Any]]
        #expect(columns.first?["analyzer"] as? String == "probe-balance")
        #expect(columns.first { $0["name"] as? String == "largest class share" }?["direction"] as? String == "lower-is-better")
        let rows = summary["metrics"] as! [[String: Any]]
        #expect(rows[1]["probe samples"] as? Int == 30)

        let analyzer = try Self.registry.named("probe-balance")
        let b = try #require(record.results["b"]?["probe-balance"])
        #expect(analyzer.headlineLines(b.output.summary) == ["30 samples in 3 classes, largest \(Fmt.percent(try b.summary(ProbeBalanceAnalyzer()).largestShare))"])
        let described = AnalyzerDescription.json(analyzer)
        #expect(described["input_mode"] == .string("snapshot"))
        #expect(described["compare_columns"]?.at("1.direction") == .string("lower-is-better"))
        #expect(!AnalyzerRegistry.standard.ids.contains("probe-balance"))
    }

    @Test func aSummaryThatDoesNotMatchItsTypeFailsTheRunAndWritesNothing() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = try TestDumps.write(DumpSpec(), to: folder + "/d.h5")
        #expect { try AnalyzerRunner(quiet: true).run(MisnamedSummaryAnalyzer(), files: [file], options: [:], out: folder + "/out") } throws: {
            "\($0)".contains("no key 'largest_share'")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/result.h5"))
    }

    @Test func pairAndSeriesAnalyzersDeclareTheirMode() throws {
        #expect(try AnalyzerRegistry.named(CKAAnalyzer.id).inputMode == .pair)
        #expect(try AnalyzerRegistry.named(GradCAMAnalyzer.id).inputMode == .series)
        #expect(try AnalyzerRegistry.named(PurityAnalyzer.id).inputMode == .snapshot)
        #expect(AnalyzerRegistry(AnalyzerRegistry.builtIn + [PCAAnalyzer()]).warnings.count == 1)
    }

    /// An h5py-style file holding only /embedding and /probe/labels: class metrics, empty colour
    /// metrics, a note naming what would add them; the class metrics equal those of the same data with a colour.
    @Test func purityScoresAnEmbeddingWithLabelsAlone() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let full = try TestDumps.write(DumpSpec(), to: folder + "/full.h5")
        let source = try DumpFile(full)
        let embedding = try source.file.dataset(RunFormat.Dump.embedding)
        let values = try embedding.read(as: Float.self)
        let labels = try source.labels()
        let minimal = folder + "/minimal.h5"
        try HDF5File.writeAtomically(minimal) { f in
            try f.write(RunFormat.Dump.embedding, values, shape: source.shape(RunFormat.Dump.embedding)!)
            try f.write(RunFormat.Dump.labels, labels.map(Int64.init))
        }
        let bare = try AnalyzerRunner(quiet: true).run(PurityAnalyzer(), files: [minimal], options: [:], out: folder + "/bare")
        let withColour = try AnalyzerRunner(quiet: true).run(PurityAnalyzer(), files: [full], options: [:], out: folder + "/colour")
        let s = try bare.summary(PurityAnalyzer())
        #expect(s.byNuisance == nil && s.nuisance == nil && s.clustersBy == nil)
        #expect(s.nuisanceNote?.contains(RunFormat.Dump.meanRGB) == true)
        let c = try withColour.summary(PurityAnalyzer())
        #expect(c.byNuisance != nil)
        #expect(s.byClass.knnAccuracy == c.byClass.knnAccuracy && s.byClass.nmi == c.byClass.nmi && s.byClass.silhouette == c.byClass.silhouette)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bare/summary.json"))) as! [String: Any]
        #expect(json["colour"] is NSNull)
        let csv = try String(contentsOfFile: folder + "/bare/purity_metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv[1].contains(",,"))  // the colour cells are empty
        #expect(PurityAnalyzer().headlineLines(bare.output.summary).first?.contains("no nuisance attribute") == true)
        #expect(FileManager.default.fileExists(atPath: folder + "/bare/purity_bars.png"))
        #expect { try AnalyzerRunner(quiet: true).run(PurityAnalyzer(), files: [minimal], options: ["nuisance": "mean-rgb"], out: folder + "/x") } throws: {
            "\($0)".contains("nuisance=none")
        }
    }
}
