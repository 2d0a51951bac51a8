import Foundation
import LoupeCore

/// A learning-rate multiplier over steps (iterations or epochs, the caller's choice): linear warm-up,
/// then constant, step decay or cosine annealing. The same values as PyTorch's
/// `SequentialLR([LinearLR(start, 1, warmup), StepLR(stepSize, gamma) | CosineAnnealingLR(total − warmup, min)])`.
/// (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017, for the cosine.)
public struct LRSchedule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case constant, step, cosine
    }

    public var kind: Kind
    /// Steps of linear warm-up from `warmupStartFactor` to 1.
    public var warmupSteps: Int
    public var warmupStartFactor: Double
    /// `step`: multiply by `gamma` every `stepSize` steps after warm-up.
    public var stepSize: Int
    public var gamma: Double
    /// `cosine`: steps in total (warm-up included); the factor reaches `minFactor` at the end.
    public var totalSteps: Int
    public var minFactor: Double

    public init(kind: Kind, totalSteps: Int = 1, warmupSteps: Int = 0, warmupStartFactor: Double = 0.1,
                stepSize: Int = 30, gamma: Double = 0.1, minFactor: Double = 0) {
        self.kind = kind
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
        self.warmupStartFactor = warmupStartFactor
        self.stepSize = stepSize
        self.gamma = gamma
        self.minFactor = minFactor
    }

    public static let constant = LRSchedule(kind: .constant)

    /// - Throws: `LoupeError.invalidInput` for impossible settings.
    public func validate() throws {
        guard warmupSteps >= 0, (0...1).contains(warmupStartFactor) else {
            throw LoupeError.invalidInput("warm-up needs ≥ 0 steps and a start factor in [0, 1]")
        }
        if kind == .step, stepSize < 1 || gamma <= 0 {
            throw LoupeError.invalidInput("step schedule needs step size ≥ 1 and gamma > 0, got \(stepSize), \(gamma)")
        }
        if kind == .cosine, totalSteps <= warmupSteps || !(0...1).contains(minFactor) {
            throw LoupeError.invalidInput("cosine schedule needs more total steps (\(totalSteps)) than warm-up steps "
                                          + "(\(warmupSteps)) and a minimum factor in [0, 1]")
        }
    }

    /// The multiplier for step `t` (0-based: the first update uses `factor(at: 0)`).
    public func factor(at t: Int) -> Double {
        if t < warmupSteps {
            return warmupStartFactor + (1 - warmupStartFactor) * Double(t) / Double(warmupSteps)
        }
        let after = t - warmupSteps
        switch kind {
        case .constant:
            return 1
        case .step:
            return pow(gamma, Double(after / stepSize))
        case .cosine:
            let span = Double(max(totalSteps - warmupSteps, 1))
            let progress = min(Double(after), span) / span
            return minFactor + (1 - minFactor) * (1 + cos(Double.pi * progress)) / 2
        }
    }
}
