import Foundation
import LoupeCore

/// The per-sample values the four findings rest on, typed, per run ("scratch", "pretrained"). Read from
/// the analyzers' stored outputs (`StoredResult`), or made by hand in tests; the findings never look at
/// anything else.
public struct StudyEvidence: Sendable {
    /// One run's `purity` result: leave-one-out k-NN correctness per probe row, and the summary's metrics.
    public struct Clustering: Sendable {
        /// Probe-file rows the indicators are of (rows with non-finite features are left out by the analyzer).
        public var rows: [Int]
        public var correctByClass: [Bool]
        /// nil when the dumps carry no nuisance attribute.
        public var correctByNuisance: [Bool]?
        public var facts: PurityFacts

        public init(rows: [Int], correctByClass: [Bool], correctByNuisance: [Bool]?, facts: PurityFacts) {
            self.rows = rows
            self.correctByClass = correctByClass
            self.correctByNuisance = correctByNuisance
            self.facts = facts
        }
    }

    /// One run's Grad-CAM share of energy inside the object, per probe sample, at the first and last dump.
    public struct Attention: Sendable {
        public var layer: String
        public var firstEpoch: Int
        public var lastEpoch: Int
        /// NaN where the map is empty (zero gradient): such a sample has no score.
        public var first: [Double]
        public var last: [Double]
        /// The object's mean share of the image.
        public var chance: Double?

        public init(layer: String, firstEpoch: Int, lastEpoch: Int, first: [Double], last: [Double], chance: Double?) {
            self.layer = layer
            self.firstEpoch = firstEpoch
            self.lastEpoch = lastEpoch
            self.first = first
            self.last = last
            self.chance = chance
        }
    }

    /// Per-sample zero and vanishing flags of one probe file's gradients at one layer.
    public struct Flags: Sendable {
        public var allZero: [Bool]
        public var vanishing: [Bool]

        public init(allZero: [Bool], vanishing: [Bool]) {
            self.allZero = allZero
            self.vanishing = vanishing
        }

        /// All zero or vanishing: the samples whose Grad-CAM gradient is useless.
        public var affected: [Bool] { zip(allZero, vanishing).map { $0 || $1 } }
    }

    /// One run's last checkpoint probed with the `prob` target (float16 as the study stored it, and float32)
    /// and its dump with the `logit` target, at one layer, with the float32 softmax regime of every sample.
    public struct Gradients: Sendable {
        public var layer: String
        public var epoch: Int
        public var probFloat16: Flags
        public var probFloat32: Flags?
        public var logit: Flags?
        /// Float32 regime of the output layer per sample (SoftmaxRegime raw values: normal, shrunk, rounded, exact-zero, …).
        public var regimes: [String]
        /// Logit margin z_y − max_{j≠y} z_j per sample.
        public var margins: [Double]
        public var diagnosis: String
        public var diagnosisTitle: String
        /// Which images were probed, in words ("training images", "held-out probe images").
        public var images: String

        public init(layer: String, epoch: Int, probFloat16: Flags, probFloat32: Flags?, logit: Flags?, regimes: [String], margins: [Double],
                    diagnosis: String, diagnosisTitle: String, images: String = "held-out probe images") {
            self.images = images
            self.layer = layer
            self.epoch = epoch
            self.probFloat16 = probFloat16
            self.probFloat32 = probFloat32
            self.logit = logit
            self.regimes = regimes
            self.margins = margins
            self.diagnosis = diagnosis
            self.diagnosisTitle = diagnosisTitle
        }
    }

    public var clustering: [String: Clustering] = [:]
    /// Empty when the probe set has no object boxes or masks.
    public var attention: [String: Attention] = [:]
    /// What finding (d) rests on (the training images when the study probed them).
    public var gradients: [String: Gradients] = [:]
    /// The same probe on the held-out probe images, reported beside (d) when the verdict rests on training images.
    public var heldOutGradients: [String: Gradients] = [:]

    public init(clustering: [String: Clustering] = [:], attention: [String: Attention] = [:], gradients: [String: Gradients] = [:],
                heldOutGradients: [String: Gradients] = [:]) {
        self.clustering = clustering
        self.attention = attention
        self.gradients = gradients
        self.heldOutGradients = heldOutGradients
    }
}

extension StudyEvidence.Clustering {
    /// Reads a `purity` output folder (one input file: arrays at the root; several: the last `/file-N`).
    /// - Throws: naming the file and key when the summary or result.h5 lacks what the findings need.
    public init(folder: String) throws {
        let stored = try StoredResult(folder: folder)
        let facts = try stored.summary(PurityFacts.self)
        var group = ""
        if !stored.has("/kept_rows") {
            var n = 0
            while stored.has("/file-\(n)/kept_rows") { n += 1 }
            if n > 0 { group = "/file-\(n - 1)" }
        }
        let rows = try stored.ints(group + "/kept_rows")
        let byClass = try stored.flags(group + "/knn_correct_class")
        let byNuisance = facts.byNuisance == nil ? nil : try stored.flags(group + "/knn_correct_colour")
        guard byClass.count == rows.count, byNuisance.map({ $0.count == rows.count }) ?? true else {
            throw LoupeError.invalidInput("\(stored.resultPath): knn_correct_* and kept_rows differ in length")
        }
        self.init(rows: rows, correctByClass: byClass, correctByNuisance: byNuisance, facts: facts)
    }
}

extension StudyEvidence.Attention {
    /// Reads a `gradcam` output folder; nil when its dumps had no object boxes or masks.
    /// - Throws: naming the file and key when the summary or result.h5 lacks what the finding needs, or when
    ///   result.h5 has object regions but the summary has no attention score (a renamed key).
    public init?(folder: String) throws {
        let stored = try StoredResult(folder: folder)
        let facts = try stored.summary(GradCAMFacts.self)
        guard let attention = facts.attention else {
            if stored.has("/object_area_fraction") {
                throw LoupeError.invalidInput("\(stored.summaryPath): no key 'attention_on_object' although \(stored.resultPath) has object regions")
            }
            return nil
        }
        guard let firstEpoch = attention.epochs.first, let lastEpoch = attention.epochs.last else {
            throw LoupeError.invalidInput("\(stored.summaryPath): 'attention_on_object.epochs' is empty")
        }
        let epochs = try stored.ints("/epochs")
        guard epochs.first == firstEpoch, epochs.last == lastEpoch else {
            throw LoupeError.invalidInput("\(stored.resultPath): /epochs \(epochs) disagree with summary.json's \(attention.epochs)")
        }
        func energy(_ epoch: Int) throws -> [Double] {
            try stored.doubles("/epoch-" + String(format: "%04d", epoch) + "/\(attention.layer)/energy_inside")
        }
        self.init(layer: attention.layer, firstEpoch: firstEpoch, lastEpoch: lastEpoch, first: try energy(firstEpoch), last: try energy(lastEpoch),
                  chance: attention.chance)
    }
}

extension StudyEvidence.Gradients {
    /// Reads the `zero-grad` folders of one run's last epoch: `prob` stored as float16 (required), as float32
    /// and the `logit` dump (optional), at `layer` when they checked it, else at their last layer.
    /// - Throws: naming the file and key when a summary or result.h5 lacks what the finding needs.
    public init(probFloat16: String, probFloat32: String?, logit: String?, layer preferred: String?,
                images: String = "held-out probe images") throws {
        let main = try StoredResult(folder: probFloat16)
        let facts = try main.summary(ZeroGradFacts.self)
        guard let last = facts.layers.last else { throw LoupeError.invalidInput("\(main.summaryPath): 'layers' is empty") }
        let layer = preferred.flatMap { facts.layers.contains($0) ? $0 : nil } ?? last
        let epochs = try main.ints("/epochs")
        guard epochs.count == 1, let epoch = epochs.first else {
            throw LoupeError.invalidInput("\(main.resultPath): /epochs \(epochs): the study probes one epoch per file")
        }
        let group = "/epoch-" + String(format: "%04d", epoch)
        func flags(_ stored: StoredResult) throws -> StudyEvidence.Flags {
            let g = try stored.ints("/epochs").first.map { "/epoch-" + String(format: "%04d", $0) } ?? group
            return .init(allZero: try stored.flags("\(g)/\(layer)/all_zero"), vanishing: try stored.flags("\(g)/\(layer)/vanishing"))
        }
        self.init(layer: layer, epoch: epoch, probFloat16: try flags(main), probFloat32: try probFloat32.map { try flags(StoredResult(folder: $0)) },
                  logit: try logit.map { try flags(StoredResult(folder: $0)) }, regimes: try main.strings(group + "/regime"),
                  margins: try main.doubles(group + "/margin"), diagnosis: facts.diagnosis, diagnosisTitle: facts.topTitle,
                  images: images)
    }
}
