import Foundation
import LoupeCore
import Testing
@testable import Analyzers

/// The external-analyzer protocol with small shell programs: discovery, `--describe`, a good run, and
/// every way a plugin can go wrong (non-zero exit, hang, undeclared or malformed output), each a clear
/// error naming the plugin with no partial output.
@Suite struct ExternalAnalyzerTests {
    static func describe(_ id: String, artifacts: String = "[]") -> String {
        """
        {"id": "\(id)", "protocol": 1, "summary": "test plugin", "arity": "one", "input_mode": "snapshot",
         "requirements": [{"paths": ["/probe/labels"], "producer": "labels"}, {"paths": ["/embedding"], "producer": "the embedding"}],
         "options": [{"name": "level", "default": "2", "help": "a number"}],
         "artifacts": \(artifacts),
         "compare_columns": [{"name": "score", "key": "scores.value", "direction": "higher-is-better", "help": "a score"}]}
        """
    }

    /// Writes `folder/loupe-analyzer-ID`: answers --describe with `describe`, runs `body` with $OUT set.
    @discardableResult
    static func plugin(_ folder: String, _ id: String, describe: String? = nil, body: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + ExternalAnalyzer.prefix + id
        let script = """
        #!/bin/sh
        if [ "$1" = "--describe" ]; then cat <<'JSON'
        \(describe ?? Self.describe(id))
        JSON
        exit 0; fi
        OUT="$3"
        \(body)
        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    /// A valid result.h5 for the shell plugins to copy.
    static func resultFile(_ folder: String, analyzer: String) throws -> String {
        let path = folder + "/made-result.h5"
        try HDF5File.writeAtomically(path) { f in
            try RunFormat.stamp(f, format: RunFormat.resultFormat, version: RunFormat.resultVersion)
            try f.setAttribute("analyzer", analyzer)
            _ = try f.write("/values", [Float(1), 2, 3])
        }
        return path
    }

    func analyzer(_ folder: String, _ id: String) throws -> ExternalAnalyzer {
        try #require(AnalyzerRegistry.discover(["LOUPE_ANALYZER_PATH": folder, "PATH": "", "HOME": folder]).named(id) as? ExternalAnalyzer)
    }

    @Test func aGoodPluginIsFoundRunAndReported() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try Self.resultFile(folder, analyzer: "echo")
        try Self.plugin(folder + "/plugins", "echo", body: """
        cp "\(made)" "$OUT/result.h5"
        printf '{"scores": {"value": 0.75}, "args": "%s"}' "$*" > "$OUT/summary.json"
        ls -l /proc/self/fd > "\(folder)/descriptors.txt" 2>&1 || true
        """)
        let a = try analyzer(folder + "/plugins", "echo")
        #expect(a.options.map(\.name) == ["level"] && a.columns.first?.key == "scores.value")
        let dump = try TestDumps.write(DumpSpec(), to: folder + "/d.h5")
        let record = try AnalyzerRunner(quiet: true).run(a, files: [dump], options: ["level": "5"], out: folder + "/out")
        #expect(a.headlineLines(record.output.summary) == ["score 0.750"])
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json"))) as! [String: Any]
        #expect(summary["analyzer"] as? String == "echo")
        let args = summary["args"] as! String
        #expect(args.hasPrefix("--run --out ") && args.hasSuffix("--option level=5 \(dump)"))
        for name in ["result.h5", "summary.json", "report.html", "report.ipynb"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/out/" + name), "\(name)")
        }
        #expect(try String(contentsOfFile: folder + "/out/report.ipynb", encoding: .utf8).contains("/values"))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: folder)).contains { $0.hasPrefix(".") })
        #if os(Linux)
        // The runner holds the input open while the plugin runs; the plugin must not inherit it (HDF5 locks).
        let descriptors = try String(contentsOfFile: folder + "/descriptors.txt", encoding: .utf8)
        #expect(descriptors.contains("/proc/") || descriptors.contains("fd"), "\(descriptors)")
        #expect(!descriptors.contains("d.h5"), "\(descriptors)")
        #endif
    }

    @Test func requirementsAreCheckedBeforeThePluginRuns() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.plugin(folder + "/plugins", "needy", body: "touch \"\(folder)/ran\"; exit 1")
        var spec = DumpSpec()
        spec.omit = [RunFormat.Dump.labels, RunFormat.Dump.embedding]
        let dump = try TestDumps.write(spec, to: folder + "/d.h5")
        #expect { try AnalyzerRunner(quiet: true).run(try analyzer(folder + "/plugins", "needy"), files: [dump], options: [:], out: folder + "/out") } throws: {
            "\($0)".contains("needy needs 2 datasets missing") && "\($0)".contains("/probe/labels") && "\($0)".contains("/embedding")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/ran"))
        #expect { try AnalyzerRunner(quiet: true).run(try analyzer(folder + "/plugins", "needy"), files: [dump], options: ["levle": "1"], out: folder + "/out") } throws: {
            "\($0)".contains("levle")
        }
    }

    @Test(arguments: [
        ("exits", "echo 'something broke' >&2; exit 3", "exited with status 3"),
        ("hangs", "sleep 30", "did not finish within"),
        ("extra", "cp \"$MADE\" \"$OUT/result.h5\"; echo '{}' > \"$OUT/summary.json\"; touch \"$OUT/notes.txt\"", "undeclared files notes.txt"),
        ("nosummary", "cp \"$MADE\" \"$OUT/result.h5\"", "it wrote no summary.json"),
        ("badresult", "echo text > \"$OUT/result.h5\"; echo '{}' > \"$OUT/summary.json\"", "result.h5 is not a loupe-result file"),
        ("badjson", "cp \"$MADE\" \"$OUT/result.h5\"; echo '{' > \"$OUT/summary.json\"", "summary.json is not valid JSON"),
        ("noartifact", "cp \"$MADE\" \"$OUT/result.h5\"; echo '{}' > \"$OUT/summary.json\"", "it wrote no plot.png"),
    ])
    func aMisbehavingPluginIsAClearErrorAndLeavesEarlierOutput(_ id: String, _ body: String, _ expected: String) throws {
        let folder = TestDumps.temporaryFolder("external-\(id)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try Self.resultFile(folder, analyzer: id)
        let artifacts = id == "noartifact" ? #"[{"file": "plot.png", "what": "a plot", "when": "always"}]"# : "[]"
        try Self.plugin(folder + "/plugins", id, describe: Self.describe(id, artifacts: artifacts), body: "MADE=\"\(made)\"\n" + body)
        let dump = try TestDumps.write(DumpSpec(), to: folder + "/d.h5")
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("earlier".utf8).write(to: URL(fileURLWithPath: out + "/summary.json"))
        #expect {
            try AnalyzerRunner(quiet: true, timeout: 0.5).run(try analyzer(folder + "/plugins", id), files: [dump], options: [:], out: out)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("external analyzer \(id)")
        }
        #expect(try String(contentsOfFile: out + "/summary.json", encoding: .utf8) == "earlier")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["summary.json"])
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: folder)).contains { $0.hasPrefix(".") }, "scratch folder left behind")
    }

    @Test func badDescriptionsAndTakenIdsAreLeftOutWithAWarning() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.plugin(folder, "broken", describe: #"{"summary": 3, "arity": "many"}"#, body: "exit 0")
        try Self.plugin(folder, "pca", describe: Self.describe("pca"), body: "exit 0")
        try Self.plugin(folder, "fine", body: "exit 0")
        let registry = AnalyzerRegistry.discover(["LOUPE_ANALYZER_PATH": folder, "PATH": "", "HOME": folder])
        #expect(registry.ids == AnalyzerRegistry.builtIn.map(\.id) + ["fine"])
        #expect(registry.warnings.contains { $0.contains("loupe-analyzer-broken") && $0.contains("'id' must be a string") && $0.contains("arity") })
        #expect(registry.warnings.contains { $0.contains("'pca'") && $0.contains("taken by a built-in analyzer") })
        #expect(!(registry.analyzers.first { $0.id == "pca" } is ExternalAnalyzer))
        #expect(ExternalAnalyzer.searchFolders(["LOUPE_ANALYZER_PATH": "/a:/b", "HOME": "/h", "PATH": "/usr/bin"])
                == ["/a", "/b", "/h/.local/share/loupe/analyzers", "/usr/bin"])
    }
}
