import LoupeCore
import Testing
@testable import Train

/// Optimiser steps against the torch.optim formulas worked by hand (and the values torch 2.15 printed
/// for the same numbers, quoted in comments), groups, freezing, state round trips and schedules.
@Suite struct OptimizerTests {
    static let start: [Float] = [1, -2, 0.5]
    static let grads: [[Float]] = [[0.1, 0.2, -0.3], [-0.05, 0.4, 0.1]]

    static func parameter(_ name: String = "w", group: ParameterGroup = .backbone) -> Parameter {
        Parameter(name: name, value: Tensor(shape: [3], storage: start), group: group)
    }

    static func run(_ config: OptimizerConfig, steps: Int = 2) throws -> [[Float]] {
        let p = parameter()
        let optimizer = try Optimizer(parameters: [p], config: config)
        var out: [[Float]] = []
        for s in 0..<steps {
            p.grad = Tensor(shape: [3], storage: grads[s])
            optimizer.step()
            out.append(p.value.storage)
        }
        return out
    }

    static func close(_ a: [Float], _ b: [Double], _ tolerance: Double = 1e-6) -> Bool {
        zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance * max(1, abs($1)) }
    }

    @Test func sgdMomentumWeightDecay() throws {
        let lr = 0.1, mu = 0.9, wd = 0.01
        let result = try Self.run(OptimizerConfig(kind: .sgd, learningRate: lr, weightDecay: wd, momentum: mu))
        // By hand: step 1 b = g + wd·p, p −= lr·b; step 2 b = μ·b + (g + wd·p), p −= lr·b.
        var p = Self.start.map(Double.init), b = [Double](repeating: 0, count: 3)
        for s in 0..<2 {
            for i in 0..<3 {
                let d = Double(Self.grads[s][i]) + wd * p[i]
                b[i] = s == 0 ? d : mu * b[i] + d
                p[i] -= lr * b[i]
            }
            #expect(Self.close(result[s], p))
        }
        // torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01):
        #expect(Self.close(result[1], [0.9831110239028931, -2.0721819400787354, 0.5455204844474792]))
    }

    @Test func sgdNesterovAndDampening() throws {
        let nesterov = try Self.run(OptimizerConfig(kind: .sgd, learningRate: 0.1, weightDecay: 0.01, nesterov: true))
        #expect(Self.close(nesterov[1], [0.9778296947479248, -2.120914936065674, 0.559888482093811]))
        let damped = try Self.run(OptimizerConfig(kind: .sgd, learningRate: 0.1, dampening: 0.5))
        #expect(Self.close(damped[1], [0.9835000038146973, -2.058000087738037, 0.5520000457763672]))
    }

    @Test func adamWDecoupledDecay() throws {
        let lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8
        let result = try Self.run(OptimizerConfig(kind: .adamw, learningRate: lr, weightDecay: wd))
        var p = Self.start.map(Double.init), m = [Double](repeating: 0, count: 3), v = m
        for s in 0..<2 {
            let t = Double(s + 1)
            for i in 0..<3 {
                let g = Double(Self.grads[s][i])
                p[i] *= 1 - lr * wd
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mHat = m[i] / (1 - Foundation.pow(b1, t)), vHat = v[i] / (1 - Foundation.pow(b2, t))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            #expect(Self.close(result[s], p, 1e-5))
        }
        // torch.optim.AdamW(lr=0.01, weight_decay=0.1):
        #expect(Self.close(result[1], [0.9853476881980896, -2.015644073486328, 0.5129927396774292], 1e-6))
    }

    @Test func adamWithL2() throws {
        let result = try Self.run(OptimizerConfig(kind: .adam, learningRate: 0.01, weightDecay: 0.1))
        // torch.optim.Adam(lr=0.01, weight_decay=0.1):
        #expect(Self.close(result[1], [0.981720507144928, -2.007441282272339, 0.5118861198425293], 1e-6))
    }

    @Test func groupsFrozenAndSchedulesFactor() throws {
        let backbone = Self.parameter("b", group: .backbone), head = Self.parameter("h", group: .head)
        let frozen = Self.parameter("f")
        frozen.isFrozen = true
        let optimizer = try Optimizer(parameters: [backbone, head, frozen],
                                      config: OptimizerConfig(kind: .sgd, learningRate: 0.1, backboneLRScale: 0.1, momentum: 0))
        optimizer.learningRateFactor = 0.5
        #expect(abs(optimizer.learningRate(for: .head) - 0.05) < 1e-12)
        #expect(abs(optimizer.learningRate(for: .backbone) - 0.005) < 1e-12)
        for p in [backbone, head, frozen] { p.grad = Tensor(shape: [3], value: 1) }
        optimizer.step()
        #expect(Self.close(head.value.storage, Self.start.map { Double($0) - 0.05 }))
        #expect(Self.close(backbone.value.storage, Self.start.map { Double($0) - 0.005 }))
        #expect(frozen.value.storage == Self.start)
        #expect(optimizer.state().map(\.0) == ["step.b", "step.h"])
    }

    /// A parameter large enough to be split between threads steps to the same bits on one thread and on two,
    /// for every update rule (SGD's four momentum loops, Adam's two).
    @Test(arguments: [OptimizerConfig(kind: .sgd, learningRate: 0.1, weightDecay: 0.01, momentum: 0.9),
                      OptimizerConfig(kind: .sgd, learningRate: 0.1, weightDecay: 0.01, nesterov: true),
                      OptimizerConfig(kind: .adam, learningRate: 0.01, weightDecay: 0.01),
                      OptimizerConfig(kind: .adamw, learningRate: 0.01, weightDecay: 0.1)])
    func threadsDoNotChangeTheUpdate(_ config: OptimizerConfig) throws {
        let count = 70_001
        var g = SeededGenerator(seed: 3)
        let start = (0..<count).map { _ in g.nextGaussian() }
        let grads = (0..<2).map { _ in (0..<count).map { _ in g.nextGaussian() } }
        var results: [[Float]] = []
        for threads in [1, 2] {
            let p = Parameter(name: "w", value: Tensor(shape: [count], storage: start), group: .backbone)
            let optimizer = try Optimizer(parameters: [p], config: config)
            optimizer.threads = threads
            for s in 0..<2 {
                p.grad = Tensor(shape: [count], storage: grads[s])
                optimizer.step()
            }
            results.append(p.value.storage)
        }
        #expect(results[0] == results[1])
        #expect(results[0] != start)
    }

    @Test(arguments: [OptimizerKind.sgd, .adam, .adamw])
    func stateRoundTripContinuesIdentically(_ kind: OptimizerKind) throws {
        let config = OptimizerConfig(kind: kind, learningRate: 0.01, weightDecay: 0.01)
        let a = Self.parameter(), b = Self.parameter()
        let first = try Optimizer(parameters: [a], config: config)
        a.grad = Tensor(shape: [3], storage: Self.grads[0])
        first.step()
        // Resume: a fresh optimiser over a copy of the weights, loaded with the saved state.
        b.value = a.value
        let resumed = try Optimizer(parameters: [b], config: config)
        try resumed.load(state: Dictionary(uniqueKeysWithValues: first.state()))
        for (p, o) in [(a, first), (b, resumed)] {
            p.grad = Tensor(shape: [3], storage: Self.grads[1])
            o.step()
        }
        #expect(a.value == b.value)
        let names = Set(first.state().map(\.0))
        #expect(names == (kind == .sgd ? ["momentum_buffer.w", "step.w"] : ["exp_avg.w", "exp_avg_sq.w", "step.w"]))
        #expect(throws: LoupeError.self) { try resumed.load(state: ["exp_avg.nope": Tensor(shape: [3])]) }
        #expect(throws: LoupeError.self) { try resumed.load(state: ["step.w": Tensor(shape: [2])]) }
    }

    @Test func badConfigsThrow() {
        #expect(throws: LoupeError.self) { _ = try Optimizer(parameters: [], config: OptimizerConfig(kind: .sgd, learningRate: -1)) }
        #expect(throws: LoupeError.self) {
            _ = try Optimizer(parameters: [], config: OptimizerConfig(kind: .sgd, learningRate: 0.1, momentum: 0, nesterov: true))
        }
        #expect(throws: LoupeError.self) { try LRSchedule(kind: .cosine, totalSteps: 3, warmupSteps: 3).validate() }
        #expect(OptimizerConfig(kind: .adamw, learningRate: 1).weightDecay == 0.01)
    }

    @Test func schedulesMatchPyTorch() throws {
        // SequentialLR([LinearLR(0.1, 1, 3), CosineAnnealingLR(T_max=7, eta_min=0.05)], milestones=[3]):
        let cosine = LRSchedule(kind: .cosine, totalSteps: 10, warmupSteps: 3, warmupStartFactor: 0.1, minFactor: 0.05)
        try cosine.validate()
        let torchCosine = [0.1, 0.4, 0.7, 1.0, 0.952960212253649, 0.8211576558828984, 0.6306974436292493, 0.41930255637075065,
                           0.22884234411710158, 0.09703978774635096, 0.05]
        for (t, expected) in torchCosine.enumerated() { #expect(abs(cosine.factor(at: t) - expected) < 1e-12, "t = \(t)") }
        #expect(cosine.factor(at: 50) == 0.05)  // clamped after the end (PyTorch's would rise again)
        // SequentialLR([LinearLR(0.1, 1, 2), StepLR(3, 0.5)], milestones=[2]):
        let step = LRSchedule(kind: .step, warmupSteps: 2, warmupStartFactor: 0.1, stepSize: 3, gamma: 0.5)
        let torchStep = [0.1, 0.55, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
        for (t, expected) in torchStep.enumerated() { #expect(abs(step.factor(at: t) - expected) < 1e-12, "t = \(t)") }
        #expect(LRSchedule.constant.factor(at: 1000) == 1)
    }
}

import Foundation
