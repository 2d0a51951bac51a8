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
