import LoupeCore
import Testing
@testable import Train

/// Whole tiny models in train mode (batch statistics), loss = mean cross-entropy: the float32 backward
/// against central differences of a Double-precision reference forward (`DoubleReference`, h = 1e-6),
/// every element for a small LittleConv, directional derivatives for a narrow ResNet-18.
@Suite struct ModelGradientTests {
    static let labels = [1, 0, 2]
    static let h = 1e-6

    /// Analytic gradients of all parameters (in the parameters' `grad`) and of the input (returned).
    static func analytic(_ model: Model, _ x: Tensor) throws -> (dx: Tensor, logits: Tensor) {
        model.zeroGradients()
        let logits = try model.forward(x, mode: .train)
        let (_, dLogits) = try softmaxCrossEntropy(logits: logits, labels: labels)
        return (try model.backward(dLogits, needParameterGradients: true, needInputGradient: true), logits)
    }

    static func value(_ t: Tensor) -> DoubleReference.Value { .init(shape: t.shape, v: t.storage.map(Double.init)) }

    /// The reference agrees with the float32 forward.
    static func checkLogits(_ model: Model, _ x: Tensor, _ logits: Tensor) {
        let reference = DoubleReference(model, mode: .train).logits(model, value(x))
        let scale = reference.v.map(abs).max()!
        #expect(GradientCheck.maxAbsDifference(logits.storage, reference.v) / scale < 1e-5)
    }

    @Test func littleConvEveryElement() throws {
        let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 3, channels: [3, 4, 4, 5]), seed: 7)
        model.threads = 1
        let x = GradientCheck.random([3, 3, 16, 16], seed: 8)
        let (dx, logits) = try Self.analytic(model, x)
        Self.checkLogits(model, x, logits)
        var reference = DoubleReference(model, mode: .train)
        var input = Self.value(x)
        for p in model.parameters {
            var numeric = [Double](repeating: 0, count: p.value.count)
            for i in 0..<p.value.count {
                let original = reference.state[p.name]![i]
                reference.state[p.name]![i] = original + Self.h
                let plus = reference.loss(model, input, labels: Self.labels)
                reference.state[p.name]![i] = original - Self.h
                let minus = reference.loss(model, input, labels: Self.labels)
                reference.state[p.name]![i] = original
                numeric[i] = (plus - minus) / (2 * Self.h)
            }
            let error = GradientCheck.relativeError(p.grad, numeric)
            #expect(error < 1e-3, "\(p.name): relative error \(error)")
        }
        // The input gradient on 96 random elements (all of them would take long in a debug build).
        var g = SeededGenerator(seed: 11)
        let picked = (0..<x.count).shuffled(using: &g).prefix(96)
        var numeric: [Double] = [], analytic: [Double] = []
        for i in picked {
            let original = input.v[i]
            input.v[i] = original + Self.h
            let plus = reference.loss(model, input, labels: Self.labels)
            input.v[i] = original - Self.h
            let minus = reference.loss(model, input, labels: Self.labels)
            input.v[i] = original
            numeric.append((plus - minus) / (2 * Self.h))
            analytic.append(Double(dx.storage[i]))
        }
        let error = GradientCheck.relativeError(analytic, numeric)
        #expect(error < 1e-3, "input: relative error \(error)")
    }

    static func unit(_ v: [Double]) -> [Double] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    /// |numeric − analytic| of the derivative along `direction` (unit norm), relative to ‖gradient‖ (the
    /// largest directional derivative there is).
    static func directionalError(gradient: Tensor, direction: [Double], loss: (Double) -> Double) -> Double {
        let numeric = (loss(h) - loss(-h)) / (2 * h)
        let analytic = zip(gradient.storage, direction).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let norm = gradient.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return abs(numeric - analytic) / max(norm, 1e-12)
    }

    /// Directional checks of every parameter tensor and the input against the Double reference.
    static func checkDirectional(_ model: Model, _ x: Tensor) throws {
        let (dx, logits) = try analytic(model, x)
        checkLogits(model, x, logits)
        let reference = DoubleReference(model, mode: .train)
        let input = value(x)
        for (i, p) in model.parameters.enumerated() {
            let gradient = unit(p.grad.storage.map(Double.init))
            let random = unit(GradientCheck.random(p.shape, seed: UInt64(100 + i)).storage.map(Double.init))
            // Along the gradient itself and along a random mix: a wrong direction or size shows in either.
            for direction in [gradient, unit(zip(gradient, random).map { $0 + $1 })] {
                let error = directionalError(gradient: p.grad, direction: direction) { step in
                    var moved = reference
                    moved.state[p.name] = zip(reference.state[p.name]!, direction).map { $0 + step * $1 }
                    return moved.loss(model, input, labels: labels)
                }
                #expect(error < 1e-3, "\(p.name): directional error \(error)")
            }
        }
        let direction = unit(dx.storage.map(Double.init))
        let error = directionalError(gradient: dx, direction: direction) { step in
            reference.loss(model, .init(shape: input.shape, v: zip(input.v, direction).map { $0 + step * $1 }), labels: labels)
        }
        #expect(error < 1e-3, "input: directional error \(error)")
    }

    /// 16 channels: the 3×3 convolutions after the first take the Winograd path.
    @Test func littleConvWinogradDirectional() throws {
        let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 3, channels: [16, 16, 16, 16]), seed: 12)
        model.threads = 2
        let conv = model.spine.compactMap { $0 as? Conv2d }
        #expect(conv.dropFirst().allSatisfy { $0.usesWinograd($0.geometry([3, 16, 8, 8])) })
        try Self.checkDirectional(model, GradientCheck.random([3, 3, 16, 16], seed: 13))
    }

    @Test(arguments: [false, true])
    func tinyResNetDirectional(smallInput: Bool) throws {
        let model = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 3, smallInput: smallInput), seed: 9,
                              resNetWidths: [4, 6, 8, 8])
        model.threads = 2
        try Self.checkDirectional(model, GradientCheck.random([3, 3, 16, 16], seed: 10))
    }
}
