import LoupeCore

/// Layers applied in order (torchvision's `nn.Sequential`, e.g. `layer3`); records under its own name too.
final class Sequential: Layer {
    let name: String
    let layers: [Layer]

    init(name: String, layers: [Layer]) {
        self.name = name
        self.layers = layers
    }

    var stateEntries: [StateEntry] { layers.flatMap(\.stateEntries) }
    func releaseCache() { layers.forEach { $0.releaseCache() } }

    func outputShape(_ input: [Int]) -> [Int] { layers.reduce(input) { $1.outputShape($0) } }

    func describe(_ input: [Int]) -> [(name: String, shape: [Int])] {
        var shape = input, out: [(name: String, shape: [Int])] = []
        for layer in layers {
            out += layer.describe(shape)
            shape = layer.outputShape(shape)
        }
        return out + [(name, shape)]
    }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        var h = x
        for layer in layers { h = ctx.forward(layer, h) }
        return h
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        var g = dy
        for (i, layer) in layers.enumerated().reversed() {
            let next = ctx.backward(layer, g)
            // `dy` belongs to the caller; gradients made inside are ours to recycle.
            if i != layers.count - 1 { ctx.pool.recycle(g) }
            g = next
        }
        return g
    }
}
