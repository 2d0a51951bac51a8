import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite struct CompareTests {
    /// Two run folders with dumps of epochs 0 and 5 on the same probe set.
    func makeRuns(_ folder: String, secondIDs: [String]? = nil) throws -> [String] {
        var runs: [String] = []
        for (r, name) in ["scratch", "finetune"].enumerated() {
            let run = folder + "/" + name
            for (k, epoch) in [0, 5].enumerated() {
                var spec = DumpSpec(epoch: epoch, run: name, seed: UInt64(10 * r + k + 1))
                if r == 1 { spec.ids = secondIDs }
                try TestDumps.write(spec, to: run + "/dumps/" + RunFormat.Run.dumpName(epoch: epoch))
            }
            runs.append(run)
        }
        return runs
    }

    @Test func runsSideBySideWithAMetricsTable() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let runs = try makeRuns(folder)
        let out = folder + "/notebooks-out/cmp"
        let record = try Comparison(runs: runs, analyzers: ["gradcam", "zero-grad", "cka"], options: ["gradcam.samples=3"], out: out, quiet: true).run()
        #expect(record.runs.map(\.chosen.epoch) == [5, 5])
        #expect(record.runs[0].series.count == 2)
        for name in ["metrics.csv", "metrics.md", "summary.json", "report.ipynb", "report.html", "compare_gradcam_epochs.png",
                     "compare_zero_grad_heatmap.png", "compare_cka_heatmap.png", "scratch/gradcam/result.h5", "finetune/zero-grad/report.html",
                     "cka/scratch__finetune/result.h5"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
        }
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3)
        #expect(csv[0].hasPrefix("run,epoch") && csv[0].contains("CKA embedding vs scratch") && csv[0].contains("gradients"))
        #expect(csv[1].hasPrefix("scratch,5") && csv[2].hasPrefix("finetune,5"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("href=\"scratch/gradcam/report.html\""))
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FIGURE_DIR"] {
            for name in ["compare_gradcam_epochs.png", "compare_zero_grad_heatmap.png"] {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
                try FileManager.default.copyItem(atPath: out + "/" + name, toPath: dir + "/" + name)
            }
        }
    }

    @Test func differentProbeSetsStopCKABeforeAnyWork() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let runs = try makeRuns(folder, secondIDs: (0..<24).map { "x\($0)" })
        let out = folder + "/out"
        #expect {
            try Comparison(runs: runs, analyzers: ["zero-grad", "cka"], out: out, quiet: true).run()
        } throws: { "\($0)".contains("different probe sets") }
        #expect(!FileManager.default.fileExists(atPath: out))
        // Without cka, different probe sets are fine.
        try Comparison(runs: runs, analyzers: ["zero-grad"], out: out, quiet: true).run()
        #expect(FileManager.default.fileExists(atPath: out + "/metrics.csv"))
    }

    @Test func badRunsEpochsAndOptionsAreClearErrors() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let runs = try makeRuns(folder)
        try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
        #expect { try Comparison(runs: runs + [folder + "/empty", folder + "/nope"], analyzers: ["zero-grad"], out: folder + "/o", quiet: true).run() } throws: {
            "\($0)".contains("empty has no dumps") && "\($0)".contains("nope is not a run folder")
        }
        #expect { try Comparison(runs: runs, epoch: .number(3), analyzers: ["zero-grad"], out: folder + "/o", quiet: true).run() } throws: {
            "\($0)".contains("no dump of epoch 3 (it has epochs 0, 5)")
        }
        #expect { try Comparison(runs: runs, analyzers: ["zero-grad"], options: ["perplexity=20"], out: folder + "/o", quiet: true).run() } throws: {
            "\($0)".contains("belongs to none of the selected analyzers")
        }
        #expect { try Comparison(runs: runs, analyzers: ["zero-grad", "umap"], out: folder + "/o", quiet: true).run() } throws: {
            "\($0)".contains("no analyzer 'umap'")
        }
        #expect(try Comparison.EpochChoice(parsing: "last") == .last)
        #expect { try Comparison.EpochChoice(parsing: "-2") } throws: { "\($0)".contains("expected `last`") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/o"))
    }
}
