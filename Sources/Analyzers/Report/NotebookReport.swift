import Foundation

/// report.ipynb: a Jupyter notebook (nbformat 4.5) that computes. Its first code cell loads result.h5
/// and summary.json (h5py, json); each figure's cell re-draws it with matplotlib from those arrays where
/// the analyzer says how, and keeps the PNG Loupe drew as its stored output, so the notebook reads well
/// without running. It ends with cells listing what result.h5 holds.
public enum NotebookReport {
    public static let nbformat = 4
    public static let nbformatMinor = 5

    public static func render(_ report: Report) -> String {
        var cells: [JSONValue] = []
        func id() -> String { String(format: "cell-%04d", cells.count + 1) }
        func markdown(_ text: String) { cells.append(markdownCell(text, id: id())) }

        var head = "# \(report.title)\n\n\(report.subtitle)\n"
        for (name, lines) in report.facts {
            head += lines.count == 1 ? "\n**\(name)**: \(lines[0])\n" : "\n**\(name)**:\n" + lines.map { "- \($0)\n" }.joined()
        }
        markdown(head)
        if !report.notes.isEmpty { markdown("**Notes from reading the inputs**\n\n" + report.notes.map { "- \($0)" }.joined(separator: "\n")) }
        cells.append(codeCell(report.setup, id: id()))

        for block in report.blocks {
            switch block {
            case .markdown(let text): markdown(text)
            case .table(let t) where !t.showInReport:
                markdown("**\(t.title)**: \(t.rows.count) rows in `\(t.fileName ?? "")`.")
            case .table(let t):
                markdown("**\(t.title)**\(t.fileName.map { " (`\($0)`)" } ?? "")\n\n\(t.markdown)")
            case .figure(let f):
                markdown("### \(f.title)\n\n\(f.caption)")
                cells.append(figureCell(f, id: id()))
            case .interactive(let map):
                markdown("*\(map.title)*: the interactive version (hover a point to see its probe image) is in `report.html`.")
            }
        }

        if !report.results.isEmpty {
            markdown("## Continue in Python\n\nThe numbers behind this report are in `result.h5` (h5py reads it; every dataset has a `description` attribute) and the headline figures in `summary.json`.")
            for r in report.results {
                var code = """
                import json
                import h5py
                import numpy as np

                result = h5py.File("\(r.path)", "r")
                print({k: (v.decode() if isinstance(v, bytes) else v) for k, v in result.attrs.items()})
                result.visititems(lambda name, obj: print(name, getattr(obj, "shape", ""), getattr(obj, "dtype", "")))
                summary = json.load(open("\(r.summaryPath)"))
                """
                for (i, path) in r.arrays.enumerated() { code += "\narray\(i) = result[\"\(path)\"][...]  # \(path)" }
                if !r.arrays.isEmpty { code += "\narray0.shape, array0.dtype" }
                if report.results.count > 1 { markdown("### \(r.label)") }
                cells.append(codeCell(code, id: id()))
            }
        }

        let notebook: JSONValue = .object([
            ("cells", .array(cells)),
            ("metadata", .object([
                ("kernelspec", .object([("display_name", .string("Python 3")), ("language", .string("python")), ("name", .string("python3"))])),
                ("language_info", .object([("name", .string("python"))])),
                ("loupe", .object([("title", .string(report.title))])),
            ])),
            ("nbformat", .int(nbformat)),
            ("nbformat_minor", .int(nbformatMinor)),
        ])
        return notebook.serialized(pretty: true) + "\n"
    }

    /// nbformat stores text as a list of lines, each but the last ending in "\n".
    static func lines(_ text: String) -> JSONValue {
        var parts = text.components(separatedBy: "\n")
        if parts.last == "" { parts.removeLast() }
        return .array(parts.enumerated().map { i, line in .string(i + 1 < parts.count ? line + "\n" : line) })
    }

    static func markdownCell(_ text: String, id: String) -> JSONValue {
        .object([("cell_type", .string("markdown")), ("id", .string(id)), ("metadata", .object([])), ("source", lines(text))])
    }

    static func codeCell(_ code: String, id: String, outputs: [JSONValue] = []) -> JSONValue {
        .object([("cell_type", .string("code")), ("execution_count", .null), ("id", .string(id)), ("metadata", .object([])),
                 ("outputs", .array(outputs)), ("source", lines(code))])
    }

    /// A code cell that re-draws the figure (or displays the PNG), with the PNG already in its output.
    static func figureCell(_ f: Figure, id: String) -> JSONValue {
        let output: JSONValue = .object([
            ("data", .object([("image/png", .string(f.png.base64EncodedString())), ("text/plain", .array([.string("<\(f.title)>")]))])),
            ("metadata", .object([])),
            ("output_type", .string("display_data")),
        ])
        let code = f.code ?? "# Drawn by Loupe; its numbers are in result.h5 (see the cells at the end).\nfrom IPython.display import Image\nImage(filename=\(NotebookCode.quoted(f.fileName)))"
        return codeCell(code, id: id, outputs: [output])
    }
}
