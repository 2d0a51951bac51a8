import LoupeCore

/// Which optimiser group a parameter belongs to: the classifier head (`fc.*`) or everything before it.
public enum ParameterGroup: String, Sendable, Codable, CaseIterable {
    case backbone, head
}

/// A trainable tensor with its gradient, named by its torchvision `state_dict` key.
///
/// A class, so layers, the model and the optimiser share one object: the optimiser updates `value`
/// in place and every layer sees the change.
public final class Parameter {
    /// The torchvision key, e.g. `layer3.0.conv2.weight`.
    public let name: String
    public var value: Tensor
    /// Accumulated by `Model.backward`; cleared by `Model.zeroGradients()`.
    public var grad: Tensor
    public let group: ParameterGroup
    /// Frozen parameters get no gradient and the optimiser skips them.
    public var isFrozen = false

    public var shape: [Int] { value.shape }

    init(name: String, value: Tensor, group: ParameterGroup) {
        self.name = name
        self.value = value
        self.grad = Tensor(shape: value.shape)
        self.group = group
    }

    /// Sets every gradient element to zero without reallocating.
    public func zeroGradient() {
        grad.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
        }
    }
}

/// A non-trainable tensor that is part of the state dict (BatchNorm running statistics).
public final class ModelBuffer {
    /// The torchvision key, e.g. `bn1.running_var`.
    public let name: String
    public var value: Tensor
    /// True for `num_batches_tracked`, which PyTorch stores as a 0-d int64 tensor; here it is a
    /// one-element Float tensor of shape `[]` (exact up to 2²⁴ batches).
    public let isInteger: Bool

    init(name: String, value: Tensor, isInteger: Bool = false) {
        self.name = name
        self.value = value
        self.isInteger = isInteger
    }
}

/// One entry of a state dict, in registration order.
enum StateEntry {
    case parameter(Parameter)
    case buffer(ModelBuffer)

    var name: String {
        switch self {
        case .parameter(let p): p.name
        case .buffer(let b): b.name
        }
    }

    var tensor: Tensor {
        switch self {
        case .parameter(let p): p.value
        case .buffer(let b): b.value
        }
    }
}
