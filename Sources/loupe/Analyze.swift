import Analyzers
import ArgumentParser
import CLISupport
import Foundation
import LoupeCore

/// `loupe analyze ID FILE… --out DIR`: one analyzer over run files.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one analyzer on run files (dumps) and write result.h5, summary.json, figures and reports.",
        discussion: """
        Every requirement of every file is checked first; all missing datasets are reported in one error, with the option that writes them. Nothing is written unless the analysis succeeds, and every file is written crash-safe. `loupe analyzers` lists the analyzers, their inputs and options.

        Examples:
          loupe analyze tsne run/dumps/epoch-0010.h5 --option perplexity=20 --out out/tsne
          loupe analyze gradcam run/dumps/epoch-00{00,10,20}.h5 --out out/attention
          loupe analyze zero-grad run/dumps/*.h5 --out out/zero-grad
          loupe analyze purity features.h5 --option k=10 --out out/purity
          loupe analyze cka a/dumps/epoch-0020.h5 b/dumps/epoch-0020.h5 --out out/cka
          LOUPE_ANALYZER_PATH=analyzers/linear-probe loupe analyze linear-probe run/dumps/epoch-0010.h5 --out out/lp

        External analyzers are programs named loupe-analyzer-ID on PATH, in ~/.local/share/loupe/analyzers or in the folders of LOUPE_ANALYZER_PATH (docs/plugins.md); Loupe checks their inputs and outputs as for built-in ones.
        """)

    @Argument(help: "Analyzer id (see `loupe analyzers`).")
    var analyzer: String

    @Argument(help: "Run files: Loupe dumps or minimal HDF5 files with the datasets the analyzer needs.")
    var files: [String] = []

    @Option(name: .customLong("option"), help: ArgumentHelp("An analyzer option as name=value; repeat for several.", valueName: "name=value"))
    var options: [String] = []

    @Option(help: "Output folder (created when missing; files in it are replaced one by one, crash-safe).")
    var out: String

    @Option(help: "Seconds an external analyzer may run before it is stopped.")
    var timeout: Double = ExternalAnalyzer.defaultTimeout

    @Flag(help: "No progress bars.")
    var quiet = false

    /// The analyzer asked for, built-in or external.
    func lookUp() throws -> any Analyzer {
        let registry = AnalyzerRegistry.resolving([analyzer])
        for warning in registry.warnings { FileHandle.standardError.write(Data("loupe: warning: \(warning)\n".utf8)) }
        return try registry.named(analyzer)
    }

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive seconds") }
        do {
            let a = try lookUp()
            guard !files.isEmpty else { throw ValidationError("give at least one FILE for \(a.id) (it takes \(a.arity))") }
            guard a.arity.accepts(files.count) else { throw ValidationError("\(a.id) takes \(a.arity), got \(files.count)") }
            let missing = files.filter { !FileManager.default.fileExists(atPath: $0) }
            guard missing.isEmpty else { throw ValidationError("no such file: \(missing.joined(separator: ", "))") }
            _ = try AnalyzerOptions(analyzer: a.id, specs: a.options, given: try AnalyzerOptions.parsePairs(options))
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ValidationError("--out \(out) is a file, not a folder")
            }
        } catch let error as LoupeError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try reportingErrors {
            let a = try lookUp()
            let record = try AnalyzerRunner(quiet: quiet, timeout: timeout).run(a, files: files, options: try AnalyzerOptions.parsePairs(options), out: out)
            for note in record.notes { FileHandle.standardError.write(Data("loupe: note: \(note)\n".utf8)) }
            let names = record.files.map { URL(fileURLWithPath: $0).lastPathComponent }
            print("\(a.id): wrote \(names.count) files to \(out): \(names.joined(separator: ", "))")
            let headline = a.headlineLines(record.output.summary)
            if !headline.isEmpty { print(headline.joined(separator: "; ")) }
            print("open \(out)/report.html (or report.ipynb in Jupyter)")
        }
    }
}

/// `loupe analyzers`: what each analyzer reads, takes and writes.
struct ListAnalyzers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyzers",
        abstract: "List the analyzers: id, summary, required datasets (and what writes them), options with defaults, artifacts.",
        discussion: """
        Examples:
          loupe analyzers
          loupe analyzers --json | jq '.[] | .id'
        """)

    @Flag(help: "Print JSON for machines.")
    var json = false

    func run() throws {
        try reportingErrors {
            let registry = AnalyzerRegistry.discover()
            for warning in registry.warnings { FileHandle.standardError.write(Data("loupe: warning: \(warning)\n".utf8)) }
            if json {
                print(JSONValue.array(registry.analyzers.map(AnalyzerDescription.json)).serialized(pretty: true))
                return
            }
            for a in registry.analyzers {
                print("\(a.id) — \(a.summary)")
                if let external = a as? ExternalAnalyzer { print("  external: \(external.executable)") }
                print("  inputs: \(a.arity)\(a.needsSameProbe ? ", same probe set" : ""); in compare: \(a.inputMode.rawValue)")
                for r in a.requirements {
                    print("  \(r.isOptional ? "optional" : "requires"): \(r.text)  (\(r.producer))")
                }
                for o in a.options { print("  --option \(o.name)=\(o.defaultValue.isEmpty ? "\"\"" : o.defaultValue)  \(o.help)") }
                let columns = a.summaryColumns.map { $0.name + $0.direction.arrow }
                if !columns.isEmpty { print("  compare columns: " + columns.joined(separator: ", ")) }
                print("  writes: " + (AnalyzerDescription.standardArtifacts + a.artifacts.map { $0.fileName + ($0.condition.map { " (\($0))" } ?? "") }).joined(separator: ", "))
                print("")
            }
        }
    }
}
