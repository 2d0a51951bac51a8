import LoupeCore
import Testing
@testable import Train

/// Finite-difference checks of every layer's backward against its own forward (tolerance 1e-3, norm-wise).
@Suite struct KernelGradientTests {
    static let tolerance = 1e-3

    struct ConvCase: CustomStringConvertible, Sendable {
        let n, c, h, w, o, kernel, stride, padding: Int
        let bias: Bool
        var description: String { "N\(n) C\(c) \(h)×\(w) → O\(o) k\(kernel) s\(stride) p\(padding)\(bias ? " +bias" : "")" }
    }

    @Test(arguments: [
        ConvCase(n: 2, c: 2, h: 5, w: 6, o: 3, kernel: 3, stride: 1, padding: 1, bias: true),
        ConvCase(n: 2, c: 2, h: 7, w: 7, o: 3, kernel: 3, stride: 2, padding: 1, bias: false),
        ConvCase(n: 1, c: 3, h: 4, w: 4, o: 2, kernel: 1, stride: 1, padding: 0, bias: false),
        ConvCase(n: 3, c: 3, h: 4, w: 4, o: 2, kernel: 1, stride: 1, padding: 0, bias: true),
        ConvCase(n: 2, c: 2, h: 5, w: 5, o: 2, kernel: 1, stride: 2, padding: 0, bias: false),
        ConvCase(n: 1, c: 2, h: 9, w: 8, o: 2, kernel: 7, stride: 2, padding: 3, bias: false),
        // Winograd path (≥ 16 channels), odd and even sizes, both tile sizes (conv2dWinograd4).
        ConvCase(n: 2, c: 16, h: 5, w: 4, o: 16, kernel: 3, stride: 1, padding: 1, bias: true),
    ])
    func conv2d(_ k: ConvCase) { Self.checkConvolution(k, tile: nil) }

    /// F(4×4, 3×3) on partial tiles (6 = 4 + 2, 9 = 2·4 + 1), whatever map size the default rule starts it at.
    @Test(arguments: [ConvCase(n: 2, c: 16, h: 6, w: 9, o: 16, kernel: 3, stride: 1, padding: 1, bias: false),
                      ConvCase(n: 1, c: 16, h: 4, w: 4, o: 24, kernel: 3, stride: 1, padding: 1, bias: true)])
    func conv2dWinograd4(_ k: ConvCase) { Self.checkConvolution(k, tile: .f4) }

    /// The 2×2-map tile (9 products), which the default rule picks on 2×2 maps.
    @Test func conv2dWinogradMap2() {
        let conv = Conv2d(name: "conv", inChannels: 16, outChannels: 17, kernel: 3, padding: 1, bias: true)
        #expect(conv.winogradTile(conv.geometry([2, 16, 2, 2])) == .map2)
        #expect(conv.winogradTile(conv.geometry([2, 16, 2, 3])) == .f2)
        Self.checkConvolution(ConvCase(n: 2, c: 16, h: 2, w: 2, o: 17, kernel: 3, stride: 1, padding: 1, bias: true), tile: nil)
    }

    /// The default rule: F(4×4) from 16 px and on 7×7 (where F(2×2) pads as much), F(2×2) on 4-14 px otherwise
    /// (unless the environment overrides the threshold for a benchmark), and a 7-px map through the default
    /// tile matches finite differences.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_WINOGRAD4_MIN_MAP"] == nil))
    func defaultTileByMapSide() {
        let conv = Conv2d(name: "conv", inChannels: 16, outChannels: 16, kernel: 3, padding: 1, bias: false)
        for (side, tile) in [(4, Winograd.Tile.f2), (7, .f4), (8, .f2), (9, .f2), (11, .f4), (14, .f2), (16, .f4), (28, .f4)] {
            #expect(conv.winogradTile(conv.geometry([1, 16, side, side])) == tile, "\(side)×\(side)")
        }
        #expect(conv.winogradTile(conv.geometry([1, 16, 7, 9])) == .f4)
        Self.checkConvolution(ConvCase(n: 1, c: 16, h: 7, w: 7, o: 16, kernel: 3, stride: 1, padding: 1, bias: false), tile: nil)
    }

    static func checkConvolution(_ k: ConvCase, tile: Winograd.Tile?) {
        let conv = Conv2d(name: "conv", inChannels: k.c, outChannels: k.o, kernel: k.kernel, stride: k.stride,
                          padding: k.padding, bias: k.bias)
        conv.winogradTileOverride = tile
        conv.weight.value = GradientCheck.random(conv.weight.shape, seed: 1)
        conv.bias?.value = GradientCheck.random([k.o], seed: 2)
        let x = GradientCheck.Box(GradientCheck.random([k.n, k.c, k.h, k.w], seed: 3))
        let outShape = [k.n, k.o] + conv.outputShape([k.c, k.h, k.w]).dropFirst()
        let w = GradientCheck.random(outShape, seed: 4)
        let ctx = GradientCheck.context()
        let loss = { GradientCheck.dot(conv.forward(x.value, ctx), w) }

        _ = conv.forward(x.value, ctx)
        let dx = conv.backward(w, ctx)
        #expect(GradientCheck.relativeError(dx, GradientCheck.numeric(x, h: 1e-2, loss: loss)) < Self.tolerance)
        #expect(GradientCheck.relativeError(conv.weight.grad, GradientCheck.numeric(conv.weight, h: 1e-2, loss: loss)) < Self.tolerance)
        if let b = conv.bias {
            #expect(GradientCheck.relativeError(b.grad, GradientCheck.numeric(b, h: 1e-2, loss: loss)) < Self.tolerance)
        }
    }

    struct NormCase: CustomStringConvertible, Sendable {
        let mode: ForwardMode
        let relu, residual: Bool
        var description: String { "\(mode)\(relu ? " +relu" : "")\(residual ? " +residual" : "")" }
    }

    @Test(arguments: [
        NormCase(mode: .train, relu: false, residual: false), NormCase(mode: .eval, relu: false, residual: false),
        NormCase(mode: .train, relu: true, residual: false), NormCase(mode: .train, relu: true, residual: true),
        NormCase(mode: .eval, relu: true, residual: true), NormCase(mode: .train, relu: false, residual: true),
    ])
    func batchNorm2d(_ k: NormCase) {
        let bn = BatchNorm2d(name: "bn", channels: 3, fusedReLU: k.relu ? "relu" : nil)
        bn.weight.value = GradientCheck.random([3], seed: 5, scale: 0.5)
        bn.bias.value = GradientCheck.random([3], seed: 6, scale: 0.5)
        bn.runningMean.value = GradientCheck.random([3], seed: 7, scale: 0.3)
        bn.runningVar.value = Tensor(shape: [3], storage: [0.5, 1.5, 2])
        let x = GradientCheck.Box(GradientCheck.random([2, 3, 3, 4], seed: 8, scale: 2))
        let r = GradientCheck.Box(GradientCheck.random([2, 3, 3, 4], seed: 9))
        let w = GradientCheck.random([2, 3, 3, 4], seed: 10)
        let ctx = GradientCheck.context(k.mode)
        if k.relu && k.residual {
            // Move pre-activations at least 0.2 away from the ReLU kink, so no finite-difference step crosses it.
            let twin = BatchNorm2d(name: "bn", channels: 3)
            twin.weight.value = bn.weight.value
            twin.bias.value = bn.bias.value
            twin.runningMean.value = bn.runningMean.value
            twin.runningVar.value = bn.runningVar.value
            let pre = twin.forward(x.value, residual: r.value, ctx)
            for i in 0..<pre.count where abs(pre.storage[i]) < 0.3 { r.value.storage[i] += pre.storage[i] >= 0 ? 0.5 : -0.5 }
        }
        let loss = { GradientCheck.dot(bn.forward(x.value, residual: k.residual ? r.value : nil, ctx), w) }

        _ = bn.forward(x.value, residual: k.residual ? r.value : nil, ctx)
        let (dx, dr) = bn.backwardWithResidual(w, ctx)
        let h: Float = 1e-2
        #expect(GradientCheck.relativeError(dx, GradientCheck.numeric(x, h: h, loss: loss)) < Self.tolerance)
        #expect(GradientCheck.relativeError(bn.weight.grad, GradientCheck.numeric(bn.weight, h: h, loss: loss)) < Self.tolerance)
        #expect(GradientCheck.relativeError(bn.bias.grad, GradientCheck.numeric(bn.bias, h: h, loss: loss)) < Self.tolerance)
        if k.residual {
            #expect(dr != nil)
            if let dr { #expect(GradientCheck.relativeError(dr, GradientCheck.numeric(r, h: h, loss: loss)) < Self.tolerance) }
        } else {
            #expect(dr == nil)
        }
    }

    @Test func relu() {
        let layer = ReLU(name: "relu")
        let x = GradientCheck.Box(GradientCheck.distinct([2, 3, 4, 5], seed: 11, scale: 2))
        let w = GradientCheck.random(x.value.shape, seed: 12)
        let ctx = GradientCheck.context()
        _ = layer.forward(x.value, ctx)
        let dx = layer.backward(w, ctx)
        let numeric = GradientCheck.numeric(x, h: 1e-3) { GradientCheck.dot(layer.forward(x.value, ctx), w) }
        #expect(GradientCheck.relativeError(dx, numeric) < Self.tolerance)
    }

    @Test(arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
    func maxPool2d(_ geometry: (Int, Int, Int)) {
        let pool = MaxPool2d(name: "pool", kernel: geometry.0, stride: geometry.1, padding: geometry.2)
        let x = GradientCheck.Box(GradientCheck.distinct([2, 2, 7, 6], seed: 13, scale: 3))
        let outShape = [2] + pool.outputShape([2, 7, 6])
        let w = GradientCheck.random(outShape, seed: 14)
        let ctx = GradientCheck.context()
        _ = pool.forward(x.value, ctx)
        let dx = pool.backward(w, ctx)
        let numeric = GradientCheck.numeric(x, h: 1e-2) { GradientCheck.dot(pool.forward(x.value, ctx), w) }
        #expect(GradientCheck.relativeError(dx, numeric) < Self.tolerance)
    }

    @Test func maxPoolTiesGoToTheFirstElement() {
        let pool = MaxPool2d(name: "pool", kernel: 2, stride: 2)
        let x = Tensor(shape: [1, 1, 2, 2], storage: [1, 3, 3, 0])
        let ctx = GradientCheck.context()
        #expect(pool.forward(x, ctx).storage == [3])
        #expect(pool.backward(Tensor(shape: [1, 1, 1, 1], value: 1), ctx).storage == [0, 1, 0, 0])
    }

    @Test func globalAvgPool() {
        let pool = GlobalAvgPool(name: "avgpool")
        let x = GradientCheck.Box(GradientCheck.random([2, 3, 3, 5], seed: 15))
        let w = GradientCheck.random([2, 3], seed: 16)
        let ctx = GradientCheck.context()
        _ = pool.forward(x.value, ctx)
        let dx = pool.backward(w, ctx)
        let numeric = GradientCheck.numeric(x, h: 1e-2) { GradientCheck.dot(pool.forward(x.value, ctx), w) }
        #expect(GradientCheck.relativeError(dx, numeric) < Self.tolerance)
    }

    @Test func linear() {
        let fc = Linear(name: "fc", inFeatures: 5, outFeatures: 4, group: .head)
        fc.weight.value = GradientCheck.random([4, 5], seed: 17)
        fc.bias!.value = GradientCheck.random([4], seed: 18)
        let x = GradientCheck.Box(GradientCheck.random([3, 5], seed: 19))
        let w = GradientCheck.random([3, 4], seed: 20)
        let ctx = GradientCheck.context()
        let loss = { GradientCheck.dot(fc.forward(x.value, ctx), w) }
        _ = fc.forward(x.value, ctx)
        let dx = fc.backward(w, ctx)
        #expect(GradientCheck.relativeError(dx, GradientCheck.numeric(x, h: 1e-2, loss: loss)) < Self.tolerance)
        #expect(GradientCheck.relativeError(fc.weight.grad, GradientCheck.numeric(fc.weight, h: 1e-2, loss: loss)) < Self.tolerance)
        #expect(GradientCheck.relativeError(fc.bias!.grad, GradientCheck.numeric(fc.bias!, h: 1e-2, loss: loss)) < Self.tolerance)
    }

    @Test func dropout() {
        let layer = Dropout(name: "dropout", probability: 0.3, generator: SeededGenerator(seed: 21))
        let x = GradientCheck.Box(GradientCheck.random([4, 50], seed: 22))
        let w = GradientCheck.random(x.value.shape, seed: 23)
        let ctx = GradientCheck.context()
        // The same mask for every evaluation: reseed before each forward.
        let forward = { () -> Tensor in
            layer.generator = SeededGenerator(seed: 21)
            return layer.forward(x.value, ctx)
        }
        let y = forward()
        let dx = layer.backward(w, ctx)
        let numeric = GradientCheck.numeric(x, h: 1e-2) { GradientCheck.dot(forward(), w) }
        #expect(GradientCheck.relativeError(dx, numeric) < Self.tolerance)
        // Kept values are scaled by 1/(1 − p); about p of them are dropped.
        let dropped = zip(y.storage, x.value.storage).filter { $0.0 == 0 }.count
        #expect((30...90).contains(dropped))
        for (out, input) in zip(y.storage, x.value.storage) where out != 0 { #expect(abs(out - input / 0.7) < 1e-5) }
        // Eval is the identity.
        #expect(layer.forward(x.value, GradientCheck.context(.eval)) == x.value)
    }

    @Test func residualAdd() {
        let a = GradientCheck.Box(GradientCheck.random([2, 3, 2, 2], seed: 24))
        let b = GradientCheck.Box(GradientCheck.random([2, 3, 2, 2], seed: 25))
        let w = GradientCheck.random(a.value.shape, seed: 26)
        let out = GradientCheck.Box(.empty)
        let loss = { () -> Double in
            ResidualAdd.forward(a.value, b.value, into: &out.value)
            return GradientCheck.dot(out.value, w)
        }
        let (da, db) = ResidualAdd.backward(w)
        let numericA = GradientCheck.numeric(a, h: 1e-2, loss: loss), numericB = GradientCheck.numeric(b, h: 1e-2, loss: loss)
        #expect(GradientCheck.relativeError(da, numericA) < Self.tolerance)
        #expect(GradientCheck.relativeError(db, numericB) < Self.tolerance)
    }

    @Test func softmaxCrossEntropyGradient() throws {
        let logits = GradientCheck.Box(GradientCheck.random([4, 5], seed: 27, scale: 2))
        let labels = [0, 3, 4, 1]
        let (_, dLogits) = try softmaxCrossEntropy(logits: logits.value, labels: labels)
        let numeric = GradientCheck.numeric(logits, h: 1e-2) { Double(try! softmaxCrossEntropy(logits: logits.value, labels: labels).loss) }
        #expect(GradientCheck.relativeError(dLogits, numeric) < Self.tolerance)
    }

    @Test func softmaxCrossEntropyValues() throws {
        // Uniform logits: loss = log K. Huge logits stay finite (log-sum-exp).
        let (uniform, _) = try softmaxCrossEntropy(logits: Tensor(shape: [2, 4], value: 3), labels: [1, 2])
        #expect(abs(uniform - Float.log(4)) < 1e-6)
        let huge = Tensor(shape: [1, 3], storage: [1e4, 0, -1e4])
        let (loss, grad) = try softmaxCrossEntropy(logits: huge, labels: [1])
        #expect(abs(loss - 1e4) < 1)
        #expect(grad.storage.allSatisfy { $0.isFinite })
        #expect(throws: LoupeError.self) { _ = try softmaxCrossEntropy(logits: huge, labels: [3]) }
        #expect(throws: LoupeError.self) { _ = try softmaxCrossEntropy(logits: huge, labels: [0, 1]) }
    }
}

extension Float {
    static func log(_ x: Float) -> Float { Float(Foundation.log(Double(x))) }
}

import Foundation
