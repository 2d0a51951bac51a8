import Foundation
import LoupeCore

/// An analyzer's options after parsing: every declared option has a value (given or default); unknown
/// names and malformed values are errors that name the option and what it accepts.
public struct AnalyzerOptions: Sendable, Equatable {
    public let analyzer: String
    /// Every declared option, in declaration order, with its value.
    public let values: [(name: String, value: String)]
    /// Names given explicitly (not defaulted).
    public let given: Set<String>

    public static func == (a: AnalyzerOptions, b: AnalyzerOptions) -> Bool {
        a.analyzer == b.analyzer && a.values.map(\.name) == b.values.map(\.name) && a.values.map(\.value) == b.values.map(\.value)
    }

    /// - Parameter given: `name → value` as typed by the user (`--option name=value`).
    /// - Throws: `LoupeError.invalidInput` for an unknown name, listing the valid ones.
    public init(analyzer: String, specs: [OptionSpec], given: [String: String]) throws {
        self.analyzer = analyzer
        let known = Set(specs.map(\.name))
        let unknown = given.keys.filter { !known.contains(Self.canonical($0, specs)) }.sorted()
        if !unknown.isEmpty {
            let valid = specs.map(\.name).joined(separator: ", ")
            throw LoupeError.invalidInput("\(analyzer) has no option \(unknown.map { "'\($0)'" }.joined(separator: ", ")); its options are: \(valid.isEmpty ? "(none)" : valid)")
        }
        var normalized: [String: String] = [:]
        for (k, v) in given { normalized[Self.canonical(k, specs)] = v }
        values = specs.map { ($0.name, normalized[$0.name] ?? $0.defaultValue) }
        self.given = Set(normalized.keys)
    }

    /// `max_images` and `max-images` name the same option.
    static func canonical(_ name: String, _ specs: [OptionSpec]) -> String {
        let n = name.replacingOccurrences(of: "_", with: "-")
        return specs.first { $0.name.replacingOccurrences(of: "_", with: "-") == n }?.name ?? name
    }

    /// Parses `k=v` words.
    public static func parsePairs(_ words: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for w in words {
            guard let eq = w.firstIndex(of: "="), eq != w.startIndex else {
                throw LoupeError.invalidInput("option '\(w)' is not of the form name=value (e.g. perplexity=20)")
            }
            let key = String(w[..<eq]).trimmingCharacters(in: .whitespaces)
            if out[key] != nil { throw LoupeError.invalidInput("option '\(key)' given twice") }
            out[key] = String(w[w.index(after: eq)...])
        }
        return out
    }

    public func string(_ name: String) -> String {
        guard let v = values.first(where: { $0.name == name }) else { preconditionFailure("\(analyzer) reads undeclared option '\(name)'") }
        return v.value
    }

    public func int(_ name: String, min: Int? = nil) throws -> Int {
        guard let v = Int(string(name).trimmingCharacters(in: .whitespaces)) else {
            throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): expected a whole number")
        }
        if let min, v < min { throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): must be at least \(min)") }
        return v
    }

    public func double(_ name: String, min: Double? = nil, max: Double? = nil) throws -> Double {
        guard let v = Double(string(name).trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): expected a number")
        }
        if let min, v < min { throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): must be at least \(min)") }
        if let max, v > max { throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): must be at most \(max)") }
        return v
    }

    public func seed(_ name: String = "seed") throws -> UInt64 {
        guard let v = UInt64(string(name).trimmingCharacters(in: .whitespaces)) else {
            throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): expected a non-negative whole number")
        }
        return v
    }

    public func bool(_ name: String) throws -> Bool {
        switch string(name).lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): expected true or false")
        }
    }

    /// One of `choices`.
    public func choice(_ name: String, _ choices: [String]) throws -> String {
        let v = string(name).lowercased()
        guard choices.contains(v) else {
            throw LoupeError.invalidInput("option \(name)=\(string(name)) of \(analyzer): expected one of \(choices.joined(separator: ", "))")
        }
        return v
    }

    /// Comma-separated words, empty ones dropped.
    public func list(_ name: String) -> [String] {
        string(name).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `name=value` pairs as JSON, for result.h5 and the reports.
    public var json: JSONValue { .object(values.map { ($0.name, .string($0.value)) }) }
}

/// `all`, `last`, `first`, or a comma list of names and globs (`layer3.*`), matched against the layers
/// a file has.
public struct LayerSelection: Sendable {
    public let words: [String]

    public init(_ text: String) {
        words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The selected names, in `candidates` order. A name or glob that matches nothing is kept as
    /// written so that the caller reports exactly what is missing; `all`/`last` with no candidates
    /// give an empty list.
    public func resolve(_ candidates: [String]) -> [String] {
        var out: [String] = []
        for w in words.isEmpty ? ["last"] : words {
            switch w.lowercased() {
            case "all", "*": out += candidates
            case "last": if let l = candidates.last { out.append(l) }
            case "first": if let f = candidates.first { out.append(f) }
            default:
                if w.contains("*") || w.contains("?") || w.contains("[") {
                    let matched = candidates.filter { fnmatch(w, $0, 0) == 0 }
                    out += matched.isEmpty ? [w] : matched
                } else {
                    out.append(w)
                }
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}
