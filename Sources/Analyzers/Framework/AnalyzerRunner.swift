import Foundation
import LoupeCore

/// Runs one analyzer: opens and checks every input first, runs the analysis, then writes result.h5,
/// summary.json, the figures, the tables and the two reports into one folder, each file crash-safe.
///
/// Nothing is written until the analysis has succeeded, and every file is written under a temporary
/// name and renamed, so a failure never destroys what an earlier run left in the folder.
public struct AnalyzerRunner {
    public var quiet: Bool
    /// OpenBLAS threads for the analysis; held for the whole run so its numbers do not depend on what
    /// else the process is doing (OpenBLAS results differ between thread counts).
    public var blasThreads: Int
    /// Seconds an external analyzer may run.
    public var timeout: Double

    public init(quiet: Bool = false, blasThreads: Int = ProcessInfo.processInfo.activeProcessorCount, timeout: Double = ExternalAnalyzer.defaultTimeout) {
        self.quiet = quiet
        self.blasThreads = blasThreads
        self.timeout = timeout
    }

    /// What a finished run wrote.
    public struct Record {
        public var analyzer: any Analyzer
        public var output: AnalyzerOutput
        public var inputs: AnalyzerInputs
        public var options: AnalyzerOptions
        public var folder: String
        /// Paths of every file written, in writing order.
        public var files: [String]
        /// Reader notes (defaults used for minimal files).
        public var notes: [String]
    }

    /// `analyze ID FILE… --out DIR`.
    @discardableResult
    public func run(_ analyzer: any Analyzer, files: [String], options given: [String: String], out folder: String) throws -> Record {
        let options = try AnalyzerOptions(analyzer: analyzer.id, specs: analyzer.options, given: given)
        let inputs = try prepare(analyzer, files: files, options: options)
        if let external = analyzer as? ExternalAnalyzer {
            return try runExternal(external, inputs: inputs, options: options, out: folder)
        }
        let output = try BLAS.withThreads(blasThreads) { try analyzer.run(inputs: inputs, options: options) }
        try checkDeclared(analyzer, output)
        do { _ = try analyzer.typedSummary(output.summary) } catch { throw LoupeError.invalidInput("internal: \(error)") }
        let notes = inputs.dumps.flatMap(\.notes) + output.warnings
        let written = try write(output, of: analyzer, inputs: inputs, options: options, notes: notes, to: folder)
        return Record(analyzer: analyzer, output: output, inputs: inputs, options: options, folder: folder, files: written, notes: notes)
    }

    /// Opens the files and checks, before any work: their number, every requirement of every file
    /// (all missing datasets reported together), shapes, and a shared probe set where one is needed.
    public func prepare(_ analyzer: any Analyzer, files: [String], options: AnalyzerOptions) throws -> AnalyzerInputs {
        guard analyzer.arity.accepts(files.count) else {
            throw LoupeError.invalidInput("\(analyzer.id) takes \(analyzer.arity), got \(files.count)")
        }
        var dumps: [DumpFile] = []
        var openErrors: [String] = []
        for f in files {
            do { dumps.append(try DumpFile(f)) } catch { openErrors.append("\(error)") }
        }
        if !openErrors.isEmpty { throw LoupeError.invalidInput(openErrors.joined(separator: "; ")) }

        var missing: [MissingInputs.Item] = []
        var resolved: [[String: [String]]] = []
        for dump in dumps {
            let values = try analyzer.placeholders(for: dump, options: options)
            resolved.append(values)
            var mine: [MissingInputs.Item] = []
            for requirement in analyzer.requirements where !requirement.isOptional {
                let expanded = AnalyzerRunner.expand(requirement, values)
                for alternatives in expanded where !alternatives.contains(where: dump.has) {
                    mine.append(.init(file: dump.path, path: alternatives.count == 1 ? alternatives[0] : "one of " + alternatives.joined(separator: ", "),
                                      producer: requirement.producer))
                }
            }
            missing += AnalyzerRunner.pruneUnresolved(mine, dump)
        }
        if !missing.isEmpty { throw MissingInputs(analyzer: analyzer.id, items: missing) }

        let inputs = AnalyzerInputs(dumps: dumps, resolved: resolved, quiet: quiet)
        try validateShapes(analyzer, inputs)
        if analyzer.needsSameProbe && dumps.count > 1 { try requireSameProbe(dumps, analyzer: analyzer.id) }
        try analyzer.validate(inputs: inputs, options: options)
        return inputs
    }

    /// A requirement's paths with placeholders substituted: one list of alternatives per value.
    /// A placeholder with no value stays as written (so it is reported as missing).
    static func expand(_ requirement: Requirement, _ values: [String: [String]]) -> [[String]] {
        var combos: [[String]] = [requirement.paths]
        for (name, list) in values where requirement.paths.contains(where: { $0.contains("<\(name)>") }) {
            guard !list.isEmpty else { continue }
            combos = combos.flatMap { alternatives in
                list.map { value in alternatives.map { $0.replacingOccurrences(of: "<\(name)>", with: value) } }
            }
        }
        return combos
    }

    /// A pattern such as `/activations/<layer>` stays unresolved when no layer qualifies. Report only
    /// the patterns whose group is empty (the real gap); when every group has datasets but no layer is
    /// in all of them, report them all and say so.
    static func pruneUnresolved(_ items: [MissingInputs.Item], _ dump: DumpFile) -> [MissingInputs.Item] {
        let patterns = items.filter { $0.path.contains("<") }
        guard !patterns.isEmpty else { return items }
        func groupIsEmpty(_ path: String) -> Bool {
            let group = String(path[..<(path.range(of: "/<")?.lowerBound ?? path.endIndex)])
            return dump.datasetNames(under: group).isEmpty
        }
        let empty = patterns.filter { groupIsEmpty($0.path) }
        if empty.isEmpty {
            return items.map { item in
                guard item.path.contains("<") else { return item }
                var hinted = item
                hinted.producer += "; no layer has all of " + patterns.map(\.path).joined(separator: ", ")
                return hinted
            }
        }
        return items.filter { !$0.path.contains("<") || groupIsEmpty($0.path) }
    }

    /// Figures and tables must be declared artifacts, so `loupe analyzers` tells the truth.
    func checkDeclared(_ analyzer: any Analyzer, _ output: AnalyzerOutput) throws {
        let declared = Set(analyzer.artifacts.map(\.fileName))
        let undeclared = output.fileNames.filter { !declared.contains($0) }
        if !undeclared.isEmpty {
            throw LoupeError.invalidInput("internal: \(analyzer.id) produced undeclared artifacts \(undeclared.joined(separator: ", "))")
        }
        let names = output.fileNames
        if Set(names).count != names.count { throw LoupeError.invalidInput("internal: \(analyzer.id) produced a file name twice") }
    }
}

/// Every dataset an analyzer needs and the files lack, in one error.
public struct MissingInputs: Error, CustomStringConvertible {
    public struct Item: Equatable, Sendable {
        public var file: String
        public var path: String
        public var producer: String
    }

    public var analyzer: String
    public var items: [Item]

    /// One line: `gradcam needs datasets missing from a.h5: /x (written by …), /y (…); b.h5: …`.
    public var description: String {
        var byFile: [(String, [Item])] = []
        for item in items {
            if let i = byFile.firstIndex(where: { $0.0 == item.file }) { byFile[i].1.append(item) } else { byFile.append((item.file, [item])) }
        }
        let parts = byFile.map { file, items in
            file + ": " + items.map { "\($0.path) (\($0.producer))" }.joined(separator: ", ")
        }
        return "\(analyzer) needs \(items.count) dataset\(items.count == 1 ? "" : "s") missing from " + parts.joined(separator: "; ")
    }
}
