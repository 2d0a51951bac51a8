import Foundation

/// Every option of a training run; written to `config.json` so a run can be resumed and repeated.
public struct TrainConfig: Codable, Sendable, Equatable {
    public var model = "littleconv"
    public var data = "synthetic"
    public var epochs = 10
    public var batchSize = 32
    public var lr = 1e-3
    public var optimizer = "adamw"
    public var momentum = 0.9
    public var weightDecay = 5e-4
    public var schedule = "cosine"
    public var warmupEpochs = 0
    public var stepSize = 10
    public var stepGamma = 0.1
    public var imageSize = 64
    public var seed: UInt64 = 0
    public var threads = 2
    public var pretrained: String?
    public var freezeBackbone = false
    public var backboneLRScale = 1.0
    public var augment = true
    public var smallInput = false
    public var channels: [Int] = [32, 64, 128, 256]
    public var validationFraction = 0.2
    /// Keep only these classes of the dataset (its label numbers), renumbered from 0 in this order.
    public var classes: [Int]?
    /// Keep at most this many samples per class (a seeded choice).
    public var perClass: Int?
    /// Input normalisation: "imagenet" or "half" ((x − 0.5) / 0.5); nil = ImageNet's with --pretrained,
    /// else half. A backbone meant for fine-tuning trains with "imagenet", so its BatchNorm statistics
    /// fit the inputs the fine-tuning run feeds it.
    public var normalization: String?
    /// Epochs at which the probe set is captured (0 = before the first update).
    public var dumpEpochs: [Int] = []
    public var probeSize = 256
    public var probeTarget = "logit"
    public var probeLayers: [String] = []
    public var dumpDType = "float16"
    public var compression = "none"
    public var loupeVersion = LoupeInfo.version

    public init() {}
}

/// Package-wide facts.
public enum LoupeInfo {
    public static let version = "0.1.0"
}
