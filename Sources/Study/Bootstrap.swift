// The plain percentile bootstrap of a mean (Efron & Tibshirani, "An Introduction to the Bootstrap",
// Chapman & Hall 1993, ch. 6 and 13): draw B resamples of the n per-sample values with replacement,
// take each resample's mean, and report the α/2 and 1 − α/2 quantiles of those B means as the interval.
// A difference of two accuracies over the same probe samples, or a paired rise, is the mean of per-sample
// differences, so one routine serves every finding; resampling the differences keeps the pairing.
//
// Resample indices come from Loupe's SeededGenerator (xoshiro256**) and are drawn as
// ⌊u · n⌋ with u a 64-bit uniform (the high word of next() × n), row by row, so any reader with the seed
// can redraw them. Quantiles interpolate linearly between order statistics (numpy's default "linear"
// method): position h = (B − 1)·q in the sorted means.
//
// What it assumes: the per-sample values are exchangeable draws. For leave-one-out k-NN correctness
// the neighbours are found once on the whole probe set, so the interval covers the choice of probe
// samples, not a re-fit of the neighbour graph on each resample.
import LoupeCore

/// A seeded percentile bootstrap of the mean of per-sample values.
public struct Bootstrap: Sendable, Codable, Equatable {
    /// Seed of the resample indices (recorded in the report and summary.json).
    public var seed: UInt64
    /// Number of resamples B.
    public var resamples: Int
    /// Coverage of the interval, 0.95 by default.
    public var level: Double

    public init(seed: UInt64, resamples: Int = 2000, level: Double = 0.95) {
        precondition(resamples >= 1 && level > 0 && level < 1)
        self.seed = seed
        self.resamples = resamples
        self.level = level
    }

    /// The B × n resample indices, each row i.i.d. uniform over 0..<n, from a fresh generator seeded with `seed`.
    public func indices(n: Int) -> [[Int]] {
        guard n > 0 else { return [] }
        var generator = SeededGenerator(seed: seed)
        return (0..<resamples).map { _ in (0..<n).map { _ in Int(generator.next().multipliedFullWidth(by: UInt64(n)).high) } }
    }

    /// The mean of `values` with its percentile interval; nil for no values or a non-finite one.
    public func interval(_ values: [Double]) -> Interval? {
        let n = values.count
        guard n > 0, values.allSatisfy(\.isFinite) else { return nil }
        let means = indices(n: n).map { row in row.reduce(0.0) { $0 + values[$1] } / Double(n) }.sorted()
        let alpha = 1 - level
        return Interval(estimate: values.reduce(0, +) / Double(n), lower: Bootstrap.quantile(sorted: means, alpha / 2),
                        upper: Bootstrap.quantile(sorted: means, 1 - alpha / 2), samples: n)
    }

    /// The q-quantile of ascending `sorted`, interpolating linearly between order statistics (numpy's default).
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty && q >= 0 && q <= 1)
        let h = Double(sorted.count - 1) * q
        let below = Int(h.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (h - Double(below)) * (sorted[above] - sorted[below])
    }

    /// How the report names the method.
    public var description: String {
        "\(Int((level * 100).rounded())) % percentile bootstrap over probe samples (Efron & Tibshirani 1993), \(resamples) resamples, seed \(seed)"
    }
}

/// A mean over per-sample values with its bootstrap interval.
public struct Interval: Sendable, Codable, Equatable {
    /// The mean over all samples (not the bootstrap means' mean).
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// Samples the mean is over.
    public var samples: Int

    public init(estimate: Double, lower: Double, upper: Double, samples: Int) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.samples = samples
    }

    /// True when the whole interval lies above zero.
    public var aboveZero: Bool { lower > 0 }
    /// True when the whole interval lies below zero.
    public var belowZero: Bool { upper < 0 }
}
