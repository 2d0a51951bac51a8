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

extension ZeroGradAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        if fileName == "zero_grad_margin.png" {
            return """
            layer = result["layers"].asstr()[-1]
            groups = sorted(k for k in result if k.startswith("epoch-") and "margin" in result[k] and layer in result[k])
            for i, group in enumerate(groups):
                margin = result[group + "/margin"][...]
                size = result[group + "/" + layer + "/max_abs"][...]
                zero = size == 0
                ax.scatter(margin[~zero], np.log10(size[~zero]), s=12, color=f"C{i}", label=group)
                if zero.any():
                    floor = np.log10(size[~zero]).min() - 2 if (~zero).any() else -10
                    ax.scatter(margin[zero], np.full(zero.sum(), floor), s=12, facecolors="none", edgecolors=f"C{i}")
            ax.set_xlabel("logit margin  z_y - max_j z_j")
            ax.set_ylabel("log10 max |gradient| at " + layer)
            ax.legend(fontsize="small")
            """
        }
        guard fileName == "zero_grad_heatmap.png" else { return nil }
        return """
        share = result["zero_or_vanishing_fraction"][...]
        layers = list(result["layers"].asstr()[...])
        epochs = list(result["epochs"][...])
        image = ax.imshow(share, vmin=0, vmax=1, cmap="magma", aspect="auto")
        ax.set_yticks(range(len(layers)), layers)
        ax.set_xticks(range(len(epochs)), epochs)
        ax.set_xlabel("epoch (file)")
        plt.colorbar(image, ax=ax, label="share of samples with zero or vanishing gradients")
        """
    }
}
