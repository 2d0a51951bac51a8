import Foundation
import LoupeCore

extension AnalyzerRunner {
    /// Runs an external analyzer whose inputs `prepare` has checked: the program writes into a scratch
    /// folder beside `out`; Loupe checks what it wrote (result.h5 in the loupe-result format, summary.json,
    /// the declared artifacts and nothing else), adds summary.json's standard keys and the reports, and
    /// moves the folder into place. Any failure removes the scratch folder and leaves `out` as it was.
    func runExternal(_ plugin: ExternalAnalyzer, inputs: AnalyzerInputs, options: AnalyzerOptions, out folder: String) throws -> Record {
        let target = URL(fileURLWithPath: folder).standardizedFileURL
        let parent = target.deletingLastPathComponent().path
        try OutputFolder.create(parent)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw LoupeError.io(path: folder, message: "exists and is not a folder")
        }
        let scratch = parent + "/." + target.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        var moved = false
        defer { if !moved { try? FileManager.default.removeItem(atPath: scratch) } }
        let name = "external analyzer \(plugin.id) (\(plugin.executable))"

        let arguments = ["--run", "--out", scratch] + options.values.flatMap { ["--option", "\($0.name)=\($0.value)"] } + inputs.dumps.map(\.path)
        if !quiet { FileHandle.standardError.write(Data("\(plugin.id): running \(plugin.executable)\n".utf8)) }
        let outcome = try Subprocess.run(plugin.executable, arguments, timeout: timeout)
        guard let status = outcome.status else {
            throw LoupeError.invalidInput("\(name) did not finish within \(Fmt.g(timeout)) s and was stopped (raise --timeout if it needs longer); nothing was written. Its last output: \(outcome.tail())")
        }
        guard status == 0, outcome.signal == nil else {
            throw LoupeError.invalidInput("\(name) \(outcome.signal.map { "was killed by signal \($0)" } ?? "exited with status \(status)"); nothing was written. Its last output: \(outcome.tail())")
        }
        let output = try checkExternalOutput(plugin, scratch: scratch, name: name)

        let notes = inputs.dumps.flatMap(\.notes)
        _ = try writeSummaryAndReports(output, of: plugin, inputs: inputs, options: options, notes: notes, to: scratch)
        try AnalyzerRunner.replaceFolder(target.path, with: scratch)
        moved = true
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []).sorted().map { target.path + "/" + $0 }
        return Record(analyzer: plugin, output: output, inputs: inputs, options: options, folder: folder, files: files, notes: notes)
    }

    /// What a plugin left in its scratch folder, checked, as an AnalyzerOutput for the reports.
    func checkExternalOutput(_ plugin: ExternalAnalyzer, scratch: String, name: String) throws -> AnalyzerOutput {
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [])
        var problems: [String] = []
        for required in ["result.h5", "summary.json"] where !present.contains(required) { problems.append("it wrote no \(required)") }
        for a in plugin.artifacts where a.condition == nil && !present.contains(a.fileName) { problems.append("it wrote no \(a.fileName) (declared always)") }
        let allowed = Set(["result.h5", "summary.json"] + plugin.artifacts.map(\.fileName))
        let extra = present.subtracting(allowed).sorted()
        if !extra.isEmpty { problems.append("it wrote undeclared files \(extra.joined(separator: ", ")) (declare them as artifacts in --describe)") }
        guard problems.isEmpty else { throw LoupeError.invalidInput("\(name): " + problems.joined(separator: "; ") + "; nothing was written") }

        var output = AnalyzerOutput()
        do {
            let result = try HDF5File.open(scratch + "/result.h5")
            try RunFormat.requireFormat(result, RunFormat.resultFormat, supported: RunFormat.resultVersion)
            let analyzer = try result.attribute("analyzer")?.stringValue
            guard analyzer == plugin.id else {
                throw LoupeError.invalidInput("its result.h5 has analyzer attribute '\(analyzer ?? "none")', expected '\(plugin.id)'")
            }
            // Paths and shapes only: the reports show where the numbers are; the values stay in the file.
            output.arrays = AnalyzerRunner.datasets(try HDF5Tree(file: result).root).map { ResultArray($0.path, .float32([]), shape: $0.shape ?? []) }
        } catch {
            throw LoupeError.invalidInput("\(name): result.h5 is not a loupe-result file: \(error); nothing was written")
        }
        let summary: JSONValue
        do {
            summary = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: scratch + "/summary.json")), what: "summary.json")
            guard case .object = summary else { throw LoupeError.invalidInput("summary.json must hold a JSON object") }
        } catch {
            throw LoupeError.invalidInput("\(name): \(error); nothing was written")
        }
        output.summary = summary
        let lines = plugin.headline(summary)
        if !lines.isEmpty { output.markdown(lines.map { "- \($0)" }.joined(separator: "\n")) }
        for a in plugin.artifacts where present.contains(a.fileName) {
            let path = scratch + "/" + a.fileName
            if a.fileName.lowercased().hasSuffix(".png") {
                let png = try Data(contentsOf: URL(fileURLWithPath: path))
                guard (try? Image.decode(png)) != nil else { throw LoupeError.invalidInput("\(name): \(a.fileName) is not a readable PNG; nothing was written") }
                output.figure(Figure(fileName: a.fileName, png: png, title: a.what, caption: ""))
            } else {
                output.markdown("`\(a.fileName)`: \(a.what).")
            }
        }
        return output
    }

    static func datasets(_ node: HDF5Tree.Node) -> [HDF5Tree.Node] {
        node.kind == "dataset" ? [node] : (node.children ?? []).flatMap(datasets)
    }

    /// Puts `scratch` where `target` is: a rename when `target` is absent; otherwise the old folder is
    /// renamed aside first and removed once the new one is in place (restored if that rename fails).
    static func replaceFolder(_ target: String, with scratch: String) throws {
        guard FileManager.default.fileExists(atPath: target) else {
            guard rename(scratch, target) == 0 else { throw LoupeError.io(path: target, message: "cannot move the output into place (\(String(cString: strerror(errno))))") }
            return
        }
        let aside = scratch + "-old"
        guard rename(target, aside) == 0 else { throw LoupeError.io(path: target, message: "cannot replace the folder (\(String(cString: strerror(errno))))") }
        guard rename(scratch, target) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside, target)
            throw LoupeError.io(path: target, message: "cannot move the output into place (\(reason))")
        }
        try? FileManager.default.removeItem(atPath: aside)
    }
}
