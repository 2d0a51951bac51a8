// The plugin contract. An analyzer declares once what it reads, which options it takes and which
// files it produces; `run` is pure (dumps in, numbers, tables and figures out). Everything that
// touches the output folder is the runner's job (AnalyzerRunner), so every analyzer gets the same
// crash-safe result.h5, summary.json, PNGs and reports.
import LoupeCore

/// One analysis over run files.
public protocol Analyzer: Sendable {
    /// What `summary.json` holds, typed (see AnalyzerPresentation.swift).
    associatedtype Summary: AnalyzerSummary = JSONValue

    /// Short command-line name, e.g. `gradcam`.
    var id: String { get }
    /// One line saying what it shows.
    var summary: String { get }
    /// Datasets read from every input file; paths may hold placeholders such as `<layer>`.
    var requirements: [Requirement] { get }
    /// Options with their defaults and help.
    var options: [OptionSpec] { get }
    /// Files written besides `result.h5`, `summary.json`, `report.ipynb` and `report.html`.
    var artifacts: [Artifact] { get }
    /// How many input files it takes.
    var arity: InputArity { get }
    /// True when all input files must hold the same probe set (same ids in the same order).
    var needsSameProbe: Bool { get }
    /// What `loupe compare` hands it: each run's chosen dump, its series of dumps, or a pair of runs.
    var inputMode: InputMode { get }
    /// Columns it adds to `loupe compare`'s metrics table.
    var compareColumns: [CompareColumn<Summary>] { get }

    /// The lines `loupe analyze` prints after a run.
    func headline(_ summary: Summary) -> [String]

    /// Python that re-draws figure `fileName` into the matplotlib axes `ax` from `result` (the h5py
    /// File of result.h5) and `summary` (summary.json as a dict); nil when it cannot be re-drawn from them.
    func notebookPlot(_ fileName: String) -> String?

    /// Values for the placeholders in `requirements` for one file (e.g. `layer` → the selected layers).
    /// An empty list means nothing could be selected; the runner then reports the pattern as missing.
    func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]]

    /// Checks that need the opened files and the options (e.g. enough samples for a perplexity), run
    /// with the requirement checks before any work. Default: nothing more to check.
    func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws

    /// The analysis. Reads only from `inputs`; never writes files.
    func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput
}

extension Analyzer {
    public var needsSameProbe: Bool { false }

    /// Default: a pair for two-file analyzers, else the chosen dump.
    public var inputMode: InputMode { arity == .two ? .pair : .snapshot }

    public var compareColumns: [CompareColumn<Summary>] { [] }

    public func headline(_ summary: Summary) -> [String] { [] }

    public func notebookPlot(_ fileName: String) -> String? { nil }

    public func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws {}

    /// Default: `<layer>` resolves from the `layers` option when the analyzer declares one.
    public func placeholders(for dump: DumpFile, options: AnalyzerOptions) throws -> [String: [String]] {
        guard self.options.contains(where: { $0.name == "layers" }) else { return [:] }
        let usesActivations = requirements.contains { $0.paths.contains { $0.hasPrefix(RunFormat.Dump.activations + "/<layer>") } && !$0.isOptional }
        let usesGradients = requirements.contains { $0.paths.contains { $0.hasPrefix(RunFormat.Dump.gradients + "/<layer>") } && !$0.isOptional }
        var candidates: [String]
        switch (usesActivations, usesGradients) {
        case (true, true): candidates = dump.gradientLayers.filter(Set(dump.activationLayers).contains)
        case (true, false): candidates = dump.activationLayers
        default: candidates = dump.gradientLayers
        }
        candidates = dump.orderLayers(candidates)
        return ["layer": LayerSelection(options.string("layers")).resolve(candidates)]
    }

    /// Declared requirements that are always needed (no placeholder), for listings.
    public var requiredPaths: [String] { requirements.filter { !$0.isOptional }.map(\.path) }
}

/// A dataset an analyzer reads.
public struct Requirement: Sendable, Equatable {
    /// The path, or the first of several alternatives (any one of which satisfies the requirement).
    public var paths: [String]
    /// What writes it, e.g. "written by `loupe probe --layers L`".
    public var producer: String
    /// Used when present (e.g. object boxes), never reported missing.
    public var isOptional: Bool

    public init(_ path: String, or alternatives: [String] = [], producer: String, optional: Bool = false) {
        paths = [path] + alternatives
        self.producer = producer
        isOptional = optional
    }

    public var path: String { paths[0] }

    /// `/a` or `one of /a, /b`.
    public var text: String { paths.count == 1 ? paths[0] : "one of " + paths.joined(separator: ", ") }
}

/// A documented option: `--option name=value`.
public struct OptionSpec: Sendable, Equatable {
    public var name: String
    public var defaultValue: String
    public var help: String

    public init(_ name: String, default defaultValue: String, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// A file an analyzer writes, and when (nil: always).
public struct Artifact: Sendable, Equatable {
    public var fileName: String
    public var what: String
    /// The condition under which it is written, e.g. "when the dump has boxes or masks"; nil = always.
    public var condition: String?
    /// False for figures that make no sense side by side in `loupe compare` (thumbnail maps, curves of one fit).
    public var inCompare: Bool

    public init(_ fileName: String, _ what: String, when condition: String? = nil, inCompare: Bool = true) {
        self.fileName = fileName
        self.what = what
        self.condition = condition
        self.inCompare = inCompare
    }
}

/// How many files an analyzer takes.
public enum InputArity: Sendable, Equatable, CustomStringConvertible {
    case one, oneOrMore, two

    public func accepts(_ n: Int) -> Bool {
        switch self {
        case .one: n == 1
        case .oneOrMore: n >= 1
        case .two: n == 2
        }
    }

    public var description: String {
        switch self {
        case .one: "one file"
        case .oneOrMore: "one or more files (e.g. one per epoch)"
        case .two: "two files (e.g. two runs on the same probe set)"
        }
    }
}

/// What the runner hands an analyzer: the opened, validated files and the resolved placeholders.
public struct AnalyzerInputs {
    public let dumps: [DumpFile]
    /// Per file, the placeholder values used to resolve its requirements (e.g. `layer`).
    public let resolved: [[String: [String]]]
    /// Draw no progress bars.
    public let quiet: Bool

    public init(dumps: [DumpFile], resolved: [[String: [String]]]? = nil, quiet: Bool = true) {
        self.dumps = dumps
        self.resolved = resolved ?? dumps.map { _ in [:] }
        self.quiet = quiet
    }

    /// The selected layers of file `i`.
    public func layers(_ i: Int) -> [String] { resolved[i]["layer"] ?? [] }

    /// A progress bar on stderr (silent when `quiet`).
    public func progress(_ label: String, total: Int) -> ProgressBar {
        ProgressBar(label, total: total, quiet: quiet)
    }
}
