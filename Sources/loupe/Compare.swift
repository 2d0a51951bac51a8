import Analyzers
import ArgumentParser
import CLISupport
import Foundation
import LoupeCore

/// `loupe compare RUN_DIR… --out DIR`: the same analyzers on several runs, side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run analyzers on several runs' dumps and write side-by-side figures, a metrics table (CSV, markdown) and reports.",
        discussion: """
        Each RUN_DIR holds dumps/epoch-NNNN.h5. Each analyzer reads what its input mode says (`loupe analyzers`): snapshot analyzers the dump of --epoch, series analyzers every dump up to it, pair analyzers (cka) the first run against each other run, on the same probe set. The metrics table holds the columns each analyzer declares (↑ higher is better, ↓ lower is better). External analyzers (loupe-analyzer-ID programs, docs/plugins.md) join like built-in ones. Everything is checked before any work starts.

        `--option perplexity=20` goes to every selected analyzer that has the option, `--option tsne.perplexity=20` to one analyzer.

        Examples:
          loupe compare runs/demo/scratch runs/demo/finetune --out notebooks-out/cmp
          loupe compare runs/a runs/b --epoch 10 --analyzers purity,cka --out out/ab
          loupe compare runs/a runs/b --analyzers tsne --option perplexity=20 --out out/m
          LOUPE_ANALYZER_PATH=analyzers/linear-probe loupe compare runs/a runs/b --analyzers pca,linear-probe --out out/lp
        """)

    @Argument(help: "Run folders (each with dumps/epoch-NNNN.h5).")
    var runs: [String] = []

    @Option(help: "Epoch to compare: `last` or a number.")
    var epoch = "last"

    @Option(help: "Comma-separated analyzer ids.")
    var analyzers = Comparison.defaultAnalyzers.joined(separator: ",")

    @Option(name: .customLong("option"), help: ArgumentHelp("name=value for every analyzer that has it, or id.name=value; repeat for several.", valueName: "[id.]name=value"))
    var options: [String] = []

    @Option(help: "Output folder, e.g. notebooks-out/NAME.")
    var out: String

    @Option(help: "Seconds an external analyzer may run per call before it is stopped.")
    var timeout: Double = ExternalAnalyzer.defaultTimeout

    @Flag(help: "No progress output.")
    var quiet = false

    func comparison() throws -> Comparison {
        let ids = analyzers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let registry = AnalyzerRegistry.resolving(ids)
        for warning in registry.warnings { FileHandle.standardError.write(Data("loupe: warning: \(warning)\n".utf8)) }
        return Comparison(runs: runs, epoch: try Comparison.EpochChoice(parsing: epoch), analyzers: ids, options: options, out: out, quiet: quiet,
                          registry: registry, timeout: timeout)
    }

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one RUN_DIR") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive seconds") }
        do {
            let c = try comparison()
            _ = try c.optionsByAnalyzer(try c.selectedAnalyzers())
        } catch let error as LoupeError {
            throw ValidationError(error.description)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(out) is a file, not a folder")
        }
    }

    func run() throws {
        try reportingErrors {
            let record = try comparison().run()
            for note in record.notes { FileHandle.standardError.write(Data("loupe: note: \(note)\n".utf8)) }
            print(record.metrics.markdown)
            print("\nwrote \(record.files.count) files to \(out); open \(out)/report.html (or report.ipynb)")
        }
    }
}
