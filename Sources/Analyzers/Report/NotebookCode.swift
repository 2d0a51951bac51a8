/// The Python of report.ipynb's code cells: a first cell that loads the numbers, and per figure a cell
/// that re-draws it with matplotlib from an analyzer's `notebookPlot` body.
public enum NotebookCode {
    public static let imports = """
    import csv
    import json

    import h5py
    import matplotlib.pyplot as plt
    import numpy as np
    """

    /// A Python string literal.
    public static func quoted(_ s: String) -> String { JSONValue.string(s).serialized() }

    static func indent(_ body: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// The first cell of one analysis' notebook.
    public static func setup(result: String = "result.h5", summary: String = "summary.json") -> String {
        imports + """


        result = h5py.File(\(quoted(result)), "r")
        summary = json.load(open(\(quoted(summary))))
        print(sorted(summary))
        """
    }

    /// One figure from one result.
    public static func figure(_ body: String, title: String, result: String = "result.h5", summary: String = "summary.json") -> String {
        """
        result = h5py.File(\(quoted(result)), "r")
        summary = json.load(open(\(quoted(summary))))
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        \(body)
        ax.set_title(\(quoted(title)))
        plt.show()
        """
    }

    /// One panel per (heading, result.h5, summary.json), side by side.
    public static func panels(_ body: String, _ panels: [(heading: String, result: String, summary: String)]) -> String {
        let list = panels.map { "    (\(quoted($0.heading)), \(quoted($0.result)), \(quoted($0.summary)))," }.joined(separator: "\n")
        return """
        panels = [
        \(list)
        ]
        fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.8), squeeze=False)
        for ax, (heading, result_path, summary_path) in zip(axes[0], panels):
            result = h5py.File(result_path, "r")
            summary = json.load(open(summary_path))
        \(indent(body, by: 4))
            ax.set_title(heading)
        plt.tight_layout()
        plt.show()
        """
    }
}

extension Figure {
    /// This figure with the cell that re-draws it from the result in `folder` (relative to the notebook), when its analyzer can.
    public func redrawn(by analyzer: any Analyzer, from folder: String = ".") -> Figure {
        redrawn(by: analyzer, fileName: fileName, from: folder)
    }

    /// The same for a copy renamed from the analyzer's `fileName`.
    public func redrawn(by analyzer: any Analyzer, fileName original: String, from folder: String) -> Figure {
        guard let body = analyzer.notebookPlot(original) else { return self }
        var f = self
        let prefix = folder == "." ? "" : folder + "/"
        f.code = NotebookCode.figure(body, title: title, result: prefix + "result.h5", summary: prefix + "summary.json")
        return f
    }
}

extension NotebookCode {
    /// Imports, then every referenced result.h5 and summary.json by label: `results[label]`, `summaries[label]`.
    public static func setup(references: [Report.ResultReference]) -> String {
        var lines = [imports, "", "results, summaries = {}, {}"]
        for r in references {
            lines.append("results[\(quoted(r.label))] = h5py.File(\(quoted(r.path)), \"r\")")
            lines.append("summaries[\(quoted(r.label))] = json.load(open(\(quoted(r.summaryPath))))")
        }
        lines.append("print(list(results))")
        return lines.joined(separator: "\n")
    }
}
