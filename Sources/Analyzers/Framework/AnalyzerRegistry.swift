import LoupeCore

/// The list of analyzers: `loupe analyzers` prints it, `loupe analyze ID` and `loupe compare` look up in
/// it, and the conformance test runs every built-in entry. Adding an analyzer is one line in `builtIn`
/// (or, for a program in any language, an executable `loupe-analyzer-ID`: see `discover`).
/// (Named `AnalyzerRegistry`, not `Analyzers`, because a type named like its module breaks
/// `Analyzers.X` qualification for every client.)
public struct AnalyzerRegistry: Sendable {
    /// The analyzers built into Loupe, one line each.
    public static let builtIn: [any Analyzer] = [
        GradCAMAnalyzer(),
        ZeroGradAnalyzer(),
        TSNEAnalyzer(),
        PCAAnalyzer(),
        PurityAnalyzer(),
        CKAAnalyzer(),
    ]

    /// The built-in analyzers only (no external programs looked up).
    public static let standard = AnalyzerRegistry(builtIn)

    /// The built-in analyzers.
    public static var all: [any Analyzer] { standard.analyzers }

    /// The built-in analyzer called `id`.
    public static func named(_ id: String) throws -> any Analyzer { try standard.named(id) }

    public var analyzers: [any Analyzer]
    /// Why some external analyzers found were left out (bad `--describe`, id taken), for a warning.
    public var warnings: [String]

    /// A registry of `analyzers`; a later analyzer with an id already taken is left out with a warning.
    public init(_ analyzers: [any Analyzer], warnings: [String] = []) {
        var kept: [any Analyzer] = []
        var warnings = warnings
        for a in analyzers {
            if let taken = kept.first(where: { $0.id == a.id }) {
                warnings.append("analyzer '\(a.id)' (\(AnalyzerRegistry.origin(a))) left out: the id is taken by \(AnalyzerRegistry.origin(taken))")
            } else {
                kept.append(a)
            }
        }
        self.analyzers = kept
        self.warnings = warnings
    }

    public var ids: [String] { analyzers.map(\.id) }

    /// The analyzer called `id`.
    /// - Throws: `LoupeError.invalidInput` listing the known ids.
    public func named(_ id: String) throws -> any Analyzer {
        if let a = analyzers.first(where: { $0.id == id.lowercased() }) { return a }
        throw LoupeError.invalidInput("no analyzer '\(id)'; known analyzers: \(ids.joined(separator: ", ")) (see `loupe analyzers`; external analyzers are executables named loupe-analyzer-ID on PATH, in ~/.local/share/loupe/analyzers or in LOUPE_ANALYZER_PATH)")
    }

    static func origin(_ a: any Analyzer) -> String {
        (a as? ExternalAnalyzer).map { "the external analyzer \($0.executable)" } ?? "a built-in analyzer"
    }
}
