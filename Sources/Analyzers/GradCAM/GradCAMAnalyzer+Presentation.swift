import LoupeCore

extension GradCAMAnalyzer {
    public static let id = "gradcam"

    /// summary.json of `gradcam`.
    public struct Summary: AnalyzerSummary {
        /// Scores of the first layer against the object boxes or masks, when the dumps have them.
        public struct Attention: Codable, Sendable {
            public var layer: String
            public var source: String
            public var epochs: [Int]
            /// Share of CAM energy inside the object, per epoch.
            public var energyInside: [Double?]
            public var pointingHitRate: [Double?]
            /// The object's share of the image: the energy share of a map that ignores the object.
            public var chance: Double?

            enum CodingKeys: String, CodingKey {
                case layer, source, epochs, chance
                case energyInside = "energy_inside", pointingHitRate = "pointing_hit_rate"
            }
        }

        public var layers: [String]
        public var samples: Int
        public var attentionOnObject: Attention?

        enum CodingKeys: String, CodingKey {
            case layers, samples
            case attentionOnObject = "attention_on_object"
        }
    }

    public var inputMode: InputMode { .series }

    public func headline(_ s: Summary) -> [String] {
        guard let last = s.attentionOnObject?.energyInside.last ?? nil else { return [] }
        return ["CAM energy on the object \(Fmt.g(last))"]
    }

    public var compareColumns: [CompareColumn<Summary>] {
        [.number("CAM energy on object", .higherIsBetter, help: "share of Grad-CAM energy inside the object at the last epoch") { $0.attentionOnObject?.energyInside.last ?? nil }]
    }
}

extension GradCAMAnalyzer {
    public func notebookPlot(_ fileName: String) -> String? {
        // The CAMs at the layer's resolution, each scaled to [0, 1]; the probe images stay in the dumps.
        let maps = """
        layer = result["layers"].asstr()[0]
        groups = sorted(k for k in result if k.startswith("epoch-"))
        def scaled(cams):
            peak = cams.reshape(len(cams), -1).max(axis=1)
            return cams / np.where(peak > 0, peak, 1)[:, None, None]
        """
        switch fileName {
        case "gradcam_overlays.png":
            return maps + """

            import os
            cams = scaled(result[groups[-1] + "/" + layer + "/cam"][:8])
            # The probe images are in the latest dump (summary.json names the inputs): CAMs go over them,
            # upsampled to the image by nearest neighbour; without the dump, the CAMs alone.
            latest = summary["inputs"][int(np.argmax(summary["epochs"]))]
            if os.path.exists(latest):
                images = h5py.File(latest, "r")["probe/images"][:len(cams)]
                s = images.shape[1]
                up = [c[np.ix_(np.arange(s) * c.shape[0] // s, np.arange(s) * c.shape[1] // s)] for c in cams]
                ax.imshow(np.concatenate(list(images), axis=1).squeeze(), cmap="gray")
                ax.imshow(np.concatenate(up, axis=1), cmap="jet", vmin=0, vmax=1, alpha=0.45)
            else:
                ax.imshow(np.concatenate(list(cams), axis=1), cmap="jet", vmin=0, vmax=1)
            ax.set_axis_off()
            ax.text(0, -0.5, f"{layer}, {groups[-1]}: the first {len(cams)} probe samples", fontsize="small")
            """
        case "gradcam_epochs.png":
            return maps + """

            rows = [np.concatenate(list(scaled(result[g + "/" + layer + "/cam"][:6])), axis=1) for g in groups]
            ax.imshow(np.concatenate(rows, axis=0), cmap="jet", vmin=0, vmax=1)
            ax.set_yticks([(i + 0.5) * rows[0].shape[0] for i in range(len(groups))], groups)
            ax.set_xticks([])
            """
        case "gradcam_object.png":
            return """
            a = summary["attention_on_object"]
            ax.plot(a["epochs"], np.array(a["energy_inside"], dtype=float), "o-", label="CAM energy inside the object")
            ax.plot(a["epochs"], np.array(a["pointing_hit_rate"], dtype=float), "s--", label="pointing-game hit rate")
            ax.axhline(a["chance"], color="grey", linestyle=":", label="chance (object area)")
            ax.set_xlabel("epoch")
            ax.set_ylim(0, 1.02)
            ax.legend(fontsize="small")
            """
        default:
            return nil
        }
    }
}
