import Analyzers
import ArgumentParser
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
        """)

    @Argument(help: "Analyzer id (see `loupe analyzers`).")
    var analyzer: String

    @Argument(help: "Run files: Loupe dumps or minimal HDF5 files with the datasets the analyzer needs.")
    var files: [String] = []

    @Option(name: .customLong("option"), help: ArgumentHelp("An analyzer option as name=value; repeat for several.", valueName: "name=value"))
    var options: [String] = []

    @Option(help: "Output folder (created when missing; files in it are replaced one by one, crash-safe).")
    var out: String

    @Flag(help: "No progress bars.")
    var quiet = false

    func validate() throws {
        do {
            let a = try AnalyzerRegistry.named(analyzer)
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
            let a = try AnalyzerRegistry.named(analyzer)
            let record = try AnalyzerRunner(quiet: quiet).run(a, files: files, options: try AnalyzerOptions.parsePairs(options), out: out)
            for note in record.notes { FileHandle.standardError.write(Data("loupe: note: \(note)\n".utf8)) }
            let names = record.files.map { URL(fileURLWithPath: $0).lastPathComponent }
            print("\(a.id): wrote \(names.count) files to \(out): \(names.joined(separator: ", "))")
            if let headline = Analyze.headline(record.output.summary) { print(headline) }
            print("open \(out)/report.html (or report.ipynb in Jupyter)")
        }
    }

    /// One line of the most telling numbers, when the summary has them.
    static func headline(_ s: JSONValue) -> String? {
        var parts: [String] = []
        if let d = s["diagnosis"]?.stringValue { parts.append("diagnosis: \(d)") }
        if let v = s["kl"]?.doubleValue { parts.append("KL \(Fmt.g(v))") }
        if let c = s["class"]?["knn_accuracy"]?.doubleValue, let u = s["colour"]?["knn_accuracy"]?.doubleValue {
            parts.append("k-NN accuracy by class \(Fmt.g(c)), by colour \(Fmt.g(u))")
        }
        if let v = s["embedding"]?.doubleValue { parts.append("CKA of the embeddings \(Fmt.g(v))") }
        if case .array(let r)? = s["explained_variance_ratio"], let first = r.first?.doubleValue { parts.append("PC1 explains \(Fmt.percent(first))") }
        if case .array(let e)? = s["attention_on_object"]?["energy_inside"], let last = e.last?.doubleValue {
            parts.append("CAM energy on the object \(Fmt.g(last))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
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

    static let standardArtifacts = ["result.h5", "summary.json", "report.ipynb", "report.html"]

    func run() throws {
        try reportingErrors {
            if json {
                print(JSONValue.array(AnalyzerRegistry.all.map(ListAnalyzers.describe)).serialized(pretty: true))
                return
            }
            for a in AnalyzerRegistry.all {
                print("\(a.id) — \(a.summary)")
                print("  inputs: \(a.arity)\(a.needsSameProbe ? ", same probe set" : "")")
                for r in a.requirements {
                    print("  \(r.isOptional ? "optional" : "requires"): \(r.text)  (\(r.producer))")
                }
                for o in a.options { print("  --option \(o.name)=\(o.defaultValue.isEmpty ? "\"\"" : o.defaultValue)  \(o.help)") }
                print("  writes: " + (ListAnalyzers.standardArtifacts + a.artifacts.map { $0.fileName + ($0.condition.map { " (\($0))" } ?? "") }).joined(separator: ", "))
                print("")
            }
        }
    }

    static func describe(_ a: any Analyzer) -> JSONValue {
        .object([
            ("id", .string(a.id)),
            ("summary", .string(a.summary)),
            ("inputs", .string(a.arity.description)),
            ("same_probe_set", .bool(a.needsSameProbe)),
            ("requirements", .array(a.requirements.map { r in
                .object([("paths", .strings(r.paths)), ("producer", .string(r.producer)), ("optional", .bool(r.isOptional))])
            })),
            ("options", .array(a.options.map { .object([("name", .string($0.name)), ("default", .string($0.defaultValue)), ("help", .string($0.help))]) })),
            ("artifacts", .array((standardArtifacts.map { ($0, "always", nil as String?) } + a.artifacts.map { ($0.fileName, $0.what, $0.condition) }).map { name, what, when in
                .object([("file", .string(name)), ("what", .string(what)), ("when", when.map { .string($0) } ?? .string("always"))])
            })),
        ])
    }
}
