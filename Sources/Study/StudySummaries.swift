// The parts of the analyzers' summary.json the findings read, decoded strictly: every key must be
// present (a NaN is written as null and reads as nil), so a renamed key throws with the file and the key
// named instead of decoding as "undefined". The analyzers' own Summary types decode leniently (optional
// fields for keys that may be absent), which is right for `loupe compare` but not for a verdict.

/// `purity`'s summary: k-NN accuracy and NMI against the classes and the nuisance groups.
public struct PurityFacts: Decodable, Sendable {
    public struct Metrics: Decodable, Sendable {
        public var knnAccuracy: Double?
        public var nmi: Double?

        enum CodingKeys: String, CodingKey { case knnAccuracy = "knn_accuracy", nmi }

        public init(knnAccuracy: Double?, nmi: Double?) {
            self.knnAccuracy = knnAccuracy
            self.nmi = nmi
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            knnAccuracy = try c.present(Double.self, forKey: .knnAccuracy)
            nmi = try c.present(Double.self, forKey: .nmi)
        }
    }

    public var samples: Int
    public var byClass: Metrics
    /// nil when the file had no nuisance attribute (the key is then null, never absent).
    public var byNuisance: Metrics?
    public var nuisance: String?

    enum CodingKeys: String, CodingKey { case samples, byClass = "class", byNuisance = "colour", nuisance }

    public init(samples: Int, byClass: Metrics, byNuisance: Metrics?, nuisance: String?) {
        self.samples = samples
        self.byClass = byClass
        self.byNuisance = byNuisance
        self.nuisance = nuisance
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        samples = try c.decode(Int.self, forKey: .samples)
        byClass = try c.decode(Metrics.self, forKey: .byClass)
        byNuisance = try c.present(Metrics.self, forKey: .byNuisance)
        nuisance = try c.present(String.self, forKey: .nuisance)
    }
}

/// `gradcam`'s summary: the explained layers and, when the dumps have object boxes or masks, the
/// attention-on-object series (absent otherwise; StudyEvidence checks result.h5 agrees).
public struct GradCAMFacts: Decodable, Sendable {
    public struct Attention: Decodable, Sendable {
        public var layer: String
        public var epochs: [Int]
        public var energyInside: [Double?]
        public var chance: Double?

        enum CodingKeys: String, CodingKey { case layer, epochs, energyInside = "energy_inside", chance }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            layer = try c.decode(String.self, forKey: .layer)
            epochs = try c.decode([Int].self, forKey: .epochs)
            energyInside = try c.decode([Double?].self, forKey: .energyInside)
            chance = try c.present(Double.self, forKey: .chance)
        }
    }

    public var layers: [String]
    public var samples: Int
    public var attention: Attention?

    enum CodingKeys: String, CodingKey { case layers, samples, attention = "attention_on_object" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decode([String].self, forKey: .layers)
        samples = try c.decode(Int.self, forKey: .samples)
        attention = try c.decodeIfPresent(Attention.self, forKey: .attention)
    }
}

/// `zero-grad`'s summary: the top diagnosis and the checked layers.
public struct ZeroGradFacts: Decodable, Sendable {
    public struct Diagnosis: Decodable, Sendable {
        public var id: String
        public var title: String
    }

    public var diagnosis: String
    public var diagnoses: [Diagnosis]
    public var layers: [String]

    /// The top diagnosis' title (its id when the list is empty).
    public var topTitle: String { diagnoses.first?.title ?? diagnosis }
}
