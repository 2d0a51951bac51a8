import LoupeCore

/// What the probe needs from a network: one forward pass that keeps chosen layer outputs, and one
/// backward pass from given logit gradients that returns the gradients at those layers.
///
/// Train's models conform (see `Model+ProbeNetwork.swift`); a test can conform a tiny hand-made network.
public protocol ProbeNetwork: AnyObject {
    /// Logits N×K, the embedding N×D (global-average-pooled last conv stage) and the activations of
    /// `record` (torchvision module names), in eval mode.
    func probeForward(_ input: Tensor, record: Set<String>) throws -> (logits: Tensor, embedding: Tensor, activations: [String: Tensor])
    /// Gradients of Σ_i (dLogits_i · logits_i) with respect to each recorded activation. Parameter
    /// gradients are not needed (and may be frozen).
    func probeBackward(_ dLogits: Tensor) throws -> [String: Tensor]
    /// Runs `body(i)` for every `i` in `0..<iterations`, on the network's compute threads if it has them:
    /// the dump converts each batch of recorded layers to its storage type there.
    func concurrentPerform(iterations: Int, _ body: (Int) -> Void)
}

extension ProbeNetwork {
    public func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        for i in 0..<iterations { body(i) }
    }
}
