import Dispatch
import LoupeCore

/// Whether BatchNorm uses batch statistics (and updates its running ones) and Dropout drops.
public enum ForwardMode: String, Sendable, Codable {
    case train, eval
}

/// State shared by the layers of one model during a forward/backward pass: the mode, thread count,
/// which outputs to keep, what was kept, and the reusable memory.
final class RunContext {
    var mode: ForwardMode = .eval
    var threads = 1
    /// Canonical layer names whose output (and output gradient) the caller asked for.
    var record: Set<String> = []
    var activations: [String: Tensor] = [:]
    var gradients: [String: Tensor] = [:]
    var needParameterGradients = true
    /// The layer whose input gradient nobody wants (the first one, unless the caller asks for it).
    var skipInputGradientOf: ObjectIdentifier?
    let workspace = Workspace()
    let pool = TensorPool()
    /// Seconds spent per layer name ("name forward" / "name backward", nested layers included), when on.
    var profile: [String: Double]?

    @inline(__always) func wants(_ name: String) -> Bool { !record.isEmpty && record.contains(name) }

    /// True when `parameter`'s gradient should be accumulated in this backward pass.
    @inline(__always) func updates(_ parameter: Parameter) -> Bool { needParameterGradients && !parameter.isFrozen }

    @inline(__always) func needsInputGradient(_ layer: AnyObject) -> Bool { skipInputGradientOf != ObjectIdentifier(layer) }

    /// Runs `layer` forward and keeps its output when it was asked for.
    @inline(__always) func forward(_ layer: Layer, _ x: Tensor) -> Tensor {
        if profile != nil { return timed(layer.name + " forward", kind: layer) { layer.forward(x, self) } }
        let y = layer.forward(x, self)
        if wants(layer.name) { activations[layer.name] = y }
        return y
    }

    /// Keeps the gradient w.r.t. `layer`'s output when asked for, then runs `layer` backward.
    @inline(__always) func backward(_ layer: Layer, _ dy: Tensor) -> Tensor {
        if wants(layer.name) { gradients[layer.name] = dy }
        if profile != nil { return timed(layer.name + " backward", kind: layer) { layer.backward(dy, self) } }
        return layer.backward(dy, self)
    }

    /// Adds the seconds `body` took under `key`, and under "[Type] forward|backward" for the layer's type
    /// (containers included, so a reader sums only the leaf types).
    private func timed(_ key: String, kind layer: Layer, _ body: () -> Tensor) -> Tensor {
        let start = DispatchTime.now().uptimeNanoseconds
        let y = body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        profile?[key, default: 0] += seconds
        let direction = key.hasSuffix(" forward") ? "forward" : "backward"
        profile?["[\(type(of: layer))] \(direction)", default: 0] += seconds
        if key.hasSuffix(" forward"), wants(String(key.dropLast(8))) { activations[String(key.dropLast(8))] = y }
        return y
    }
}

/// A network piece with an explicit forward/backward pair.
///
/// `forward` keeps what `backward` needs in the layer's cache; `backward` accumulates parameter
/// gradients (unless frozen or not wanted) and returns the gradient w.r.t. the input. Shapes passed to
/// `outputShape`/`describe` are per sample: `[C, H, W]` or `[D]`.
protocol Layer: AnyObject {
    /// The name under which this layer's output is recorded (a torchvision module name).
    var name: String { get }
    /// Parameters and buffers in torchvision `state_dict` order.
    var stateEntries: [StateEntry] { get }
    func outputShape(_ input: [Int]) -> [Int]
    /// Every recordable name inside this layer, in forward order, with its output shape.
    func describe(_ input: [Int]) -> [(name: String, shape: [Int])]
    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor
    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor
    /// Drops references to other layers' tensors so their owners can overwrite them in place.
    func releaseCache()
}

extension Layer {
    var parameters: [Parameter] {
        stateEntries.compactMap { if case .parameter(let p) = $0 { p } else { nil } }
    }
    var buffers: [ModelBuffer] {
        stateEntries.compactMap { if case .buffer(let b) = $0 { b } else { nil } }
    }
    func describe(_ input: [Int]) -> [(name: String, shape: [Int])] { [(name, outputShape(input))] }
}
