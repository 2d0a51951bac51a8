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
