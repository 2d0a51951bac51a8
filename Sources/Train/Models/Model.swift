import Foundation
import LoupeCore

/// An image classifier with torchvision module and parameter names, trained and probed through explicit
/// forward/backward passes.
///
/// ```swift
/// let model = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 1)
/// model.threads = 2
/// let logits = try model.forward(images, mode: .train, record: ["layer4"])
/// let (loss, dLogits) = try softmaxCrossEntropy(logits: logits, labels: labels)
/// model.zeroGradients()
/// _ = try model.backward(dLogits, needParameterGradients: true, needInputGradient: false)
/// optimizer.step()
/// ```
///
/// Layer names (for `record:`) are torchvision module names: `conv1`, `bn1`, `relu`, `maxpool`,
/// `layer1`, `layer1.0`, `layer1.0.conv1`, `layer1.0.bn1`, `layer1.0.relu:1` (first ReLU of the block),
/// `layer1.0.conv2`, `layer1.0.bn2` (before the residual add), `layer2.0.downsample.0`/`.1`,
/// `layer2.0.downsample`, `layer1.0.relu` (= the block output), `avgpool` (N×C×1×1), `dropout`, `fc`;
/// LittleConv: `features.0` … `features.15` and `features` as in the PyTorch peer's nn.Sequential.
/// Aliases (`layerAliases`): `block1`…`block4` (each stage's output), `stem` (ResNet), `embedding`
/// (= `avgpool`), `logits` (= `fc`).
///
/// Not thread-safe: one model, one caller at a time. Memory for activations, gradients and scratch is
/// kept between calls and reused.
public final class Model {
    public private(set) var spec: ModelSpec
    /// `littleconv` or `resnet18`.
    public var name: String { spec.architecture.rawValue }
    public var numClasses: Int { spec.numClasses }
    public var inputChannels: Int { spec.inputChannels }
    /// Compute threads for forward and backward (results depend on this number, not on timing).
    public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// The layer whose global average pool is the embedding (`layer4`, or LittleConv's last pool).
    public let embeddingLayer: String
    /// Alias → canonical layer name.
    public let layerAliases: [String: String]

    let spine: [Layer]
    let spineName: String?
    let avgpool = GlobalAvgPool(name: "avgpool")
    let dropout: Dropout?
    private(set) var fc: Linear
    let ctx = RunContext()
    /// The record request of the last forward: asked name → canonical name.
    private var requested: [String: String] = [:]
    private var lastBatchSize: Int?
    /// For each spine layer, the recordable names inside it.
    private let spineNames: [Set<String>]

    /// Builds a model with PyTorch's default initialisation (torchvision's for ResNet), drawn from `seed`.
    /// - Throws: `LoupeError.invalidInput` for an impossible spec.
    public convenience init(spec: ModelSpec, seed: UInt64) throws {
        try self.init(spec: spec, seed: seed, resNetWidths: [64, 128, 256, 512])
    }

    /// `resNetWidths` other than torchvision's build a narrower ResNet of the same topology (tests).
    init(spec: ModelSpec, seed: UInt64, resNetWidths: [Int]) throws {
        try spec.validate()
        self.spec = spec
        var g = SeededGenerator(seed: seed)
        let arch: Architecture
        switch spec.architecture {
        case .littleconv: arch = .littleConv(spec, using: &g)
        case .resnet18: arch = .resNet18(spec, widths: resNetWidths, using: &g)
        }
        spine = arch.spine
        spineName = arch.spineName
        embeddingLayer = arch.embeddingLayer
        dropout = spec.dropout > 0 ? Dropout(name: "dropout", probability: spec.dropout, generator: g.split()) : nil
        fc = Initializers.linear(name: "fc", inFeatures: arch.featureChannels, outFeatures: spec.numClasses, group: .head, using: &g)
        layerAliases = arch.aliases.merging(["embedding": "avgpool", "logits": "fc"]) { a, _ in a }
        spineNames = spine.map { Set($0.describe([spec.inputChannels, 64, 64]).map(\.name)) }
    }

    /// Convenience: `Model(spec: ModelSpec(architecture: name, …), seed:)` with the CLI's model names.
    public convenience init(name: String, numClasses: Int, inputChannels: Int = 3, seed: UInt64) throws {
        try self.init(spec: ModelSpec(architecture: ModelSpec.architecture(named: name), numClasses: numClasses,
                                      inputChannels: inputChannels), seed: seed)
    }

    // MARK: parameters

    var allLayers: [Layer] { spine + [avgpool] + (dropout.map { [$0] } ?? []) + [fc] }

    var stateEntries: [StateEntry] { allLayers.flatMap(\.stateEntries) }

    /// Trainable tensors in torchvision `model.parameters()` order.
    public var parameters: [Parameter] { allLayers.flatMap(\.parameters) }

    /// BatchNorm running statistics (`running_mean`, `running_var`, `num_batches_tracked`), in order.
    public var buffers: [ModelBuffer] { allLayers.flatMap(\.buffers) }

    /// Freezes (or unfreezes) every parameter outside the head.
    public func setBackboneFrozen(_ frozen: Bool) {
        for p in parameters where p.group == .backbone { p.isFrozen = frozen }
    }

    /// Sets every parameter's gradient to zero; the large ones (64K elements or more) split between `threads`.
    public func zeroGradients() {
        for p in parameters {
            let count = p.grad.count
            p.grad.withUnsafeMutableBufferPointer { g in
                guard let base = g.baseAddress else { return }
                let g = SharedPointer(base)
                Parallel.slices(threads, count: count) { range in
                    g.advanced(by: range.lowerBound).update(repeating: 0, count: range.count)
                }
            }
        }
    }

    /// Replaces `fc` by a new one with `numClasses` outputs, initialised like nn.Linear from `seed`.
    /// Optimisers built before hold the old head's parameters: build a new one.
    public func replaceHead(numClasses: Int, seed: UInt64) throws {
        guard numClasses >= 1 else { throw LoupeError.invalidInput("number of classes must be at least 1, got \(numClasses)") }
        var g = SeededGenerator(seed: seed)
        fc = Initializers.linear(name: "fc", inFeatures: fc.inFeatures, outFeatures: numClasses, group: .head, using: &g)
        spec.numClasses = numClasses
        lastBatchSize = nil
    }

    // MARK: layer names

    /// Every recordable layer for an input of `height`×`width`, in forward order, with its per-sample
    /// output shape (`[C, H, W]`, or `[D]` for `fc`/`dropout`).
    public func layerNames(height: Int, width: Int) -> [(name: String, shape: [Int])] {
        var shape = [inputChannels, height, width], names: [(name: String, shape: [Int])] = []
        for layer in spine {
            names += layer.describe(shape)
            shape = layer.outputShape(shape)
        }
        if let spineName { names.append((spineName, shape)) }
        names.append(("avgpool", [shape[0], 1, 1]))
        if dropout != nil { names.append(("dropout", [shape[0]])) }
        names.append(("fc", [numClasses]))
        return names
    }

    public func layerNames(inputSize: Int) -> [(name: String, shape: [Int])] { layerNames(height: inputSize, width: inputSize) }

    /// The canonical name for `name` (itself, or what an alias points to).
    /// - Throws: `LoupeError.invalidInput` for an unknown name, listing valid ones.
    public func canonicalLayerName(_ name: String) throws -> String {
        let known = Set(layerNames(inputSize: 64).map(\.name))
        if known.contains(name) { return name }
        if let target = layerAliases[name] { return target }
        let top = layerNames(inputSize: 64).map(\.name).filter { !$0.contains(".") || $0.hasPrefix("features.") }
        throw LoupeError.invalidInput("\(self.name) has no layer '\(name)'; try one of: "
                                      + (top + layerAliases.keys.sorted()).joined(separator: ", ")
                                      + " (all: loupe probe --list-layers)")
    }

    // MARK: forward / backward

    /// When set (to `[:]`), forward and backward add the seconds each layer took under "<name> forward" and
    /// "<name> backward" (containers include their children). For benchmarks.
    public var layerTimes: [String: Double]? {
        get { ctx.profile }
        set { ctx.profile = newValue }
    }

    /// Activations kept by the last `forward`, under the names asked for (aliases included).
    public var recordedActivations: [String: Tensor] { expand(ctx.activations) }

    /// Gradients w.r.t. the recorded activations, kept by the last `backward`.
    public var recordedGradients: [String: Tensor] { expand(ctx.gradients) }

    private func expand(_ byCanonical: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (asked, canonical) in requested { if let t = byCanonical[canonical] { out[asked] = t } }
        return out
    }

    /// The global-average-pooled features (N×D) of the last forward: the input of `fc`.
    public var embedding: Tensor { avgpool.cache.output }

    /// Logits (N × numClasses) for images `x` (N × inputChannels × H × W), keeping the output of each
    /// layer named in `record` (see the type's documentation) in `recordedActivations`.
    /// Train mode uses batch statistics and updates BatchNorm's running ones, and applies dropout.
    /// - Throws: `LoupeError.invalidInput` for a wrong shape, an image too small, or an unknown layer name.
    public func forward(_ x: Tensor, mode: ForwardMode, record: Set<String> = []) throws -> Tensor {
        try validate(x, mode: mode)
        var canonical: [String: String] = [:]
        for asked in record { canonical[asked] = try canonicalLayerName(asked) }
        requested = canonical
        ctx.mode = mode
        ctx.threads = max(1, threads)
        ctx.record = Set(canonical.values)
        ctx.activations = [:]
        ctx.gradients = [:]
        allLayers.forEach { $0.releaseCache() }
        lastBatchSize = nil
        // The kernels parallelise over samples themselves; OpenBLAS runs single-threaded inside them.
        return BLAS.withThreads(1) { forwardSpine(x) }
    }

    private func forwardSpine(_ x: Tensor) -> Tensor {
        var h = x
        for layer in spine { h = ctx.forward(layer, h) }
        if let spineName, ctx.wants(spineName) { ctx.activations[spineName] = h }
        var z = avgpool.forward(h, ctx)
        h = .empty
        if ctx.wants("avgpool") { ctx.activations["avgpool"] = z.reshaped(z.shape + [1, 1]) }
        if let dropout { z = ctx.forward(dropout, z) }
        let logits = ctx.forward(fc, z)
        lastBatchSize = x.shape[0]
        return logits
    }

    /// Backpropagates `dLogits` (N × numClasses, e.g. from `softmaxCrossEntropy`) through the last
    /// forward. Accumulates parameter gradients (skipped for frozen parameters, or for all when
    /// `needParameterGradients` is false), keeps gradients w.r.t. recorded activations in
    /// `recordedGradients`, and returns the input gradient (an empty tensor when `needInputGradient` is
    /// false; backward then stops below the last layer anything was asked of).
    /// - Throws: `LoupeError.invalidInput` without a preceding forward or for a wrong shape.
    @discardableResult
    public func backward(_ dLogits: Tensor, needParameterGradients: Bool, needInputGradient: Bool = true) throws -> Tensor {
        guard let n = lastBatchSize else {
            throw LoupeError.invalidInput("backward needs a forward first (and the head was not replaced in between)")
        }
        guard dLogits.shape == [n, numClasses] else {
            throw LoupeError.invalidInput("dLogits has shape \(dLogits.shape); the last forward produced \([n, numClasses])")
        }
        ctx.threads = max(1, threads)
        ctx.needParameterGradients = needParameterGradients
        ctx.gradients = [:]
        ctx.skipInputGradientOf = needInputGradient ? nil : ObjectIdentifier(spine[0])
        return BLAS.withThreads(1) { backwardSpine(dLogits, needParameterGradients: needParameterGradients, needInputGradient: needInputGradient) }
    }

    private func backwardSpine(_ dLogits: Tensor, needParameterGradients: Bool, needInputGradient: Bool) -> Tensor {
        var g = ctx.backward(fc, dLogits)
        if let dropout {
            let next = ctx.backward(dropout, g)
            ctx.pool.recycle(g)
            g = next
        }
        if ctx.wants("avgpool") { ctx.gradients["avgpool"] = g.reshaped(g.shape + [1, 1]) }
        var h = avgpool.backward(g, ctx)
        ctx.pool.recycle(g)
        g = .empty
        if let spineName, ctx.wants(spineName) { ctx.gradients[spineName] = h }

        // needed[i]: spine[i] must run backward, because something below its output wants a gradient: its
        // input, its parameters, or a recorded layer inside it. The gradient at its output alone is recorded
        // before its backward runs, so the lowest recorded stage (ResNet's `layer1`) costs no backward pass.
        var needed = [Bool](repeating: false, count: spine.count)
        var inputWanted = needInputGradient
        for (i, layer) in spine.enumerated() {
            var inside = spineNames[i]
            inside.remove(layer.name)
            needed[i] = inputWanted || (needParameterGradients && layer.parameters.contains { !$0.isFrozen })
                || !inside.isDisjoint(with: ctx.record)
            inputWanted = needed[i] || ctx.wants(layer.name)
        }
        for i in spine.indices.reversed() {
            guard needed[i] else {
                // Nothing below wants a gradient (needed[] only grows upwards); keep this output's if asked.
                if ctx.wants(spine[i].name) { ctx.gradients[spine[i].name] = h } else { ctx.pool.recycle(h) }
                return .empty
            }
            let next = ctx.backward(spine[i], h)
            ctx.pool.recycle(h)
            h = next
        }
        return h
    }

    private func validate(_ x: Tensor, mode: ForwardMode) throws {
        guard x.rank == 4, x.shape[1] == inputChannels, x.shape[0] >= 1 else {
            throw LoupeError.invalidInput("\(name) expects images of shape (N, \(inputChannels), H, W) with N ≥ 1; got \(x.shape)")
        }
        let names = layerNames(height: x.shape[2], width: x.shape[3])
        if let tooSmall = names.first(where: { $0.shape.contains { $0 < 1 } }) {
            throw LoupeError.invalidInput("images of \(x.shape[2])×\(x.shape[3]) are too small for \(name): "
                                          + "layer \(tooSmall.name) would be \(tooSmall.shape)")
        }
        let batchNorms = Set(buffers.filter { $0.name.hasSuffix(".running_mean") }.map { String($0.name.dropLast(13)) })
        if mode == .train, let tiny = names.first(where: { batchNorms.contains($0.name) && x.shape[0] * $0.shape[1] * $0.shape[2] < 2 }) {
            throw LoupeError.invalidInput("BatchNorm in train mode needs more than one value per channel; \(tiny.name) would get "
                                          + "a batch of \(x.shape[0]) at \(tiny.shape[1])×\(tiny.shape[2]): use a larger batch or image")
        }
    }
}
