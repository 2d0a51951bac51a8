import LoupeCore

/// The layers of one model between the input and the global average pool, and how to name things.
struct Architecture {
    /// Top-level layers in forward order; backward may stop early between them.
    var spine: [Layer]
    /// A name for the spine's output when it is one torchvision module (LittleConv's `features`).
    var spineName: String?
    var embeddingLayer: String
    var featureChannels: Int
    var aliases: [String: String]

    /// LittleConv: `features.{4i}` conv3×3 (no bias) → `features.{4i+1}` BN → `features.{4i+2}` ReLU →
    /// `features.{4i+3}` maxpool 2, for each stage i, as the PyTorch peer's nn.Sequential.
    static func littleConv(_ spec: ModelSpec, using g: inout SeededGenerator) -> Architecture {
        var layers: [Layer] = [], aliases: [String: String] = [:]
        var cin = spec.inputChannels
        for (stage, c) in spec.channels.enumerated() {
            let i = 4 * stage
            let conv = Conv2d(name: "features.\(i)", inChannels: cin, outChannels: c, kernel: 3, padding: 1, bias: false)
            Initializers.pytorchDefault(conv.weight, fanIn: cin * 9, using: &g)
            let bn = BatchNorm2d(name: "features.\(i + 1)", channels: c, fusedReLU: "features.\(i + 2)")
            let pool = MaxPool2d(name: "features.\(i + 3)", kernel: 2, stride: 2)
            layers += [conv, bn, pool]
            aliases["block\(stage + 1)"] = pool.name
            cin = c
        }
        let last = layers.last!.name
        return Architecture(spine: layers, spineName: "features", embeddingLayer: last, featureChannels: cin, aliases: aliases)
    }

    /// torchvision's resnet18: conv1 7×7/2 → bn1 → relu → maxpool 3/2/1 → layer1…layer4 (2 BasicBlocks
    /// each). `smallInput` swaps the stem for conv1 3×3/1 without maxpool.
    /// `widths` other than torchvision's are for tests (a tiny ResNet with the same topology).
    static func resNet18(_ spec: ModelSpec, widths: [Int] = [64, 128, 256, 512], using g: inout SeededGenerator) -> Architecture {
        var spine: [Layer] = []
        let stem = widths[0]
        let conv1 = spec.smallInput
            ? Conv2d(name: "conv1", inChannels: spec.inputChannels, outChannels: stem, kernel: 3, stride: 1, padding: 1, bias: false)
            : Conv2d(name: "conv1", inChannels: spec.inputChannels, outChannels: stem, kernel: 7, stride: 2, padding: 3, bias: false)
        spine += [conv1, BatchNorm2d(name: "bn1", channels: stem, fusedReLU: "relu")]
        if !spec.smallInput { spine.append(MaxPool2d(name: "maxpool", kernel: 3, stride: 2, padding: 1)) }
        var cin = stem
        var aliases = ["stem": spine.last!.name]
        for (index, width) in widths.enumerated() {
            let name = "layer\(index + 1)"
            let stride = index == 0 ? 1 : 2
            let blocks = [BasicBlock(name: name + ".0", inChannels: cin, outChannels: width, stride: stride),
                          BasicBlock(name: name + ".1", inChannels: width, outChannels: width, stride: 1)]
            spine.append(Sequential(name: name, layers: blocks))
            aliases["block\(index + 1)"] = name
            cin = width
        }
        for case .parameter(let p) in spine.flatMap(\.stateEntries) where p.shape.count == 4 {
            Initializers.kaimingNormalFanOut(p, using: &g)
        }
        return Architecture(spine: spine, spineName: nil, embeddingLayer: "layer\(widths.count)", featureChannels: cin, aliases: aliases)
    }
}
