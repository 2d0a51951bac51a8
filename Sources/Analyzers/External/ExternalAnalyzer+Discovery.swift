import Foundation
import LoupeCore

extension ExternalAnalyzer {
    /// Seconds `--describe` may take.
    static let describeTimeout: Double = 30

    /// Where external analyzers are looked for, in order: the folders in `LOUPE_ANALYZER_PATH`
    /// (colon-separated), `~/.local/share/loupe/analyzers`, then `PATH`. The first one found for an id wins.
    public static func searchFolders(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var folders: [String] = []
        if let extra = environment["LOUPE_ANALYZER_PATH"] { folders += extra.split(separator: ":").map(String.init) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        folders.append(home + "/.local/share/loupe/analyzers")
        folders += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        var seen = Set<String>()
        return folders.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Executables named `loupe-analyzer-ID` in the search folders: id → path (first found wins).
    public static func find(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [(id: String, path: String)] {
        var found: [(id: String, path: String)] = []
        for folder in searchFolders(environment) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for name in names where name.hasPrefix(prefix) && name.count > prefix.count {
                let path = URL(fileURLWithPath: folder).appendingPathComponent(name).standardizedFileURL.path
                let id = String(name.dropFirst(prefix.count))
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      FileManager.default.isExecutableFile(atPath: path), !found.contains(where: { $0.id == id }) else { continue }
                found.append((id, path))
            }
        }
        return found
    }

    /// Asks `executable --describe` and reads the answer.
    /// - Throws: `LoupeError.invalidInput` naming the program when it fails, hangs or answers badly.
    public static func describe(_ executable: String) throws -> ExternalAnalyzer {
        let outcome = try Subprocess.run(executable, ["--describe"], timeout: describeTimeout)
        guard let status = outcome.status else {
            throw LoupeError.invalidInput("external analyzer \(executable): --describe did not answer within \(Int(describeTimeout)) s")
        }
        guard status == 0 else {
            throw LoupeError.invalidInput("external analyzer \(executable): --describe exited with status \(status): \(outcome.tail())")
        }
        // Only the JSON object: programs may print warnings around it.
        let text = outcome.output
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else {
            throw LoupeError.invalidInput("external analyzer \(executable): --describe printed no JSON object: \(outcome.tail())")
        }
        let json = try JSONValue.parse(Data(text[open...close].utf8), what: "the --describe answer of \(executable)")
        return try ExternalAnalyzer(describing: json, executable: executable)
    }
}

extension AnalyzerRegistry {
    /// The built-in analyzers and every external one found (see `ExternalAnalyzer.searchFolders`).
    /// Programs that fail `--describe` are left out with a warning.
    public static func discover(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AnalyzerRegistry {
        with(ExternalAnalyzer.find(environment), warnings: [])
    }

    /// The built-in analyzers and the external ones among `ids` (only those programs are asked to describe themselves).
    public static func resolving(_ ids: [String], _ environment: [String: String] = ProcessInfo.processInfo.environment) -> AnalyzerRegistry {
        let builtIn = Set(AnalyzerRegistry.builtIn.map(\.id))
        let wanted = Set(ids.map { $0.lowercased() }).subtracting(builtIn)
        guard !wanted.isEmpty else { return .standard }
        return with(ExternalAnalyzer.find(environment).filter { wanted.contains($0.id) }, warnings: [])
    }

    static func with(_ programs: [(id: String, path: String)], warnings: [String]) -> AnalyzerRegistry {
        var externals: [any Analyzer] = []
        var warnings = warnings
        for program in programs {
            do { externals.append(try ExternalAnalyzer.describe(program.path)) } catch { warnings.append("\(error)") }
        }
        return AnalyzerRegistry(AnalyzerRegistry.builtIn + externals, warnings: warnings)
    }
}
