import LoupeCore

/// The one list of analyzers: `loupe analyzers` prints it, `loupe analyze ID` looks up in it, and the
/// conformance test runs every entry. (Named `AnalyzerRegistry`, not `Analyzers`, because a type named
/// like its module breaks `Analyzers.X` qualification for every client.)
public enum AnalyzerRegistry {
    public static let all: [any Analyzer] = [
        GradCAMAnalyzer(),
        ZeroGradAnalyzer(),
        TSNEAnalyzer(),
        PCAAnalyzer(),
        PurityAnalyzer(),
        CKAAnalyzer(),
    ]

    /// The analyzer called `id`.
    /// - Throws: `LoupeError.invalidInput` listing the known ids.
    public static func named(_ id: String) throws -> any Analyzer {
        if let a = all.first(where: { $0.id == id.lowercased() }) { return a }
        throw LoupeError.invalidInput("no analyzer '\(id)'; known analyzers: \(all.map(\.id).joined(separator: ", ")) (see `loupe analyzers`)")
    }
}
