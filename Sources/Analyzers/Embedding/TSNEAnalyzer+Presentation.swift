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

extension TSNEAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        if fileName == "tsne_kl.png" {
            return """
            ax.plot(result["kl_history/iteration"][...], result["kl_history/kl"][...])
            ax.set_xlabel("iteration")
            ax.set_ylabel("KL divergence")
            """
        }
        return EmbeddingFigures.notebookPlot(fileName, prefix: "tsne", xy: #"result["embedding"][...]"#, axis: ("t-SNE 1", "t-SNE 2"))
    }
}
