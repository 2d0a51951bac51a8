import LoupeCore

extension TSNEAnalyzer {
    public static let id = "tsne"

    /// summary.json of `tsne`.
    public struct Summary: AnalyzerSummary {
        /// Final KL divergence of the map; nil if not finite.
        public var kl: Double?
        public var samples: Int
        public var perplexity: Double?
    }

    public func headline(_ s: Summary) -> [String] { s.kl.map { ["KL \(Fmt.g($0))"] } ?? [] }

    public var compareColumns: [CompareColumn<Summary>] {
        [.number("t-SNE KL", help: "final KL divergence of the t-SNE map (lower fits the neighbourhoods better; comparable only at equal N and perplexity)") { $0.kl }]
    }
}
