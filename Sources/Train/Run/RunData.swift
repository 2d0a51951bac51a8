import LoupeCore

/// The data side of a run, derived from its config alone: dataset, seeded split, probe set, transforms.
///
/// Training and later probing both build it from `config.json`, so a checkpoint probed offline sees
/// exactly the probe set the training-time dumps saw.
public struct RunData {
    public let dataset: any Dataset
    public let split: DataSplit
    /// A seeded, class-stratified subset of the validation split.
    public let probeIndices: [Int]
    public let normalization: Normalization
    public let imageSize: Int

    public init(config: TrainConfig) throws {
        let spec = try DataSpec(parsing: config.data)
        let full = try spec.open(part: .train)
        dataset = config.classes == nil && config.perClass == nil
            ? full : try SubsetDataset(full, classes: config.classes, perClass: config.perClass, seed: config.seed)
        guard dataset.count >= 2 else { throw LoupeError.invalidInput("\(config.data): only \(dataset.count) samples; need at least 2") }
        split = try dataset.split(validationFraction: config.validationFraction, seed: config.seed)
        probeIndices = try dataset.stratifiedSubset(count: min(config.probeSize, split.validation.count), seed: config.seed &+ 1,
                                                    from: split.validation)
        switch config.normalization {
        case nil: normalization = (config.pretrained != nil ? Normalization.imageNet : Normalization.half).forChannels(dataset.channels)
        case "imagenet": normalization = Normalization.imageNet.forChannels(dataset.channels)
        case "half": normalization = Normalization.half.forChannels(dataset.channels)
        case let other?: throw LoupeError.invalidInput("unknown normalization '\(other)' in the config; use imagenet or half")
        }
        imageSize = config.imageSize
    }

    /// A seeded, class-stratified subset of the *training* split, as large as the probe set allows: the
    /// images the net was fitted on (where a confident net saturates its softmax first). Seeded apart
    /// from the held-out probe set; seen through `evalTransform`, without augmentation.
    public func trainingProbeIndices(count: Int, seed: UInt64) throws -> [Int] {
        try dataset.stratifiedSubset(count: min(count, split.train.count), seed: seed &+ 2, from: split.train)
    }

    /// Resize and centre crop, then normalise: what evaluation and the probe see.
    public var evalTransform: Preprocessor {
        Preprocessor(outputSize: imageSize, normalization: normalization, outputChannels: dataset.channels)
    }
}
