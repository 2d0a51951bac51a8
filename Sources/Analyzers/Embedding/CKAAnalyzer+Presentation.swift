import LoupeCore

extension CKAAnalyzer {
    public static let id = "cka"

    /// summary.json of `cka`.
    public struct Summary: AnalyzerSummary {
        /// CKA of the two files' /embedding, when both have one.
        public var embedding: Double?
        public var samples: Int
    }

    public func headline(_ s: Summary) -> [String] { s.embedding.map { ["CKA of the embeddings \(Fmt.g($0))"] } ?? [] }

    public var compareColumns: [CompareColumn<Summary>] {
        [.number("CKA embedding", help: "linear CKA of the embeddings on the shared probe set") { $0.embedding }]
    }
}
