import LoupeCore
import Train

/// Train's models are probe networks: eval-mode forward keeping the chosen layers, and a backward pass
/// that computes gradients w.r.t. those activations without touching parameter gradients (so frozen
/// backbones still give Grad-CAM).
extension Model: ProbeNetwork {
    public func probeForward(_ input: Tensor, record: Set<String>) throws -> (logits: Tensor, embedding: Tensor, activations: [String: Tensor]) {
        let logits = try forward(input, mode: .eval, record: record)
        return (logits, embedding, recordedActivations)
    }

    public func probeBackward(_ dLogits: Tensor) throws -> [String: Tensor] {
        try backward(dLogits, needParameterGradients: false, needInputGradient: false)
        return recordedGradients
    }
}
