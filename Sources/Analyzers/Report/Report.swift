import Foundation

/// What both report writers (notebook and HTML) render: a title, facts about the inputs, reader
/// notes, the analyzer's blocks in order, and where the numbers live for readers who continue in Python.
public struct Report {
    public var title: String
    public var subtitle: String
    /// Facts shown under the title (inputs, options, …): a name and its lines (inline markdown).
    public var facts: [(String, [String])]
    public var notes: [String]
    public var blocks: [ReportBlock]
    /// result.h5 files relative to the report's folder, with a label and a few dataset paths to show.
    public var results: [ResultReference]
    /// The notebook's first code cell: loads the numbers (result.h5, summary.json) for the cells below.
    public var setup: String

    public struct ResultReference {
        public var label: String
        public var path: String
        public var summaryPath: String
        public var arrays: [String]

        public init(label: String, path: String, summaryPath: String, arrays: [String]) {
            self.label = label
            self.path = path
            self.summaryPath = summaryPath
            self.arrays = arrays
        }
    }

    public init(title: String, subtitle: String, facts: [(String, [String])], notes: [String], blocks: [ReportBlock], results: [ResultReference],
                setup: String? = nil) {
        self.setup = setup ?? NotebookCode.setup(references: results)
        self.title = title
        self.subtitle = subtitle
        self.facts = facts
        self.notes = notes
        self.blocks = blocks
        self.results = results
    }

    /// A few arrays worth loading first: numeric matrices before vectors, strings last.
    static func showcase(_ arrays: [ResultArray]) -> [String] {
        func rank(_ a: ResultArray) -> Int {
            if case .strings = a.values { return 2 }
            return a.shape.count >= 2 ? 0 : 1
        }
        return Array(arrays.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element.path).prefix(3))
    }

    /// The report of one `loupe analyze` run.
    init(analyzer: any Analyzer, inputs: AnalyzerInputs, options: AnalyzerOptions, notes: [String], output: AnalyzerOutput) {
        let files = inputs.dumps.map { "`\($0.path)` (\($0.run), epoch \($0.epoch), target \($0.target)\($0.isLoupeFormat ? "" : ", minimal file"))" }
        let optionText = options.values.map { "`\($0.name)=\($0.value)`" }.joined(separator: ", ")
        self.init(title: "Loupe · \(analyzer.id)", subtitle: analyzer.summary,
                  facts: [("Inputs", files), ("Options", [optionText.isEmpty ? "none" : optionText])],
                  notes: notes, blocks: output.blocks.map { block in
                      if case .figure(let f) = block { return .figure(f.redrawn(by: analyzer)) }
                      return block
                  },
                  results: [ResultReference(label: analyzer.id, path: "result.h5", summaryPath: "summary.json",
                                            arrays: Report.showcase(output.arrays))],
                  setup: NotebookCode.setup())
    }
}
