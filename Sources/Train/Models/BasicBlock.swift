import LoupeCore

/// torchvision's ResNet BasicBlock: conv3×3(stride) → bn1 → relu → conv3×3 → bn2, plus the shortcut
/// (identity, or `downsample.0` 1×1 conv(stride) → `downsample.1` BN), added, then relu.
///
/// Recording names (prefix `layerX.Y.`): `conv1`, `bn1`, `relu:1` (the first ReLU), `conv2`, `bn2`
/// (before the add), `downsample.0`, `downsample.1`, `downsample`, and `relu` = the block output
/// (torchvision applies the one `relu` module twice; the name means its last application).
/// bn2, the add and the last ReLU run as one fused kernel.
final class BasicBlock: Layer {
    let name: String
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let conv2: Conv2d
    let bn2: BatchNorm2d
    let downsampleConv: Conv2d?
    let downsampleBN: BatchNorm2d?

    init(name: String, inChannels: Int, outChannels: Int, stride: Int) {
        self.name = name
        conv1 = Conv2d(name: name + ".conv1", inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride,
                       padding: 1, bias: false)
        bn1 = BatchNorm2d(name: name + ".bn1", channels: outChannels, fusedReLU: name + ".relu:1")
        conv2 = Conv2d(name: name + ".conv2", inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(name: name + ".bn2", channels: outChannels, fusedReLU: name + ".relu")
        if stride != 1 || inChannels != outChannels {
            downsampleConv = Conv2d(name: name + ".downsample.0", inChannels: inChannels, outChannels: outChannels, kernel: 1,
                                    stride: stride, bias: false)
            downsampleBN = BatchNorm2d(name: name + ".downsample.1", channels: outChannels)
        } else {
            downsampleConv = nil
            downsampleBN = nil
        }
    }

    var stateEntries: [StateEntry] {
        conv1.stateEntries + bn1.stateEntries + conv2.stateEntries + bn2.stateEntries
            + (downsampleConv?.stateEntries ?? []) + (downsampleBN?.stateEntries ?? [])
    }

    func releaseCache() {
        let layers: [Layer?] = [conv1, bn1, conv2, bn2, downsampleConv, downsampleBN]
        layers.forEach { $0?.releaseCache() }
    }

    func outputShape(_ input: [Int]) -> [Int] { conv1.outputShape(input) }

    func describe(_ input: [Int]) -> [(name: String, shape: [Int])] {
        let out = conv1.outputShape(input)
        var names: [(name: String, shape: [Int])] = [(conv1.name, out)] + bn1.describe(out) + [(conv2.name, out), (bn2.moduleName, out)]
        if let downsampleConv, let downsampleBN {
            names += [(downsampleConv.name, out), (downsampleBN.name, out), (name + ".downsample", out)]
        }
        return names + [(bn2.name, out), (name, out)]
    }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        var h = ctx.forward(conv1, x)
        h = ctx.forward(bn1, h)
        h = ctx.forward(conv2, h)
        var shortcut = x
        if let downsampleConv, let downsampleBN {
            shortcut = ctx.forward(downsampleBN, ctx.forward(downsampleConv, x))
            if ctx.wants(name + ".downsample") { ctx.activations[name + ".downsample"] = shortcut }
        }
        let y = bn2.forward(h, residual: shortcut, ctx)
        if ctx.wants(bn2.name) { ctx.activations[bn2.name] = y }
        return y
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        if ctx.wants(bn2.name) { ctx.gradients[bn2.name] = dy }
        let (dh2, dShortcut) = bn2.backwardWithResidual(dy, ctx)
        let dh1 = ctx.backward(conv2, dh2)
        ctx.pool.recycle(dh2)
        let dc1 = ctx.backward(bn1, dh1)
        ctx.pool.recycle(dh1)
        var dx = ctx.backward(conv1, dc1)
        ctx.pool.recycle(dc1)
        guard let dShortcut else { preconditionFailure("\(name): bn2 ran without its residual") }
        if let downsampleConv, let downsampleBN {
            if ctx.wants(name + ".downsample") { ctx.gradients[name + ".downsample"] = dShortcut }
            let dd = ctx.backward(downsampleBN, dShortcut)
            let dxs = ctx.backward(downsampleConv, dd)
            ctx.pool.recycle(dd)
            if dx.count > 0 { ResidualAdd.accumulate(dxs, into: &dx) }
            ctx.pool.recycle(dxs)
        } else if dx.count > 0 {
            ResidualAdd.accumulate(dShortcut, into: &dx)
        }
        ctx.pool.recycle(dShortcut)
        return dx
    }
}
