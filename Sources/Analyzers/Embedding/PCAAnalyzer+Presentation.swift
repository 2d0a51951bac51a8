import LoupeCore

extension PCAAnalyzer {
    public static let id = "pca"

    /// summary.json of `pca`.
    public struct Summary: AnalyzerSummary {
        public var components: Int
        /// Of the first (up to) ten components; nil where undefined.
        public var explainedVarianceRatio: [Double?]
        public var samples: Int
        /// R² of PC1 explained by the class labels / by the image colour, when the file has them.
        public var pc1R2Class: Double?
        public var pc1R2Colour: Double?

        enum CodingKeys: String, CodingKey {
            case components, samples
            case explainedVarianceRatio = "explained_variance_ratio", pc1R2Class = "pc1_r2_class", pc1R2Colour = "pc1_r2_colour"
        }
    }

    public func headline(_ s: Summary) -> [String] {
        guard let first = s.explainedVarianceRatio.first ?? nil else { return [] }
        return ["PC1 explains \(Fmt.percent(first))"]
    }

    public var compareColumns: [CompareColumn<Summary>] {
        [
            .number("PC1 R² (colour)", help: "share of PC1's variance explained by the images' mean colour") { $0.pc1R2Colour },
            .number("PC1 R² (class)", help: "share of PC1's variance explained by the class") { $0.pc1R2Class },
        ]
    }
}

extension PCAAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        if fileName == "pca_scree.png" {
            return """
            ratio = result["explained_variance_ratio"][...][:30]
            k = np.arange(1, len(ratio) + 1)
            ax.bar(k, ratio, label="per component")
            ax.plot(k, np.cumsum(ratio), "o-", color="C3", label="cumulative")
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("component")
            ax.set_ylabel("explained variance ratio")
            ax.legend()
            """
        }
        let xy = #"np.column_stack([result["scores"][:, 0], result["scores"][:, 1] if result["scores"].shape[1] > 1 else np.zeros(result["scores"].shape[0])])"#
        return EmbeddingFigures.notebookPlot(fileName, prefix: "pca", xy: xy, axis: ("PC1", "PC2"))
    }
}
