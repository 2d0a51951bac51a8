import LoupeCore

/// Which update rule, with PyTorch's semantics (torch.optim.SGD, Adam, AdamW).
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, adam, adamw
}

/// Hyperparameters of an `Optimizer`; defaults are PyTorch's except SGD momentum (0.9 here, 0 there).
public struct OptimizerConfig: Codable, Sendable, Equatable {
    public var kind: OptimizerKind
    /// The head's learning rate; the backbone's is this times `backboneLRScale`.
    public var learningRate: Double
    public var backboneLRScale: Double
    /// L2 penalty added to the gradient (SGD, Adam) or decoupled decay (AdamW).
    public var weightDecay: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    public var beta1: Double
    public var beta2: Double
    public var eps: Double

    public init(kind: OptimizerKind, learningRate: Double, backboneLRScale: Double = 1, weightDecay: Double? = nil,
                momentum: Double = 0.9, dampening: Double = 0, nesterov: Bool = false,
                beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
        self.kind = kind
        self.learningRate = learningRate
        self.backboneLRScale = backboneLRScale
        // torch.optim.AdamW defaults to weight_decay 0.01; the others to 0.
        self.weightDecay = weightDecay ?? (kind == .adamw ? 0.01 : 0)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
    }

    /// - Throws: `LoupeError.invalidInput` for values PyTorch would reject.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw LoupeError.invalidInput(message) } }
        try check(learningRate >= 0 && learningRate.isFinite, "learning rate must be ≥ 0, got \(learningRate)")
        try check(backboneLRScale >= 0 && backboneLRScale.isFinite, "backbone learning-rate scale must be ≥ 0, got \(backboneLRScale)")
        try check(weightDecay >= 0, "weight decay must be ≥ 0, got \(weightDecay)")
        try check(momentum >= 0, "momentum must be ≥ 0, got \(momentum)")
        try check(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and dampening 0")
        try check((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must be in [0, 1), got \(beta1), \(beta2)")
        try check(eps >= 0, "eps must be ≥ 0, got \(eps)")
    }
}
