// What an analyzer says about its results, declared next to its requirements: a typed summary, the
// headline `loupe analyze` prints, the columns it adds to `loupe compare`, and how compare feeds it.
// Comparison, Analyze and the demo read these generically, so no analyzer id is spelled outside the
// analyzer's own folder and the registry.
import Foundation
import LoupeCore

/// How `loupe compare` feeds an analyzer.
public enum InputMode: String, Sendable, Equatable, CaseIterable {
    /// One dump per run: the chosen epoch.
    case snapshot
    /// Every dump of a run up to the chosen epoch (change over training).
    case series
    /// The first run's chosen dump against each other run's (same probe set).
    case pair
}

/// The typed content of an analyzer's `summary.json`. Decoding ignores keys it does not name, and the
/// runner decodes every summary an analyzer returns, so a renamed or missing key fails the run loudly
/// instead of turning a number into "—".
public protocol AnalyzerSummary: Codable, Sendable {}

/// One cell of the compare table: a number (formatted by the table) or text.
public enum CompareValue: Sendable, Equatable {
    case number(Double)
    case text(String)

    public var formatted: String {
        switch self {
        case .number(let v): Fmt.g(v)
        case .text(let s): s
        }
    }

    public var json: JSONValue {
        switch self {
        case .number(let v): .double(v)
        case .text(let s): .string(s)
        }
    }
}

/// Whether a larger number is better (compare marks the best run), a smaller one, or neither.
public enum CompareDirection: String, Sendable, Equatable {
    case higherIsBetter = "higher-is-better"
    case lowerIsBetter = "lower-is-better"
    case neutral
}

/// A column an analyzer adds to `loupe compare`'s metrics table, computed from its typed summary.
public struct CompareColumn<Summary>: Sendable {
    public typealias Direction = CompareDirection

    public var name: String
    public var direction: Direction
    /// One sentence for the table's glossary.
    public var help: String
    public var value: @Sendable (Summary) -> CompareValue?

    public init(_ name: String, _ direction: Direction = .neutral, help: String, value: @escaping @Sendable (Summary) -> CompareValue?) {
        self.name = name
        self.direction = direction
        self.help = help
        self.value = value
    }

    /// A number column; NaN or nil shows as "—".
    public static func number(_ name: String, _ direction: Direction = .neutral, help: String,
                              _ value: @escaping @Sendable (Summary) -> Double?) -> CompareColumn {
        CompareColumn(name, direction, help: help) { s in value(s).flatMap { $0.isFinite ? .number($0) : nil } }
    }

    /// A text column.
    public static func text(_ name: String, help: String, _ value: @escaping @Sendable (Summary) -> String?) -> CompareColumn {
        CompareColumn(name, .neutral, help: help) { s in value(s).map { .text($0) } }
    }
}

/// A compare column with the summary type erased: it reads the summary as JSON.
public typealias SummaryColumn = CompareColumn<JSONValue>

extension CompareDirection {
    /// An arrow for table headers: ↑ higher is better, ↓ lower is better.
    public var arrow: String {
        switch self {
        case .higherIsBetter: " ↑"
        case .lowerIsBetter: " ↓"
        case .neutral: ""
        }
    }
}

/// JSON decoding of summaries, shared by every analyzer.
public enum SummaryCoding {
    /// Decodes `json` (NaN and ±∞ are already `null`) as `type`.
    /// - Throws: `LoupeError.invalidInput` naming the analyzer and the decoder's complaint.
    public static func decode<S: Decodable>(_ type: S.Type, from json: JSONValue, analyzer: String) throws -> S {
        do {
            return try JSONDecoder().decode(S.self, from: Data(json.serialized().utf8))
        } catch let error as DecodingError {
            throw LoupeError.invalidInput("\(analyzer): summary does not match its declared type \(S.self): \(describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.isEmpty ? "the top level" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let c): return "no key '\(path(c.codingPath + [key]))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

extension Analyzer {
    /// The summary an analyzer returned, decoded as its declared type.
    public func typedSummary(_ json: JSONValue) throws -> Summary {
        if let same = json as? Summary { return same }
        return try SummaryCoding.decode(Summary.self, from: json, analyzer: id)
    }

    /// The headline lines for a summary; none when it does not decode.
    public func headlineLines(_ json: JSONValue) -> [String] {
        (try? typedSummary(json)).map(headline) ?? []
    }

    /// The compare columns, reading a summary as JSON.
    public var summaryColumns: [SummaryColumn] {
        compareColumns.map { column in
            SummaryColumn(column.name, column.direction, help: column.help) { json in
                (try? self.typedSummary(json)).flatMap(column.value)
            }
        }
    }
}

extension AnalyzerRunner.Record {
    /// This record's summary as `analyzer`'s typed summary.
    /// - Throws: when the record is another analyzer's, or its summary does not decode.
    public func summary<A: Analyzer>(_ analyzer: A) throws -> A.Summary {
        guard self.analyzer.id == analyzer.id else {
            throw LoupeError.invalidInput("internal: asked for \(analyzer.id)'s summary of a \(self.analyzer.id) record")
        }
        return try analyzer.typedSummary(output.summary)
    }
}
