import LoupeCore

/// Per-channel mean and standard deviation subtracted from / divided into [0, 1] pixel values.
public struct Normalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// torchvision's ImageNet statistics, for ImageNet-pretrained weights.
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// Maps [0, 1] to [−1, 1]: the default for networks trained from scratch.
    public static let half = Normalization(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])

    /// The statistics for `channels` output channels: three values are kept for 3, averaged for 1.
    public func forChannels(_ channels: Int) -> Normalization {
        if mean.count == channels { return self }
        if channels == 1 {
            return Normalization(mean: [mean.reduce(0, +) / Float(mean.count)], std: [std.reduce(0, +) / Float(std.count)])
        }
        return Normalization(mean: Array(repeating: mean[0], count: channels), std: Array(repeating: std[0], count: channels))
    }
}

/// Turns a sample into the network's input: `outputChannels` × `outputSize` × `outputSize` floats.
///
/// Random choices come only from the generator passed in, so a result depends on (transform,
/// sample, generator state) and never on thread timing.
public protocol SampleTransform: Sendable {
    var outputSize: Int { get }
    var outputChannels: Int { get }
    /// Writes the normalised planar input of `sample` into `out` (exactly C × S × S values).
    func write(_ sample: Sample, into out: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator)
}

extension SampleTransform {
    /// A batch tensor N × C × S × S of `samples` (convenience for small batches and tests).
    public func tensor(_ samples: [Sample], seed: UInt64 = 0) -> Tensor {
        let n = outputChannels * outputSize * outputSize
        var t = Tensor(shape: [samples.count, outputChannels, outputSize, outputSize])
        t.withUnsafeMutableBufferPointer { buffer in
            for (i, s) in samples.enumerated() {
                var rng = SeededGenerator(seed: SeedMix.combine(seed, UInt64(i)))
                write(s, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * n)..<((i + 1) * n)]), rng: &rng)
            }
        }
        return t
    }
}
