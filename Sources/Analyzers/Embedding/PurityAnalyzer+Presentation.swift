import LoupeCore

extension PurityAnalyzer {
    public static let id = "purity"

    /// summary.json of `purity` (the last file's scores).
    public struct Summary: AnalyzerSummary {
        /// The five metrics against one grouping; nil where a metric is undefined (NaN).
        public struct Metrics: Codable, Sendable {
            public var knnAccuracy: Double?
            public var nmi: Double?
            public var purity: Double?
            public var ari: Double?
            public var silhouette: Double?

            enum CodingKeys: String, CodingKey {
                case knnAccuracy = "knn_accuracy", nmi, purity, ari, silhouette
            }
        }

        public var samples: Int
        public var k: Int
        /// "background colour" or "mean colour"; nil when the file has no nuisance attribute.
        public var nuisance: String?
        public var byClass: Metrics
        /// Against the nuisance groups; nil when the file has no nuisance attribute.
        public var byNuisance: Metrics?
        public var trustworthiness: Double?
        /// "class", "colour" or "neither"; nil without a nuisance.
        public var clustersBy: String?
        /// Says what would enable the nuisance metrics, when they are missing.
        public var nuisanceNote: String?

        enum CodingKeys: String, CodingKey {
            case samples, k, nuisance, trustworthiness
            case byClass = "class", byNuisance = "colour", clustersBy = "clusters_by", nuisanceNote = "nuisance_note"
        }
    }

    public func headline(_ s: Summary) -> [String] {
        let c = s.byClass.knnAccuracy.map { Fmt.g($0) } ?? "—"
        guard let u = s.byNuisance?.knnAccuracy else {
            return ["k-NN accuracy by class \(c); no nuisance attribute, so no colour metrics"]
        }
        return ["k-NN accuracy by class \(c), by colour \(Fmt.g(u))"] + (s.clustersBy.map { ["clusters by \($0)"] } ?? [])
    }

    public var compareColumns: [CompareColumn<Summary>] {
        [
            .number("k-NN acc. (class)", .higherIsBetter, help: "leave-one-out k-NN accuracy in the embedding against the labels") { $0.byClass.knnAccuracy },
            .number("k-NN acc. (colour)", help: "the same against the images' colour binned into as many groups as classes") { $0.byNuisance?.knnAccuracy },
            .number("NMI (class)", .higherIsBetter, help: "normalized mutual information of k-means clusters with the classes") { $0.byClass.nmi },
            .number("NMI (colour)", help: "the same with the colour groups") { $0.byNuisance?.nmi },
            .number("purity (class)", .higherIsBetter, help: "k-means cluster purity against the classes") { $0.byClass.purity },
            .number("purity (colour)", help: "the same against the colour groups") { $0.byNuisance?.purity },
            .number("silhouette (class)", .higherIsBetter, help: "silhouette of the classes in the embedding") { $0.byClass.silhouette },
            .text("clusters by", help: "which of class and colour the neighbours follow more (lift over chance)") { $0.clustersBy },
        ]
    }
}

extension PurityAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        switch fileName {
        case "purity_bars.png":
            return """
            files = [k for k in result if k.startswith("file-")]
            scores = result[max(files, key=lambda k: int(k[5:]))] if files else result
            names = ["k-NN accuracy", "NMI", "purity", "ARI", "silhouette"]
            x = np.arange(len(names))
            ax.bar(x - 0.2, scores["class_metrics"][...], 0.4, label="by class")
            if "colour_metrics" in scores:
                ax.bar(x + 0.2, scores["colour_metrics"][...], 0.4, label="by " + summary["nuisance"])
            ax.set_xticks(x, names)
            ax.set_ylabel("score")
            ax.legend()
            """
        case "purity_epochs.png":
            return """
            rows = summary["per_file"]
            epochs = [r["epoch"] for r in rows]
            for metric, marker in [("knn_accuracy", "o"), ("nmi", "s")]:
                ax.plot(epochs, np.array([r["class"][metric] for r in rows], dtype=float), marker + "-", color="C0", label=metric + " by class")
                if rows[-1]["colour"] is not None:
                    ax.plot(epochs, np.array([r["colour"][metric] for r in rows], dtype=float), marker + "--", color="C1", label=metric + " by colour")
            ax.set_xlabel("epoch")
            ax.set_ylim(-0.02, 1.02)
            ax.legend(fontsize="small")
            """
        default:
            return nil
        }
    }
}
