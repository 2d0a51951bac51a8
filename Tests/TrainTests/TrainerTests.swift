import Foundation
import LoupeCore
import Testing
@testable import Train

/// A small, fast configuration shared by TrainTests: 4 classes of 32×32 synthetic images, a narrow LittleConv.
func tinyConfig(epochs: Int) -> TrainConfig {
    var c = TrainConfig()
    c.model = "littleconv"
    c.channels = [8, 16, 16, 32]
    c.data = "synthetic:classes=4,per-class=24,size=32,seed=5"
    c.imageSize = 32
    c.epochs = epochs
    c.batchSize = 16
    c.lr = 3e-3
    c.seed = 7
    c.threads = 2
    c.augment = false
    c.validationFraction = 0.25
    c.probeSize = 8
    return c
}

@Suite("Trainer: runs, resume, bad input")
struct TrainerTests {
    func folder() -> String {
        let path = NSTemporaryDirectory() + "loupe-trainer-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a run directory holds config.json, metrics.csv and one complete checkpoint per epoch")
    func runDirectory() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try Trainer(config: tinyConfig(epochs: 2), run: RunDirectory(root + "/run"))
        trainer.quiet = true
        try trainer.run()
        let run = RunDirectory(root + "/run")
        #expect(run.checkpointEpochs() == [1, 2])
        #expect(try run.readConfig() == tinyConfig(epochs: 2))
        let rows = run.readMetrics()
        #expect(rows.map(\.epoch) == [1, 2])
        #expect(rows.allSatisfy { $0.trainLoss.isFinite && $0.seconds > 0 })
        let checkpoint = try Checkpoint.read(run.checkpointPath(epoch: 2))
        #expect(checkpoint.epoch == 2 && checkpoint.model == "littleconv" && checkpoint.classes.count == 4)
        #expect(checkpoint.state.map(\.key) == trainer.model.stateDict().map(\.0))
        #expect(!checkpoint.optimizerState.isEmpty)
        // Starting again into the same folder is refused, pointing at --resume.
        #expect(throws: LoupeError.self) { try Trainer(config: tinyConfig(epochs: 2), run: run).run() }
    }

    @Test("killed after epoch 1 and resumed, a run ends with the same weights as one never interrupted")
    func resumeIsExact() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let straight = try Trainer(config: tinyConfig(epochs: 2), run: RunDirectory(root + "/straight"))
        straight.quiet = true
        try straight.run()

        let interrupted = RunDirectory(root + "/interrupted")
        let first = try Trainer(config: tinyConfig(epochs: 2), run: interrupted)
        first.quiet = true
        first.epochHook = { _, epoch in if epoch == 1 { throw CancellationError() } }  // "dies" after epoch 1's checkpoint
        #expect(throws: CancellationError.self) { try first.run() }
        #expect(interrupted.checkpointEpochs() == [1])

        let resumed = try Trainer.resume(interrupted)
        resumed.quiet = true
        #expect(resumed.resumePoint == .checkpoint(epoch: 1))
        try resumed.continueRun()
        let a = straight.model.stateDict(), b = resumed.model.stateDict()
        #expect(a.map(\.0) == b.map(\.0))
        for (x, y) in zip(a, b) { #expect(x.1 == y.1, "\(x.0) differs after resume") }
        #expect(interrupted.readMetrics().map(\.epoch) == [1, 2])
    }

    @Test("killed before its first checkpoint, a run resumes from epoch 0 with its config and ends as one never interrupted")
    func resumeBeforeAnyCheckpoint() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let straight = try Trainer(config: tinyConfig(epochs: 1), run: RunDirectory(root + "/straight"))
        straight.quiet = true
        try straight.run()

        let killed = RunDirectory(root + "/killed")
        let first = try Trainer(config: tinyConfig(epochs: 1), run: killed)
        first.quiet = true
        first.epochHook = { _, epoch in if epoch == 0 { throw CancellationError() } }  // "dies" before epoch 1 ends
        #expect(throws: CancellationError.self) { try first.run() }
        #expect(killed.checkpointEpochs().isEmpty && FileManager.default.fileExists(atPath: killed.configPath))
        // A writer killed mid-file leaves its temporary name; one of a live process (ours) must stay.
        let stale = killed.checkpointsPath + "/.epoch-0001.h5.tmp-999999999", live = AtomicFile.temporaryPath(for: killed.path + "/x")
        FileManager.default.createFile(atPath: stale, contents: Data([1]))
        FileManager.default.createFile(atPath: live, contents: Data([1]))

        let resumed = try Trainer.resume(killed)
        resumed.quiet = true
        #expect(resumed.resumePoint == .start)
        try resumed.continueRun()
        #expect(!FileManager.default.fileExists(atPath: stale) && FileManager.default.fileExists(atPath: live))
        #expect(killed.checkpointEpochs() == [1])
        for (x, y) in zip(straight.model.stateDict(), resumed.model.stateDict()) { #expect(x.1 == y.1, "\(x.0) differs") }

        // Resuming the finished run again is not an error and trains nothing.
        let again = try Trainer.resume(killed)
        #expect(again.resumePoint == .complete(epochs: 1))
        var hooked = false
        again.epochHook = { _, _ in hooked = true }
        try again.continueRun()
        #expect(!hooked && killed.readMetrics().map(\.epoch) == [1])
    }

    @Test("on the synthetic set, validation accuracy rises well above chance within a few epochs")
    func learnsSynthetic() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        var config = tinyConfig(epochs: 8)
        config.data = "synthetic:classes=4,per-class=80,size=32,seed=5"
        let trainer = try Trainer(config: config, run: RunDirectory(root + "/run"))
        trainer.quiet = true
        try trainer.run()
        let best = trainer.metrics.map(\.validationAccuracy).max() ?? 0
        #expect(best >= 0.5, "chance is 0.25; best validation accuracy \(best)")
    }

    @Test("bad input is a clear error before anything is written")
    func badInput() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        func expectMessage(_ words: String, _ change: (inout TrainConfig) -> Void) {
            var c = tinyConfig(epochs: 1)
            change(&c)
            do {
                _ = try Trainer(config: c, run: RunDirectory(root + "/x"))
                Issue.record("expected an error mentioning \(words)")
            } catch {
                #expect("\(error)".contains(words), "\(error)")
            }
        }
        expectMessage("model (--model) must be littleconv or resnet18") { $0.model = "vgg" }
        expectMessage("no-such-folder") { $0.data = "folder:/no-such-folder" }
        expectMessage("unknown dataset") { $0.data = "mnist-ish" }
        expectMessage("not found") { $0.model = "resnet18"; $0.pretrained = root + "/missing.safetensors" }
        // Weights of the wrong shapes: a LittleConv checkpoint offered as a ResNet-18 backbone.
        let wrong = root + "/wrong.safetensors"
        let little = try Model(spec: ModelSpec(architecture: .littleconv, numClasses: 4, channels: [8, 16, 16, 32]), seed: 1)
        try SafeTensors.write(little.stateDict().map { (key: $0.0, value: $0.1) }, to: wrong)
        expectMessage("cannot load into resnet18") { $0.model = "resnet18"; $0.pretrained = wrong }
        expectMessage("too small") { $0.imageSize = 8 }
        #expect(!FileManager.default.fileExists(atPath: root + "/x"))
    }

    @Test("a pretrained ResNet-18 backbone loads from safetensors and gets a new head")
    func pretrainedLoads() throws {
        let root = folder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let source = try Model(spec: ModelSpec(architecture: .resnet18, numClasses: 12), seed: 3)
        let path = root + "/backbone.safetensors"
        try SafeTensors.write(source.stateDict().map { (key: $0.0, value: $0.1) }, to: path)
        var c = tinyConfig(epochs: 1)
        c.model = "resnet18"
        c.pretrained = path
        let trainer = try Trainer(config: c, run: RunDirectory(root + "/ft"))
        let loaded = Dictionary(uniqueKeysWithValues: trainer.model.stateDict().map { ($0.0, $0.1) })
        for (key, value) in source.stateDict() where !key.hasPrefix("fc.") { #expect(loaded[key] == value, "\(key) not loaded") }
        #expect(loaded["fc.weight"]?.shape == [4, 512])
        #expect(trainer.normalization == .imageNet)
    }
}
