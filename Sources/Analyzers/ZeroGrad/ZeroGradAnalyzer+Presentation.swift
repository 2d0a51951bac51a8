import LoupeCore

// Presentation only; the diagnosis itself lives in ZeroGradDiagnosis.swift.
extension ZeroGradAnalyzer {
    public static let id = "zero-grad"

    /// summary.json of `zero-grad`.
    public struct Summary: AnalyzerSummary {
        public struct Diagnosis: Codable, Sendable {
            public var id: String
            public var title: String?
        }

        /// The top diagnosis' id ("healthy" when nothing is wrong).
        public var diagnosis: String
        /// Every diagnosis, best first.
        public var diagnoses: [Diagnosis]?
        public var layers: [String]?

        /// The top diagnosis' title, else its id.
        public var topTitle: String { diagnoses?.first?.title ?? diagnosis }
    }

    public var inputMode: InputMode { .series }

    public func headline(_ s: Summary) -> [String] { ["diagnosis: \(s.diagnosis)"] }

    public var compareColumns: [CompareColumn<Summary>] {
        [.text("gradients", help: "the zero-gradient detector's top diagnosis") { $0.diagnosis }]
    }
}
