import Foundation
import LoupeCore

/// `loupe compare`: the same analyzers on several runs, side by side, with one metrics table.
///
/// Layout of the output folder:
///   `<run>/<analyzer>/…`     a full `loupe analyze` output per run and analyzer
///   `<analyzer>/<a>__<b>/…`  a pair analyzer (e.g. CKA) between the first run and each other run
///   `compare_<figure>.png`   the runs' figures side by side
///   `metrics.csv`, `metrics.md`, `summary.json`, `report.ipynb`, `report.html`
///
/// What each analyzer reads follows its declared `inputMode`: the chosen epoch's dump (snapshot), every
/// dump up to it (series), or the first run's and each other run's (pair). The metrics table holds the
/// columns each analyzer declares; nothing here names an analyzer.
public struct Comparison {
    public enum EpochChoice: Equatable, Sendable {
        case last
        case number(Int)

        /// `last` or a whole number.
        public init(parsing text: String) throws {
            if text.lowercased() == "last" { self = .last; return }
            guard let n = Int(text), n >= 0 else { throw LoupeError.invalidInput("--epoch \(text): expected `last` or an epoch number") }
            self = .number(n)
        }
    }

    /// Every built-in analyzer.
    public static var defaultAnalyzers: [String] { AnalyzerRegistry.builtIn.map(\.id) }

    public var runs: [String]
    public var epoch: EpochChoice
    public var analyzers: [String]
    /// Options: `id.name=value` for one analyzer, `name=value` for every analyzer that has it.
    public var options: [String]
    public var out: String
    public var quiet: Bool
    /// Where `analyzers` are looked up (built-in only by default; the CLI adds the external ones).
    public var registry: AnalyzerRegistry
    /// Seconds an external analyzer may run per call.
    public var timeout: Double

    public init(runs: [String], epoch: EpochChoice = .last, analyzers: [String] = Comparison.defaultAnalyzers, options: [String] = [],
                out: String, quiet: Bool = false, registry: AnalyzerRegistry = .standard, timeout: Double = ExternalAnalyzer.defaultTimeout) {
        self.registry = registry
        self.timeout = timeout
        self.runs = runs
        self.epoch = epoch
        self.analyzers = analyzers
        self.options = options
        self.out = out
        self.quiet = quiet
    }

    /// A pair analyzer's record between the first run and another.
    public struct Pair {
        public var first: String
        public var other: String
        public var record: AnalyzerRunner.Record
    }

    /// One run folder and the dumps chosen from it.
    public struct RunInput {
        public var folder: String
        public var name: String
        /// Epoch → dump path, all dumps found.
        public var dumps: [(epoch: Int, path: String)]
        public var chosen: (epoch: Int, path: String)
        /// Dumps up to the chosen epoch, for the series analyzers.
        public var series: [String] { dumps.filter { $0.epoch <= chosen.epoch }.map(\.path) }
    }

    /// What a finished comparison produced.
    public struct Record {
        public var runs: [RunInput]
        public var results: [String: [String: AnalyzerRunner.Record]]  // run → analyzer → record
        /// Pair analyzers: analyzer → (first run, other run, record) for each other run.
        public var pairs: [String: [Pair]]
        public var metrics: Table
        public var files: [String]
        public var notes: [String]
    }

    // MARK: - Checks before any work

    /// Finds the dumps of every run folder; every problem of every run in one error.
    public func resolveRuns() throws -> [RunInput] {
        guard !runs.isEmpty else { throw LoupeError.invalidInput("compare needs at least one RUN_DIR") }
        var problems: [String] = []
        var out: [RunInput] = []
        var names: [String: Int] = [:]
        for folder in runs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                problems.append("\(folder) is not a run folder (expected RUN_DIR/dumps/epoch-NNNN.h5)")
                continue
            }
            let dumpsFolder = folder + "/" + RunFormat.Run.dumps
            let names_ = (try? FileManager.default.contentsOfDirectory(atPath: dumpsFolder)) ?? []
            let dumps = names_.compactMap { name -> (epoch: Int, path: String)? in
                guard name.hasSuffix(".h5"), !name.hasPrefix("."), let e = DumpFile.epochFromName(String(name.dropLast(3))) else { return nil }
                return (e, dumpsFolder + "/" + name)
            }.sorted { $0.epoch < $1.epoch }
            guard let last = dumps.last else {
                problems.append("\(folder) has no dumps (\(dumpsFolder)/epoch-NNNN.h5, written by `loupe train --dump-epochs` or `loupe probe`)")
                continue
            }
            let chosen: (epoch: Int, path: String)
            switch epoch {
            case .last: chosen = last
            case .number(let n):
                guard let found = dumps.first(where: { $0.epoch == n }) else {
                    problems.append("\(folder) has no dump of epoch \(n) (it has epochs \(dumps.map { String($0.epoch) }.joined(separator: ", ")))")
                    continue
                }
                chosen = found
            }
            var name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
            if let seen = names[name] { names[name] = seen + 1; name += "-\(seen + 1)" } else { names[name] = 1 }
            out.append(RunInput(folder: folder, name: name, dumps: dumps, chosen: chosen))
        }
        if !problems.isEmpty { throw LoupeError.invalidInput(problems.joined(separator: "; ")) }
        return out
    }

    /// The analyzers asked for, known and in registry order of the request.
    public func selectedAnalyzers() throws -> [any Analyzer] {
        guard !analyzers.isEmpty else { throw LoupeError.invalidInput("--analyzers is empty; choose from \(registry.ids.joined(separator: ", "))") }
        var seen = Set<String>()
        return try analyzers.filter { seen.insert($0.lowercased()).inserted }.map { try registry.named($0) }
    }

    /// Splits `id.name=value` / `name=value` into per-analyzer option dictionaries.
    public func optionsByAnalyzer(_ selected: [any Analyzer]) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for word in options {
            let pair = try AnalyzerOptions.parsePairs([word])
            let (key, value) = (pair.keys.first!, pair.values.first!)
            if let dot = key.firstIndex(of: "."), let analyzer = selected.first(where: { $0.id == String(key[..<dot]) }) {
                out[analyzer.id, default: [:]][String(key[key.index(after: dot)...])] = value
                continue
            }
            let takers = selected.filter { a in a.options.contains { AnalyzerOptions.canonical(key, a.options) == $0.name } }
            guard !takers.isEmpty else {
                throw LoupeError.invalidInput("option '\(key)' belongs to none of the selected analyzers (\(selected.map(\.id).joined(separator: ", "))); write ID.\(key)=… for one analyzer")
            }
            for a in takers { out[a.id, default: [:]][key] = value }
        }
        // Unknown names and bad values surface here, before any work.
        for a in selected { _ = try AnalyzerOptions(analyzer: a.id, specs: a.options, given: out[a.id] ?? [:]) }
        return out
    }

    /// The files one analyzer reads from one run.
    func files(for analyzer: any Analyzer, _ run: RunInput) -> [String] {
        analyzer.inputMode == .series ? run.series : [run.chosen.path]
    }
}
