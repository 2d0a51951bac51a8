import Foundation
import LoupeCore
import Testing
@testable import Analyzers

/// Every registered analyzer, run on a tiny generated dump (24 samples, 8×8 images, 2 layers, two
/// epochs, boxes and masks so that every conditional artifact is due): its declared artifacts exist,
/// result.h5 reopens as a Loupe result, summary.json parses, the notebook is JSON. And a dump missing
/// its inputs is rejected with all of their names in one error.
///
/// While Sources/Analyzers/Math holds stubs (before the analyzers-math branch is merged) the analyzers
/// that call them throw "…is a stub"; only that exact error is tolerated, and the test prints which
/// analyzers it could not check. Once the real code is in, every analyzer is checked in full.
@Suite struct ConformanceTests {
    /// Small-N settings (t-SNE's default perplexity 30 needs more than 90 samples).
    static let tinyOptions: [String: [String: String]] = ["tsne": ["perplexity": "5", "iterations": "300", "exaggeration-iterations": "100"]]

    static func isStubError(_ error: Error) -> Bool { "\(error)".contains("not implemented:") && "\(error)".contains("is a stub") }

    func inputs(for analyzer: any Analyzer, folder: String) throws -> [String] {
        let first = try TestDumps.write(DumpSpec(epoch: 0, seed: 1), to: folder + "/epoch-0000.h5")
        switch analyzer.arity {
        case .one: return [first]
        case .two: return [first, try TestDumps.write(DumpSpec(epoch: 5, run: "other-run", seed: 2), to: folder + "/other-0005.h5")]
        case .oneOrMore: return [first, try TestDumps.write(DumpSpec(epoch: 5, seed: 2), to: folder + "/epoch-0005.h5")]
        }
    }

    @Test(arguments: AnalyzerRegistry.all.map(\.id))
    func analyzerProducesWhatItDeclares(_ id: String) throws {
        let analyzer = try AnalyzerRegistry.named(id)
        let folder = TestDumps.temporaryFolder("conformance-\(id)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try inputs(for: analyzer, folder: folder)
        let out = folder + "/out"
        do {
            try AnalyzerRunner(quiet: true).run(analyzer, files: files, options: Self.tinyOptions[id] ?? [:], out: out)
        } catch where Self.isStubError(error) {
            print("conformance: \(id) not checked: \(error) (Math stubs; the analyzers-math branch replaces them)")
            #expect(!FileManager.default.fileExists(atPath: out + "/result.h5"))
            return
        }
        for name in ["result.h5", "summary.json", "report.ipynb", "report.html"] + analyzer.artifacts.map(\.fileName) {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(id) did not write \(name)")
        }
        let result = try HDF5File.open(out + "/result.h5")
        #expect(try result.stringAttribute("format") == RunFormat.resultFormat)
        #expect(try result.stringAttribute("analyzer") == id)
        #expect(try result.attribute("inputs")?.stringsValue == files)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any]
        #expect(summary?["analyzer"] as? String == id)
        let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.ipynb"))) as? [String: Any]
        #expect(notebook?["nbformat"] as? Int == 4)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out)).contains { $0.contains(".tmp-") })
    }

    @Test(arguments: AnalyzerRegistry.all.map(\.id))
    func dumpWithoutItsInputsIsRejectedNamingThemAll(_ id: String) throws {
        let analyzer = try AnalyzerRegistry.named(id)
        let folder = TestDumps.temporaryFolder("conformance-missing-\(id)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Leave out every dataset any required path (or alternative) could name.
        var spec = DumpSpec()
        let required = analyzer.requirements.filter { !$0.isOptional }.flatMap(\.paths)
        var omitted: [String] = []
        for path in required {
            if path.contains("<layer>") {
                for (layer, _, _, _) in spec.layers { omitted.append(path.replacingOccurrences(of: "<layer>", with: layer)) }
            } else if path == "<features>" {
                omitted.append(RunFormat.Dump.embedding)
            } else {
                omitted.append(path)
            }
        }
        spec.omit = Set(omitted)
        var files: [String] = []
        for i in 0..<(analyzer.arity == .two ? 2 : 1) { files.append(try TestDumps.write(spec, to: folder + "/d\(i).h5")) }
        do {
            try AnalyzerRunner(quiet: true).run(analyzer, files: files, options: Self.tinyOptions[id] ?? [:], out: folder + "/out")
            Issue.record("\(id) accepted a dump without its inputs")
        } catch let error as MissingInputs {
            let text = error.description
            for requirement in analyzer.requirements where !requirement.isOptional {
                // Each requirement is named: its path, its pattern's group, or (for alternatives) its first path.
                let shown = requirement.paths.map { p -> String in
                    if p == "<features>" { return RunFormat.Dump.embedding }
                    return p.components(separatedBy: "<").first!
                }
                #expect(shown.contains { text.contains($0) }, "\(id): the error does not name \(requirement.text): \(text)")
            }
            #expect(!text.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }
}
