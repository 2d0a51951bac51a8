import Foundation
import Train

/// The pretrained ResNet-18 the transfer run starts from, and how good it is at its own source task.
public struct Backbone: Sendable {
    /// The weights (a Loupe checkpoint or .safetensors).
    public var path: String
    /// Validation accuracy on the source classes after the last pretraining epoch; nil when unknown.
    public var sourceAccuracy: Double?
    /// Pretraining epochs behind `sourceAccuracy`.
    public var sourceEpochs: Int?
    /// Where the figure comes from, or why there is none.
    public var note: String

    public init(path: String, sourceAccuracy: Double? = nil, sourceEpochs: Int? = nil, note: String) {
        self.path = path
        self.sourceAccuracy = sourceAccuracy
        self.sourceEpochs = sourceEpochs
        self.note = note
    }

    /// A cached or freshly pretrained backbone, its source accuracy read from the pretraining run's metrics.csv.
    public init(path: String, metricsFile: String) {
        let rows = (try? String(contentsOfFile: metricsFile, encoding: .utf8))?.split(separator: "\n").dropFirst()
            .compactMap { EpochMetrics(csvRow: String($0)) } ?? []
        if let last = rows.last {
            self.init(path: path, sourceAccuracy: last.validationAccuracy, sourceEpochs: last.epoch,
                      note: "validation accuracy on the source classes at pretraining epoch \(last.epoch), from \(metricsFile)")
        } else {
            self.init(path: path, note: "unknown: \(metricsFile) is missing (a backbone cached by an older build); delete \(path) to pretrain again and measure it")
        }
    }

    /// The pretraining metrics kept beside a cached backbone.
    static func metricsPath(_ weights: String) -> String {
        (weights.hasSuffix(".h5") ? String(weights.dropLast(3)) : weights) + "-metrics.csv"
    }

    /// "0.853 (source validation accuracy after 6 epochs)" or the reason there is none.
    public var accuracyText: String {
        guard let sourceAccuracy else { return note }
        return String(format: "%.3f", sourceAccuracy) + " validation accuracy on its source classes" + (sourceEpochs.map { " after \($0) epoch\($0 == 1 ? "" : "s")" } ?? "")
    }
}
