import Foundation
import LoupeCore
import Testing
@testable import Probe
@testable import Train

@Suite("Probing real models")
struct ModelProbeTests {
    func tinyModel() throws -> Model {
        let model = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 3, channels: [4, 6, 6, 8]), seed: 2)
        model.threads = 1
        return model
    }

    /// target(A) for A = the output of `features.14` (last ReLU, N×8×2×2 at 16 px) continued by hand:
    /// max-pool 2 → global average → fc → target. Double precision.
    func target(_ target: ProbeTarget, a14: [Double], fcW: [Float], fcB: [Float], label: Int) -> Double {
        let c = 8, k = 3
        var pooled = [Double](repeating: 0, count: c)  // 2×2 max-pool → 1×1, then GAP over 1×1
        for ch in 0..<c { pooled[ch] = a14[(ch * 4)..<(ch * 4 + 4)].max()! }
        var z = [Double](repeating: 0, count: k)
        for j in 0..<k { z[j] = Double(fcB[j]) + (0..<c).reduce(0) { $0 + Double(fcW[j * c + $1]) * pooled[$1] } }
        let m = z.max()!, s = z.map { exp($0 - m) }.reduce(0, +)
        switch target {
        case .logit: return z[label]
        case .logitPredicted: return m
        case .prob: return exp(z[label] - m) / s
        case .loss: return -(z[label] - m - log(s))
        }
    }

    @Test("the recorded gradient at a layer equals finite differences of d target / d activation", arguments: [ProbeTarget.logit, .prob, .loss])
    func finiteDifferences(kind: ProbeTarget) throws {
        let model = try tinyModel()
        var rng = SeededGenerator(seed: 9)
        let n = 2
        let x = Tensor(shape: [n, 3, 16, 16], storage: (0..<(n * 3 * 256)).map { _ in rng.nextGaussian() })
        let labels = [1, 2]
        let batch = Prober.Batch(input: x, images: [UInt8](repeating: 0, count: n * 16 * 16 * 3), labels: labels, ids: ["a", "b"],
                                 meanRGB: [Float](repeating: 0, count: n * 3))
        let rows = try Prober(network: model, target: kind, layers: ["features.14"]).capture(batch, classes: 3)
        let a = rows.activations["features.14"]!, g = rows.gradients["features.14"]!
        #expect(a.shape == [n, 8, 2, 2] && g.shape == a.shape)
        let state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1) })
        let fcW = state["fc.weight"]!.storage, fcB = state["fc.bias"]!.storage
        let per = 8 * 4, eps = 1e-3
        var checked = 0
        for s in 0..<n {
            let base = a.storage[(s * per)..<((s + 1) * per)].map(Double.init)
            for i in 0..<per {
                // Max-pooling is not differentiable at ties (ReLU zeros tie often): skip windows without a clear maximum.
                let window = base[((i / 4) * 4)..<((i / 4) * 4 + 4)].sorted(by: >)
                if window[0] - window[1] < 10 * eps { continue }
                var plus = base, minus = base
                plus[i] += eps; minus[i] -= eps
                let fd = (target(kind, a14: plus, fcW: fcW, fcB: fcB, label: labels[s]) - target(kind, a14: minus, fcW: fcW, fcB: fcB, label: labels[s])) / (2 * eps)
                let got = Double(g.storage[s * per + i])
                #expect(abs(got - fd) <= 1e-3 * max(abs(fd), 1e-2), "sample \(s) entry \(i): recorded \(got), finite difference \(fd)")
                checked += 1
            }
        }
        #expect(checked >= n * per / 4, "only \(checked) entries had a clear max-pool winner")
    }

    /// A LittleConv run small enough for a debug build: 3 classes of 16 px synthetic images, float32 dumps.
    static func tinyProbedConfig(perClass: Int, epochs: Int, probeSize: Int, dumpEpochs: [Int]) -> TrainConfig {
        var c = TrainConfig()
        c.channels = [4, 8, 8, 8]
        c.data = "synthetic:classes=3,per-class=\(perClass),size=16,seed=2"
        c.imageSize = 16
        c.epochs = epochs
        c.batchSize = 8
        c.threads = 2
        c.probeSize = probeSize
        c.validationFraction = 0.5
        c.dumpEpochs = dumpEpochs
        c.dumpDType = "float32"
        return c
    }

    @Test("probing a checkpoint again with the same probe set and target reproduces the training-time dump")
    func reprobeMatchesTrainingDump() throws {
        let root = NSTemporaryDirectory() + "loupe-reprobe-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let c = Self.tinyProbedConfig(perClass: 12, epochs: 1, probeSize: 9, dumpEpochs: [1])
        let training = try ProbedTraining(config: c, run: RunDirectory(root + "/run"))
        training.trainer.quiet = true
        try training.run()

        let run = RunDirectory(root + "/run")
        let model = try Model(checkpoint: try Checkpoint.read(run.checkpointPath(epoch: 1)))
        model.threads = 2
        let data = try RunData(config: try run.readConfig())
        let probe = ProbeSet(dataset: data.dataset, indices: data.probeIndices, transform: data.evalTransform)
        try ProbeJob(model: model, probe: probe, options: DumpOptions(target: .logit, storage: .float32), epoch: 1, run: "run",
                     seed: c.seed, quiet: true).write(to: root + "/again.h5")

        let first = try HDF5File.open(run.dumpPath(epoch: 1)), again = try HDF5File.open(root + "/again.h5")
        #expect(try first.dataset(RunFormat.Dump.ids).readStrings() == again.dataset(RunFormat.Dump.ids).readStrings())
        #expect(try first.read(RunFormat.Dump.images, as: UInt8.self) == again.read(RunFormat.Dump.images, as: UInt8.self))
        for path in [RunFormat.Dump.logits, RunFormat.Dump.embedding, RunFormat.Dump.targetValues,
                     RunFormat.Dump.activation("features.15"), RunFormat.Dump.gradient("features.15"), RunFormat.Dump.gradient("features.3")] {
            let x = try first.read(path, as: Float.self), y = try again.read(path, as: Float.self)
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0, scale = x.map { abs($0) }.max() ?? 0
            #expect(x == y, "\(path) differs: max |Δ| \(worst), max |x| \(scale)")
        }
    }

    @Test("a kill between an epoch's checkpoint and its dump is mended by --resume: the dump is written again, the same")
    func resumeWritesMissingDumps() throws {
        let root = NSTemporaryDirectory() + "loupe-resume-dumps-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let c = Self.tinyProbedConfig(perClass: 8, epochs: 2, probeSize: 6, dumpEpochs: [0, 1, 2])
        let run = RunDirectory(root + "/run")
        let training = try ProbedTraining(config: c, run: run)
        training.trainer.quiet = true
        try training.run()
        var original: [Int: [Float]] = [:]
        for epoch in [0, 1, 2] {
            original[epoch] = try HDF5File.open(run.dumpPath(epoch: epoch)).read(RunFormat.Dump.logits, as: Float.self)
            try FileManager.default.removeItem(atPath: run.dumpPath(epoch: epoch))
        }
        var lines: [String] = []
        let point = try ProbedTraining.resume(run) { lines.append($0) }
        #expect(point == .complete(epochs: 2))
        #expect(run.dumpEpochs() == [0, 1, 2], "\(lines)")
        #expect(lines.filter { $0.contains("missing dump") }.count == 3, "\(lines)")
        for epoch in [0, 1, 2] {
            // Same process, same machine: the weights and the probe code are the same, so the bits are.
            #expect(try HDF5File.open(run.dumpPath(epoch: epoch)).read(RunFormat.Dump.logits, as: Float.self) == original[epoch])
        }
    }
}
