import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite struct FrameworkTests {
    @Test func allMissingDatasetsAreReportedTogetherWithTheirProducers() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var spec = DumpSpec()
        spec.omit = [RunFormat.Dump.images, RunFormat.Dump.gradient("layer3"), RunFormat.Dump.gradient("layer4.1")]
        let a = try TestDumps.write(spec, to: folder + "/a.h5")
        var spec2 = DumpSpec(epoch: 3)
        spec2.omit = [RunFormat.Dump.images]
        let b = try TestDumps.write(spec2, to: folder + "/b.h5")
        do {
            try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [a, b], options: ["layers": "all"], out: folder + "/out")
            Issue.record("expected an error")
        } catch let error as MissingInputs {
            let text = error.description
            // a.h5: images and gradients (its activations are there, so they are not listed); b.h5: images.
            #expect(error.items.map(\.path) == ["/gradients/<layer>", "/probe/images", "/probe/images"])
            #expect(text.contains("/probe/images") && text.contains("/gradients/<layer>") && !text.contains("/activations"))
            #expect(text.contains("a.h5") && text.contains("b.h5"))
            #expect(text.contains("loupe probe --layers"))
            #expect(!text.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }

    @Test func explicitLayersAreReportedByName() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try TestDumps.write(DumpSpec(), to: folder + "/a.h5")
        #expect {
            try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [a], options: ["layers": "layer4.1,layer9,block*"], out: folder + "/out")
        } throws: { error in
            let t = "\(error)"
            return t.contains("/gradients/layer9") && t.contains("/activations/layer9") && t.contains("/gradients/block*") && !t.contains("layer4.1 ")
        }
    }

    @Test func minimalH5pyStyleFilesAreReadWithDefaultsNoted() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(loupeFormat: false, withBoxes: false, withMask: false), to: folder + "/dumps/epoch-0012.h5")
        let dump = try DumpFile(path)
        #expect(!dump.isLoupeFormat && dump.epoch == 12 && dump.target == .logit)
        #expect(dump.notes.contains { $0.contains("no 'format' attribute") })
        #expect(dump.gradientLayers == ["layer3", "layer4.1"])
        let record = try AnalyzerRunner(quiet: true).run(ZeroGradAnalyzer(), files: [path], options: [:], out: folder + "/out")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json"))) as! [String: Any]
        #expect((summary["notes"] as? [String])?.isEmpty == false)
        #expect(record.notes.count >= 2)
    }

    @Test func otherFormatsAndNewerVersionsAreRejected() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let newer = try TestDumps.write(DumpSpec(formatVersion: "2.0"), to: folder + "/newer.h5")
        #expect { try DumpFile(newer) } throws: { ($0 as? HDF5Error)?.kind == .newerVersion }
        let minor = try TestDumps.write(DumpSpec(formatVersion: "1.7"), to: folder + "/minor.h5")
        #expect(try DumpFile(minor).isLoupeFormat)
        try HDF5File.writeAtomically(folder + "/ckpt.h5") { try RunFormat.stamp($0, format: RunFormat.checkpointFormat, version: "1.0") }
        #expect { try DumpFile(folder + "/ckpt.h5") } throws: { "\($0)".contains("expected 'loupe-dump'") }
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: folder + "/text.h5"))
        #expect { try AnalyzerRunner(quiet: true).run(ZeroGradAnalyzer(), files: [folder + "/text.h5"], options: [:], out: folder + "/o") } throws: {
            "\($0)".contains("not an HDF5 file")
        }
    }

    @Test func aFailedRunLeavesEarlierOutputsUntouched() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = try TestDumps.write(DumpSpec(), to: folder + "/good.h5")
        try AnalyzerRunner(quiet: true).run(ZeroGradAnalyzer(), files: [good], options: [:], out: folder + "/out")
        let before = try FileManager.default.contentsOfDirectory(atPath: folder + "/out").sorted()
        let summary = try Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json"))
        var bad = DumpSpec()
        bad.gradientShapeOverride = ["layer3": [24, 4, 2, 2]]
        let badPath = try TestDumps.write(bad, to: folder + "/bad.h5")
        #expect {
            try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [badPath], options: ["layers": "all"], out: folder + "/out")
        } throws: { "\($0)".contains("activations/layer3 is 24×4×4×4 but gradients/layer3 is 24×4×2×2") }
        #expect {
            try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [good], options: ["ids": "nope"], out: folder + "/out")
        } throws: { "\($0)".contains("probe ids not in the file: nope") }
        // Failures after the checks: inside the analysis, and an output that cannot be written.
        #expect { try AnalyzerRunner(quiet: true).run(BrokenAnalyzer(mode: .failing), files: [good], options: [:], out: folder + "/out") } throws: {
            "\($0)".contains("broken on purpose")
        }
        #expect { try AnalyzerRunner(quiet: true).run(BrokenAnalyzer(mode: .badArray), files: [good], options: [:], out: folder + "/out") } throws: {
            "\($0)".contains("has 3 values for shape 2×2")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/out").sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json")) == summary)
    }

    @Test func optionsParseAndComplain() throws {
        let specs = GradCAMAnalyzer().options
        let o = try AnalyzerOptions(analyzer: "gradcam", specs: specs, given: ["save_heatmaps": "false", "samples": "3"])
        #expect(try o.bool("save-heatmaps") == false && (try o.int("samples")) == 3 && o.string("layers") == "last")
        #expect { try AnalyzerOptions(analyzer: "gradcam", specs: specs, given: ["perplexity": "3"]) } throws: {
            "\($0)".contains("no option 'perplexity'") && "\($0)".contains("layers, samples")
        }
        #expect { try AnalyzerOptions.parsePairs(["perplexity"]) } throws: { "\($0)".contains("name=value") }
        #expect(try AnalyzerOptions.parsePairs(["a=b=c"]) == ["a": "b=c"])
        #expect { try o.int("layers") } throws: { "\($0)".contains("expected a whole number") }
        let layers = ["conv1", "layer1", "layer2", "layer3.0", "layer3.1", "layer4.0", "layer4.1"]
        #expect(LayerSelection("layer3.*,last").resolve(layers) == ["layer3.0", "layer3.1", "layer4.1"])
        #expect(LayerSelection("all").resolve(layers) == layers)
        #expect(LayerSelection("layer9").resolve(layers) == ["layer9"])
        #expect(LayerSelection("last").resolve([]) == [])
    }

    @Test func layersAreOrderedNaturallyWithoutARecordedOrder() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(layers: [("layer10", 1, 1, 1), ("layer2", 1, 1, 1), ("layer4.1", 1, 1, 1), ("layer4.0", 1, 1, 1)], loupeFormat: false),
                                       to: folder + "/d.h5")
        #expect(try DumpFile(path).gradientLayers == ["layer2", "layer4.0", "layer4.1", "layer10"])
    }

    @Test func notebookIsNbformat4WithEmbeddedPNGs() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(), to: folder + "/d.h5")
        try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [path], options: [:], out: folder + "/out")
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/out/report.ipynb"))
        let nb = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(nb["nbformat"] as? Int == 4 && (nb["nbformat_minor"] as? Int ?? 0) >= 4)
        let cells = nb["cells"] as! [[String: Any]]
        var ids = Set<String>(), pngs = 0, h5pyCells = 0
        for cell in cells {
            let type = cell["cell_type"] as! String
            #expect(["markdown", "code"].contains(type))
            #expect(cell["metadata"] is [String: Any])
            let source = cell["source"] as! [String]
            #expect(source.dropLast().allSatisfy { $0.hasSuffix("\n") })
            ids.insert(cell["id"] as! String)
            if type == "code" {
                #expect(cell.keys.contains("execution_count"))
                if source.joined().contains("h5py.File(\"result.h5\"") { h5pyCells += 1 }
                for output in cell["outputs"] as! [[String: Any]] {
                    #expect(output["output_type"] as? String == "display_data")
                    let bundle = output["data"] as! [String: Any]
                    let png = Data(base64Encoded: bundle["image/png"] as! String)!
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                    pngs += 1
                }
            }
        }
        #expect(ids.count == cells.count)
        // The setup cell, the closing cell and each figure cell that re-draws load result.h5.
        #expect(pngs >= 2 && h5pyCells >= 2)
        let firstCode = cells.first { $0["cell_type"] as? String == "code" }.map { ($0["source"] as! [String]).joined() } ?? ""
        #expect(firstCode.contains("h5py.File(\"result.h5\"") && firstCode.contains("json.load(open(\"summary.json\"))"))
        let html = try String(contentsOfFile: folder + "/out/report.html", encoding: .utf8)
        #expect(html.contains("data:image/png;base64,") && html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
    }

    @Test func jsonValueEscapesAndNulls() {
        let v: JSONValue = .object([("a", .double(.nan)), ("b", .string("x\"<y>\n")), ("c", .int(3)), ("d", .number(0.5))])
        #expect(v.serialized() == #"{"a":null,"b":"x\"\u003cy>\n","c":3,"d":0.5}"#)
    }
}

/// An analyzer that fails after the runner's checks, to test that nothing is lost.
struct BrokenAnalyzer: Analyzer {
    enum Mode { case failing, badArray }
    var mode: Mode
    let id = "broken"
    let summary = "fails on purpose"
    let arity = InputArity.one
    var requirements: [Requirement] { [Requirement(RunFormat.Dump.labels, producer: "tests")] }
    var options: [OptionSpec] { [] }
    var artifacts: [Artifact] { [Artifact("zero_grad_heatmap.png", "a file name an earlier run wrote")] }

    func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        if mode == .failing { throw LoupeError.invalidInput("broken on purpose") }
        var out = AnalyzerOutput()
        out.figure(Figure(fileName: "zero_grad_heatmap.png", png: Data([1, 2, 3]), title: "overwrites an earlier figure if written"))
        out.add(.floats("/x", [1, 2, 3], shape: [2, 2]))
        return out
    }
}
