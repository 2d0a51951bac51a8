import LoupeCore

/// The JSON an analyzer is described by: what `loupe analyzers --json` prints for every analyzer, and
/// what an external analyzer answers to `--describe` (docs/plugins.md).
public enum AnalyzerDescription {
    /// The protocol version external analyzers answer with (`"protocol": 1`).
    public static let protocolVersion = 1
    /// Files every analyzer folder holds besides the declared artifacts.
    public static let standardArtifacts = ["result.h5", "summary.json", "report.ipynb", "report.html"]

    public static func arityName(_ a: InputArity) -> String {
        switch a {
        case .one: "one"
        case .oneOrMore: "one-or-more"
        case .two: "two"
        }
    }

    static func arity(named name: String) -> InputArity? {
        switch name {
        case "one": .one
        case "one-or-more": .oneOrMore
        case "two": .two
        default: nil
        }
    }

    /// One analyzer as JSON.
    public static func json(_ a: any Analyzer) -> JSONValue {
        let external = a as? ExternalAnalyzer
        var pairs: [(String, JSONValue)] = [
            ("id", .string(a.id)),
            ("summary", .string(a.summary)),
            ("protocol", .int(protocolVersion)),
            ("inputs", .string(a.arity.description)),
            ("arity", .string(arityName(a.arity))),
            ("input_mode", .string(a.inputMode.rawValue)),
            ("same_probe_set", .bool(a.needsSameProbe)),
            ("requirements", .array(a.requirements.map { r in
                .object([("paths", .strings(r.paths)), ("producer", .string(r.producer)), ("optional", .bool(r.isOptional))])
            })),
            ("options", .array(a.options.map { .object([("name", .string($0.name)), ("default", .string($0.defaultValue)), ("help", .string($0.help))]) })),
            ("artifacts", .array(standardArtifacts.map { .object([("file", .string($0)), ("what", .string("always")), ("when", .string("always"))]) }
                + a.artifacts.map { artifact in
                    .object([("file", .string(artifact.fileName)), ("what", .string(artifact.what)), ("when", .string(artifact.condition ?? "always")),
                             ("in_compare", .bool(artifact.inCompare))])
                })),
            ("compare_columns", .array(a.summaryColumns.enumerated().map { i, c in
                var column: [(String, JSONValue)] = [("name", .string(c.name)), ("direction", .string(c.direction.rawValue)), ("help", .string(c.help))]
                if let key = external?.columns[i].key { column.append(("key", .string(key))) }
                return .object(column)
            })),
        ]
        if let external { pairs.append(("executable", .string(external.executable))) }
        return .object(pairs)
    }
}
