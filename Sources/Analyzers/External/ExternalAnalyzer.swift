// An analyzer that is a separate program, in any language: an executable `loupe-analyzer-ID` that
// answers `--describe` with its description (AnalyzerDescription's schema) and runs with
// `--run --out SCRATCH [--option name=value]… FILE…`. Loupe does the checking before and after; the
// protocol is in docs/plugins.md. (git, cargo and kubectl find their subcommands the same way.)
import Foundation
import LoupeCore

/// An external analyzer, as its `--describe` declared it.
public struct ExternalAnalyzer: Analyzer {
    /// Executable names start with this; the rest is the id.
    public static let prefix = "loupe-analyzer-"
    /// Seconds a run may take unless `--timeout` says otherwise.
    public static let defaultTimeout: Double = 600

    /// A compare column read from `summary.json` at a dotted key path.
    public struct Column: Sendable, Equatable {
        public var name: String
        /// Dotted path into summary.json (`class.accuracy`; `-1` indexes an array's last item).
        public var key: String
        public var direction: CompareDirection
        public var help: String
    }

    public let id: String
    public let summary: String
    public let requirements: [Requirement]
    public let options: [OptionSpec]
    public let artifacts: [Artifact]
    public let arity: InputArity
    public let needsSameProbe: Bool
    public let inputMode: InputMode
    public let columns: [Column]
    /// Absolute path of the program.
    public let executable: String

    /// Reads a `--describe` answer.
    /// - Throws: `LoupeError.invalidInput` listing every problem with the description.
    public init(describing json: JSONValue, executable: String) throws {
        var problems: [String] = []
        func text(_ key: String, in object: JSONValue = json, required: Bool = true) -> String? {
            if let s = object[key]?.stringValue { return s }
            if required { problems.append("'\(key)' must be a string") }
            return nil
        }
        func list(_ key: String) -> [JSONValue] {
            if case .array(let items)? = json[key] { return items }
            if json[key] != nil { problems.append("'\(key)' must be a list") }
            return []
        }
        let id = text("id") ?? ""
        let expected = URL(fileURLWithPath: executable).lastPathComponent.dropFirst(ExternalAnalyzer.prefix.count)
        if !id.isEmpty && id != String(expected) { problems.append("id '\(id)' differs from the executable's name (\(ExternalAnalyzer.prefix)\(expected))") }
        if !id.isEmpty && !id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) { problems.append("id '\(id)' must be lowercase letters, digits and '-'") }
        if let p = json["protocol"]?.doubleValue, Int(p) > AnalyzerDescription.protocolVersion {
            problems.append("protocol \(Int(p)) is newer than this Loupe speaks (\(AnalyzerDescription.protocolVersion)); upgrade Loupe")
        }
        let arity = AnalyzerDescription.arity(named: json["arity"]?.stringValue ?? "one")
        if arity == nil { problems.append("'arity' must be one, one-or-more or two") }
        let modeName = json["input_mode"]?.stringValue ?? (arity == .two ? "pair" : "snapshot")
        let mode = InputMode(rawValue: modeName)
        if mode == nil { problems.append("'input_mode' must be snapshot, series or pair") }
        if mode == .pair && arity != .two { problems.append("input_mode pair needs arity two") }

        var requirements: [Requirement] = []
        for r in list("requirements") {
            guard case .array(let paths)? = r["paths"], let first = paths.first?.stringValue else { problems.append("a requirement needs 'paths', a list of dataset paths"); continue }
            requirements.append(Requirement(first, or: paths.dropFirst().compactMap(\.stringValue), producer: r["producer"]?.stringValue ?? "",
                                            optional: r["optional"] == .bool(true)))
        }
        var options: [OptionSpec] = []
        for o in list("options") {
            guard let name = text("name", in: o) else { continue }
            options.append(OptionSpec(name, default: o["default"]?.stringValue ?? "", o["help"]?.stringValue ?? ""))
        }
        var artifacts: [Artifact] = []
        for a in list("artifacts") {
            guard let file = text("file", in: a) else { continue }
            if AnalyzerDescription.standardArtifacts.contains(file) { continue }
            if file.contains("/") || file.hasPrefix(".") { problems.append("artifact '\(file)' must be a plain file name"); continue }
            let when = a["when"]?.stringValue
            artifacts.append(Artifact(file, a["what"]?.stringValue ?? file, when: when == "always" ? nil : when, inCompare: a["in_compare"] != .bool(false)))
        }
        var columns: [Column] = []
        for c in list("compare_columns") {
            guard let name = text("name", in: c), let key = text("key", in: c) else { continue }
            let direction = CompareDirection(rawValue: c["direction"]?.stringValue ?? "neutral")
            if direction == nil { problems.append("column '\(name)': direction must be higher-is-better, lower-is-better or neutral") }
            columns.append(Column(name: name, key: key, direction: direction ?? .neutral, help: c["help"]?.stringValue ?? ""))
        }
        let summary = text("summary") ?? ""
        if !problems.isEmpty {
            throw LoupeError.invalidInput("external analyzer \(executable): its --describe answer is unusable: " + problems.joined(separator: "; "))
        }
        self.id = id
        self.summary = summary
        self.requirements = requirements
        self.options = options
        self.artifacts = artifacts
        self.arity = arity ?? .one
        self.needsSameProbe = json["same_probe_set"] == .bool(true)
        self.inputMode = mode ?? .snapshot
        self.columns = columns
        self.executable = executable
    }

    public var compareColumns: [CompareColumn<JSONValue>] {
        columns.map { c in
            CompareColumn(c.name, c.direction, help: c.help) { summary in
                switch summary.at(c.key) {
                case .number(let v)?: v.isFinite ? .number(v) : nil
                case .int(let v)?: .number(Double(v))
                case .string(let s)?: .text(s)
                case .bool(let b)?: .text(b ? "yes" : "no")
                default: nil
                }
            }
        }
    }

    /// The headline: every compare column that has a value.
    public func headline(_ summary: JSONValue) -> [String] {
        compareColumns.compactMap { c in c.value(summary).map { "\(c.name) \($0.formatted)" } }
    }

    /// External analyzers run through `AnalyzerRunner`, which checks their inputs, runs the program in
    /// a scratch folder and checks what it wrote; there is nothing to compute in-process.
    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        throw LoupeError.invalidInput("\(id) is an external analyzer (\(executable)); run it through AnalyzerRunner")
    }
}
