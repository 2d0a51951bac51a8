import Foundation
import LoupeCore

extension AnalyzerRunner {
    /// Writes one analysis into `folder` (created when missing) and returns the paths written.
    func write(_ output: AnalyzerOutput, of analyzer: any Analyzer, inputs: AnalyzerInputs, options: AnalyzerOptions,
               notes: [String], to folder: String) throws -> [String] {
        try ResultFile.check(output, analyzer: analyzer.id)
        try OutputFolder.create(folder)
        var written: [String] = []
        // result.h5 first: it is the file most likely to fail (disk full), and until it succeeds the
        // folder keeps every file of the previous run.
        let resultPath = folder + "/result.h5"
        try ResultFile.write(output, analyzer: analyzer.id, inputs: inputs, options: options, notes: notes, to: resultPath)
        written.append(resultPath)
        for block in output.blocks {
            switch block {
            case .figure(let f):
                try AtomicFile.write(f.png, to: folder + "/" + f.fileName)
                written.append(folder + "/" + f.fileName)
            case .table(let t):
                if let name = t.fileName {
                    try AtomicFile.write(Data(t.csv.utf8), to: folder + "/" + name)
                    written.append(folder + "/" + name)
                }
            default: break
            }
        }

        written += try writeSummaryAndReports(output, of: analyzer, inputs: inputs, options: options, notes: notes, to: folder)
        return written
    }

    /// summary.json (what made it, then the analyzer's own keys), report.ipynb and report.html.
    func writeSummaryAndReports(_ output: AnalyzerOutput, of analyzer: any Analyzer, inputs: AnalyzerInputs, options: AnalyzerOptions,
                                notes: [String], to folder: String) throws -> [String] {
        var summary: JSONValue = .object([
            ("analyzer", .string(analyzer.id)),
            ("inputs", .strings(inputs.dumps.map(\.path))),
            ("epochs", .ints(inputs.dumps.map(\.epoch))),
            ("options", options.json),
        ])
        if !output.seeds.isEmpty { summary.set("seeds", .object(output.seeds.map { ($0.0, .int(Int(truncatingIfNeeded: $0.1))) })) }
        if !notes.isEmpty { summary.set("notes", .strings(notes)) }
        if case .object(let pairs) = output.summary { for (k, v) in pairs { summary.set(k, v) } }
        try AtomicFile.write(Data((summary.serialized(pretty: true) + "\n").utf8), to: folder + "/summary.json")

        let report = Report(analyzer: analyzer, inputs: inputs, options: options, notes: notes, output: output)
        try AtomicFile.write(Data(NotebookReport.render(report).utf8), to: folder + "/report.ipynb")
        try AtomicFile.write(Data(HTMLReport.render(report).utf8), to: folder + "/report.html")
        return ["summary.json", "report.ipynb", "report.html"].map { folder + "/" + $0 }
    }
}

/// Creating output folders with errors a user can act on.
public enum OutputFolder {
    /// Creates `path` and its parents; a file in the way or an unwritable parent is a clear error.
    public static func create(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw LoupeError.io(path: path, message: "exists and is not a folder") }
            guard access(path, W_OK) == 0 else { throw LoupeError.io(path: path, message: "folder is not writable") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LoupeError.io(path: path, message: "cannot create the output folder (\((error as NSError).localizedDescription))")
        }
    }
}

/// result.h5: the numbers, readable by h5py, with what made them.
public enum ResultFile {
    /// Writes `output.arrays` and the root attributes (format, analyzer, options, seeds, inputs) crash-safe.
    /// Every array's values fill its shape and every path is used once.
    public static func check(_ output: AnalyzerOutput, analyzer: String) throws {
        let paths = output.arrays.map(\.path)
        if Set(paths).count != paths.count { throw LoupeError.invalidInput("internal: \(analyzer) wrote a result path twice") }
        for array in output.arrays where array.shape.reduce(1, *) != array.values.count {
            throw LoupeError.invalidInput("internal: \(analyzer) result \(array.path) has \(array.values.count) values for shape \(Shape.text(array.shape))")
        }
    }

    public static func write(_ output: AnalyzerOutput, analyzer: String, inputs: AnalyzerInputs, options: AnalyzerOptions,
                             notes: [String], to path: String) throws {
        try check(output, analyzer: analyzer)
        try HDF5File.writeAtomically(path) { file in
            try RunFormat.stamp(file, format: RunFormat.resultFormat, version: RunFormat.resultVersion)
            try file.setAttribute("analyzer", analyzer)
            try file.setAttribute("options", options.json.serialized())
            try file.setAttribute("seeds", JSONValue.object(output.seeds.map { ($0.0, .int(Int(truncatingIfNeeded: $0.1))) }).serialized())
            try file.setAttribute("inputs", .strings(inputs.dumps.map(\.path)))
            try file.setAttribute("input_epochs", .ints(inputs.dumps.map { Int64($0.epoch) }))
            try file.setAttribute("input_runs", .strings(inputs.dumps.map(\.run)))
            if !notes.isEmpty { try file.setAttribute("notes", .strings(notes)) }
            for (name, value) in output.attributes { try file.setAttribute(name, value) }
            for array in output.arrays { try write(array, into: file) }
        }
    }

    static func write(_ array: ResultArray, into file: HDF5File) throws {
        guard array.shape.reduce(1, *) == array.values.count else {
            throw LoupeError.invalidInput("internal: result \(array.path) has \(array.values.count) values for shape \(Shape.text(array.shape))")
        }
        let dataset: HDF5Dataset
        let compress = array.values.count >= 4096
        let chunk: [Int]? = compress ? [1] + array.shape.dropFirst() : nil
        let compression: HDF5Compression = compress ? .deflate(level: 4, shuffle: true) : .none
        switch array.values {
        case .float32(let v): dataset = try file.write(array.path, v, shape: array.shape, chunk: chunk, compression: compression)
        case .float64(let v): dataset = try file.write(array.path, v, shape: array.shape, chunk: chunk, compression: compression)
        case .int32(let v): dataset = try file.write(array.path, v, shape: array.shape, chunk: chunk, compression: compression)
        case .int64(let v): dataset = try file.write(array.path, v, shape: array.shape, chunk: chunk, compression: compression)
        case .uint8(let v): dataset = try file.write(array.path, v, shape: array.shape, chunk: chunk, compression: compression)
        case .strings(let v): dataset = try file.write(array.path, strings: v)
        }
        for (name, value) in array.attributes { try dataset.setAttribute(name, value) }
    }
}
