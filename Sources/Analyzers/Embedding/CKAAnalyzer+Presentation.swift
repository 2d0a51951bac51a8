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

extension CKAAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        guard fileName == "cka_heatmap.png" else { return nil }
        return """
        names = list(result["representations"].asstr()[...])
        image = ax.imshow(result["cka"][...], vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(names)), names, rotation=90)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("second file")
        ax.set_ylabel("first file")
        plt.colorbar(image, ax=ax, label="linear CKA")
        """
    }
}
