import LoupeCore
import Testing
@testable import Train

/// The Model API: torchvision names and layouts, recording, loading, heads, freezing, determinism, errors.
@Suite struct ModelTests {
    static func tinyResNet(classes: Int = 3, seed: UInt64 = 1, channels: Int = 3) throws -> Model {
        try Model(spec: ModelSpec(architecture: .resnet18, numClasses: classes, inputChannels: channels), seed: seed,
                  resNetWidths: [4, 6, 8, 8])
    }

    static func keysAndShapes(_ model: Model) -> [String] {
        model.stateDict().map { "\($0.0) \($0.1.shape)" }
    }

    @Test func resnet18StateDictIsTorchvisions() throws {
        let model = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 0)
        #expect(Self.keysAndShapes(model) == TorchReference.resnet18.map { "\($0.0) \($0.1)" })
        #expect(model.parameters.count == 62)
        #expect(model.parameters.map(\.value.count).reduce(0, +) == 11_181_642)
        let gray = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 7, inputChannels: 1), seed: 0)
        #expect(Self.keysAndShapes(gray) == TorchReference.resnet18Gray7.map { "\($0.0) \($0.1)" })
    }

    @Test func littleConvStateDictIsThePeers() throws {
        let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 10), seed: 0)
        #expect(Self.keysAndShapes(model) == TorchReference.littleConv.map { "\($0.0) \($0.1)" })
        #expect(model.embeddingLayer == "features.15")
    }

    @Test func layerNamesCoverEveryTorchvisionModule() throws {
        for (spec, reference) in [(ModelSpec(architecture: .resnet18, numClasses: 10), TorchReference.resnet18Modules64),
                                  (ModelSpec(architecture: .littleconv, numClasses: 10), TorchReference.littleConvModules64)] {
            let model = try Model(spec: spec, seed: 0)
            let ours = Dictionary(model.layerNames(inputSize: 64).map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
            for (name, shape) in reference {
                #expect(ours[name] == shape, "\(spec.architecture) \(name): \(ours[name].map { "\($0)" } ?? "missing") vs torch \(shape)")
            }
        }
        let resnet = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 0)
        let names = Dictionary(resnet.layerNames(inputSize: 224).map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        #expect(names["layer4"] == [512, 7, 7] && names["maxpool"] == [64, 56, 56] && names["avgpool"] == [512, 1, 1])
        #expect(names["layer1.0.relu:1"] == [64, 56, 56] && names["fc"] == [10])
        #expect(resnet.embeddingLayer == "layer4")
    }

    @Test func recordsActivationsAndTheirGradients() throws {
        let model = try Self.tinyResNet()
        model.threads = 2
        let x = GradientCheck.random([2, 3, 32, 32], seed: 2)
        let record: Set = ["layer4", "layer3.0.conv2", "layer2.0.downsample", "layer1.1.relu:1", "layer1.1.bn2", "block1",
                           "embedding", "fc", "relu", "bn1"]
        let logits = try model.forward(x, mode: .train, record: record)
        let acts = model.recordedActivations
        #expect(Set(acts.keys) == record)
        #expect(acts["layer4"]!.shape == [2, 8, 1, 1])
        #expect(acts["layer3.0.conv2"]!.shape == [2, 8, 2, 2])
        #expect(acts["block1"] == acts["layer1.1.relu:1"].map { _ in acts["block1"]! })
        #expect(acts["embedding"]!.storage == model.embedding.storage && model.embedding.shape == [2, 8])
        #expect(acts["fc"] == logits)
        // bn1 is recorded before its fused ReLU.
        #expect(acts["relu"]!.storage == acts["bn1"]!.storage.map { max($0, 0) })
        #expect(acts["bn1"]!.storage.contains { $0 < 0 })

        let dLogits = GradientCheck.random(logits.shape, seed: 3)
        model.zeroGradients()
        let dx = try model.backward(dLogits, needParameterGradients: true)
        let grads = model.recordedGradients
        #expect(Set(grads.keys) == record)
        #expect(grads["fc"] == dLogits)
        #expect(dx.shape == x.shape)
        for name in record { #expect(grads[name]!.shape == acts[name]!.shape, "\(name)") }

        // Same activation gradients without parameter gradients, which then stay zero.
        let first = grads
        _ = try model.forward(x, mode: .train, record: record)
        model.zeroGradients()
        _ = try model.backward(dLogits, needParameterGradients: false)
        for name in record { #expect(model.recordedGradients[name] == first[name], "\(name)") }
        #expect(model.parameters.allSatisfy { $0.grad.storage.allSatisfy { $0 == 0 } })
    }

    @Test func frozenBackboneTrainsOnlyTheHead() throws {
        let model = try Self.tinyResNet()
        model.setBackboneFrozen(true)
        let x = GradientCheck.random([2, 3, 16, 16], seed: 4)
        let logits = try model.forward(x, mode: .train, record: ["layer3"])
        model.zeroGradients()
        let dx = try model.backward(GradientCheck.random(logits.shape, seed: 5), needParameterGradients: true, needInputGradient: false)
        #expect(dx.count == 0)
        for p in model.parameters {
            #expect(p.grad.storage.contains { $0 != 0 } == (p.group == .head), "\(p.name)")
        }
        // Backward went down to layer3 (asked for) and no further.
        #expect(model.recordedGradients["layer3"] != nil)
        #expect(model.parameters.filter { $0.name.hasPrefix("fc.") }.allSatisfy { $0.group == .head })
    }

    @Test func lowestRecordedStageRunsNoBackward() throws {
        // Probing: eval mode, no parameter or input gradients. layer1's output gradient is known before
        // layer1's backward would run, so that backward is skipped; the gradients must not change.
        let model = try Self.tinyResNet()
        model.threads = 2
        let x = GradientCheck.random([3, 3, 32, 32], seed: 7)
        let logits = try model.forward(x, mode: .eval, record: ["layer1.0.conv1", "layer1", "layer3"])
        let dLogits = GradientCheck.random(logits.shape, seed: 8)
        try model.backward(dLogits, needParameterGradients: false, needInputGradient: false)
        let deep = model.recordedGradients

        _ = try model.forward(x, mode: .eval, record: ["layer1", "layer3"])
        model.layerTimes = [:]
        try model.backward(dLogits, needParameterGradients: false, needInputGradient: false)
        #expect(model.recordedGradients["layer1"] == deep["layer1"])
        #expect(model.recordedGradients["layer3"] == deep["layer3"])
        #expect(model.layerTimes?["layer2 backward"] != nil)
        #expect(model.layerTimes?["layer1 backward"] == nil)
        model.layerTimes = nil
    }

    @Test func stateDictRoundTripAndSkipping() throws {
        let a = try Self.tinyResNet(seed: 1), b = try Self.tinyResNet(seed: 2)
        let x = GradientCheck.random([2, 3, 16, 16], seed: 6)
        _ = try a.forward(x, mode: .train)  // moves running statistics away from 0/1
        #expect(try a.forward(x, mode: .eval) != b.forward(x, mode: .eval))
        try b.load(stateDict: Dictionary(uniqueKeysWithValues: a.stateDict()))
        #expect(try a.forward(x, mode: .eval) == b.forward(x, mode: .eval))
        #expect(b.buffers.first { $0.name == "bn1.num_batches_tracked" }!.value.storage == [1])

        // A backbone into a model with another head.
        let c = try Self.tinyResNet(classes: 5, seed: 3)
        let fcBefore = c.parameters.last!.value
        try c.load(stateDict: Dictionary(uniqueKeysWithValues: a.stateDict()), skipping: ["fc."])
        #expect(c.parameters.last!.value == fcBefore)
        #expect(c.stateDict().first!.1 == a.stateDict().first!.1)
    }

    @Test func loadErrorsNameEveryProblemAndChangeNothing() throws {
        let model = try Self.tinyResNet(classes: 3)
        let before = model.stateDict()
        var dict = Dictionary(uniqueKeysWithValues: try Self.tinyResNet(classes: 5, seed: 9).stateDict())
        dict["layer1.0.conv1.weight"] = nil
        dict["layer1.0.bn1.num_batches_tracked"] = nil  // tolerated, as PyTorch does
        dict["extra.weight"] = Tensor(shape: [1])
        do {
            try model.load(stateDict: dict)
            Issue.record("load should have failed")
        } catch let error as LoupeError {
            let text = error.description
            #expect(text.contains("1 missing key: layer1.0.conv1.weight"))
            #expect(text.contains("1 unexpected key: extra.weight"))
            #expect(text.contains("fc.weight: expected [3, 8], found [5, 8]"))
            #expect(text.contains("fc.bias: expected [3], found [5]"))
            #expect(!text.contains("num_batches_tracked"))
        }
        #expect(model.stateDict().map(\.1) == before.map(\.1))
        // Not strict: missing and unexpected keys pass, shape mismatches still do not.
        #expect(throws: LoupeError.self) { try model.load(stateDict: dict, strict: false) }
        try model.load(stateDict: dict, strict: false, skipping: ["fc."])
        #expect(model.stateDict().first { $0.0 == "layer1.0.conv1.weight" }!.1 == before.first { $0.0 == "layer1.0.conv1.weight" }!.1)
    }

    @Test func replaceHeadIsSeededAndPyTorchLike() throws {
        let a = try Self.tinyResNet(classes: 3), b = try Self.tinyResNet(classes: 3)
        try a.replaceHead(numClasses: 7, seed: 42)
        try b.replaceHead(numClasses: 7, seed: 42)
        #expect(a.numClasses == 7 && a.spec.numClasses == 7)
        let fc = a.parameters.suffix(2)
        #expect(fc.map(\.name) == ["fc.weight", "fc.bias"] && fc.first!.shape == [7, 8])
        #expect(fc.map(\.value) == b.parameters.suffix(2).map(\.value))
        let bound = 1 / Float(8).squareRoot()
        #expect(fc.allSatisfy { $0.value.storage.allSatisfy { abs($0) <= bound } })
        let logits = try a.forward(GradientCheck.random([2, 3, 16, 16], seed: 1), mode: .eval)
        #expect(logits.shape == [2, 7])
        #expect(throws: LoupeError.self) { try a.replaceHead(numClasses: 0, seed: 1) }
    }

    @Test func initialisationIsSeededAndFollowsPyTorch() throws {
        let a = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 5)
        let b = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 5)
        let c = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 10), seed: 6)
        #expect(a.stateDict().map(\.1) == b.stateDict().map(\.1))
        #expect(a.stateDict().first!.1 != c.stateDict().first!.1)
        // kaiming_normal_(fan_out, relu): std = √(2 / (512·9)) for layer4's 3×3 convs.
        let w = a.parameters.first { $0.name == "layer4.1.conv2.weight" }!.value.storage
        let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
        #expect(abs(std - (2.0 / 4608).squareRoot()) < 0.01 * std)
        let bn = a.parameters.first { $0.name == "layer4.1.bn2.weight" }!.value.storage
        #expect(bn.allSatisfy { $0 == 1 })
        // LittleConv convs: nn.Conv2d's default U(±1/√fan_in).
        let little = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 10), seed: 5)
        let conv = little.parameters.first { $0.name == "features.4.weight" }!.value.storage
        let bound = 1 / Float(32 * 9).squareRoot()
        #expect(conv.allSatisfy { abs($0) <= bound } && conv.map(abs).max()! > 0.95 * bound)
    }

    @Test func sameSeedAndThreadsGiveSameResults() throws {
        func run(threads: Int) throws -> (Tensor, Tensor) {
            let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 4, channels: [8, 8, 16, 16]), seed: 3)
            model.threads = threads
            let x = GradientCheck.random([8, 3, 32, 32], seed: 4)
            let logits = try model.forward(x, mode: .train)
            let (_, d) = try softmaxCrossEntropy(logits: logits, labels: [0, 1, 2, 3, 0, 1, 2, 3])
            try model.backward(d, needParameterGradients: true)
            return (logits, model.parameters[0].grad)
        }
        let (l1, g1) = try run(threads: 2), (l2, g2) = try run(threads: 2), (l3, g3) = try run(threads: 1)
        #expect(l1 == l2 && g1 == g2)
        #expect(GradientCheck.relativeError(g3, g1.storage.map(Double.init)) < 1e-5)
        #expect(GradientCheck.relativeError(l3, l1.storage.map(Double.init)) < 1e-5)
    }

    @Test func badInputThrowsClearErrors() throws {
        let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 3, channels: [4, 4, 4, 4]), seed: 1)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try model.forward(Tensor(shape: [2, 1, 32, 32]), mode: .eval) }.contains("(N, 3, H, W)"))
        #expect(message { _ = try model.forward(Tensor(shape: [2, 3, 8, 8]), mode: .eval) }.contains("too small"))
        #expect(message { _ = try model.forward(Tensor(shape: [2, 3, 32, 32]), mode: .eval, record: ["layer9"]) }.contains("no layer 'layer9'"))
        #expect(message { _ = try model.backward(Tensor(shape: [2, 3]), needParameterGradients: true) }.contains("forward first"))
        _ = try model.forward(Tensor(shape: [2, 3, 32, 32]), mode: .eval)
        #expect(message { _ = try model.backward(Tensor(shape: [2, 4]), needParameterGradients: true) }.contains("[2, 3]"))
        // Train-mode BatchNorm needs more than one value per channel (features.13 sees 1×1 × batch 1 at 16 px... here 2×2).
        let resnet = try Self.tinyResNet()
        #expect(message { _ = try resnet.forward(Tensor(shape: [1, 3, 16, 16]), mode: .train) }.contains("more than one value"))
        #expect(message { _ = try Model(name: "vgg", numClasses: 3, seed: 1) }.contains("littleconv, resnet18"))
        #expect(message { _ = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 0), seed: 1) }.contains("at least 1"))
    }

    @Test func grayscaleInput() throws {
        let model = try Self.tinyResNet(channels: 1)
        let logits = try model.forward(GradientCheck.random([2, 1, 28, 28], seed: 1), mode: .train)
        #expect(logits.shape == [2, 3])
    }
}
