import LoupeCore

/// PyTorch's default weight initialisations, drawn from a `SeededGenerator`.
enum Initializers {
    /// nn.Conv2d / nn.Linear default: kaiming_uniform_(a = √5), i.e. U(−1/√fan_in, 1/√fan_in).
    static func pytorchDefault(_ p: Parameter, fanIn: Int, using g: inout SeededGenerator) {
        let bound = 1 / Float(fanIn).squareRoot()
        uniform(p, bound: bound, using: &g)
    }

    /// U(−bound, bound).
    static func uniform(_ p: Parameter, bound: Float, using g: inout SeededGenerator) {
        let count = p.value.count
        p.value.write { v in for i in 0..<count { v[i] = (2 * g.nextFloat() - 1) * bound } }
    }

    /// torchvision ResNet convs: kaiming_normal_(mode = "fan_out", nonlinearity = "relu"): N(0, 2/fan_out).
    static func kaimingNormalFanOut(_ p: Parameter, using g: inout SeededGenerator) {
        let fanOut = p.shape[0] * p.shape.dropFirst(2).reduce(1, *)
        let std = (2 / Float(fanOut)).squareRoot()
        let count = p.value.count
        p.value.write { v in for i in 0..<count { v[i] = g.nextGaussian() * std } }
    }

    /// A new Linear initialised like nn.Linear.
    static func linear(name: String, inFeatures: Int, outFeatures: Int, group: ParameterGroup,
                       using g: inout SeededGenerator) -> Linear {
        let fc = Linear(name: name, inFeatures: inFeatures, outFeatures: outFeatures, group: group)
        pytorchDefault(fc.weight, fanIn: inFeatures, using: &g)
        if let b = fc.bias { pytorchDefault(b, fanIn: inFeatures, using: &g) }
        return fc
    }
}
