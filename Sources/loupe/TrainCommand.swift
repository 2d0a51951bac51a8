import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Probe
import Train

/// `loupe train`: train a model, write checkpoints every epoch and probe dumps at chosen epochs.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train LittleConv from scratch or ResNet-18 by transfer learning; checkpoint every epoch (--keep-checkpoints decides which stay), dump probes.",
        discussion: """
        Writes RUN_DIR/config.json, metrics.csv, checkpoints/epoch-NNNN.h5 and dumps/epoch-NNNN.h5
        (docs/run-format.md). Kill it at any moment: --resume continues from the last complete checkpoint
        (or from epoch 0 if none was written yet), and on a finished run says so and exits 0.

        Checkpoints (--keep-checkpoints): `dumped` (default) keeps the checkpoints of the --dump-epochs and the newest one, so --resume works and a missing dump can be written again; `N` keeps the newest N; `all` keeps every epoch's. An older checkpoint is removed only after the newer one is complete.

        Examples:
          loupe train --model littleconv --data synthetic --epochs 16 --out runs/scratch
          loupe train --model resnet18 --data synthetic:split=target,per-class=30 \\
                      --pretrained resnet18.safetensors --optimizer sgd --lr 0.01 --out runs/ft
          loupe train --model littleconv --data fashion-mnist --epochs 10 --dump-epochs 0,5,10 --out runs/fm
          loupe train --model littleconv --data fashion-mnist --classes 1,3,5,7,9 --per-class 100 --out runs/fm-odd
          loupe train --model littleconv --epochs 30 --keep-checkpoints all --out runs/every-epoch
          loupe train --resume runs/scratch
        """)

    @Option(help: "littleconv or resnet18.") var model = "littleconv"
    @Option(help: "synthetic[:k=v,…], fashion-mnist[:DIR], folder:DIR, cifar10:DIR.") var data = "synthetic"
    @Option(help: "Keep only these classes of the data (label numbers, comma-separated), renumbered in this order.") var classes: String?
    @Option(help: "Keep at most this many samples per class (a seeded choice).") var perClass: Int?
    @Option(help: "Epochs to train.") var epochs = 10
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Learning rate (of the head; the backbone gets lr × --backbone-lr-scale).") var lr: Double?
    @Option(help: "sgd, adam or adamw.") var optimizer = "adamw"
    @Option(help: "SGD momentum.") var momentum = 0.9
    @Option(help: "Weight decay.") var weightDecay = 5e-4
    @Option(help: "constant, step or cosine.") var schedule = "cosine"
    @Option(help: "Linear warm-up epochs.") var warmupEpochs = 0
    @Option(help: "Square input size in pixels.") var imageSize = 64
    @Option(help: "Seed for every random choice (recorded in config.json).") var seed: UInt64 = 0
    @Option(help: "Threads for compute.") var threads = 2
    @Option(help: "A ResNet-18 .safetensors (torchvision keys) or a Loupe checkpoint; fc is replaced.") var pretrained: String?
    @Flag(help: "Train only the new fc layer.") var freezeBackbone = false
    @Option(help: "Backbone learning rate = lr × this.") var backboneLRScale = 1.0
    @Flag(help: "Turn training augmentation off.") var noAugment = false
    @Flag(help: "ResNet-18 with a 3×3 stride-1 stem and no max-pool, for small images.") var smallInput = false
    @Option(help: "LittleConv channel widths, comma-separated.") var channels = "32,64,128,256"
    @Option(help: "Epochs to dump the probe set at, comma-separated (0 = before training).") var dumpEpochs: String?
    @Option(help: "Dump every K epochs (and at 0 and the last).") var dumpEvery: Int?
    @Option(help: "Probe-set size (stratified, from the validation split).") var probeSize = 256
    @Option(help: "Share of the data held out for validation and the probe set.") var validationFraction = 0.2
    @Option(help: "Gradient target of dumps: logit, logit-predicted, prob, loss.") var target = "logit"
    @Option(help: "Layers to dump (torchvision names, globs allowed); default: every stage.") var layers: String?
    @Option(help: "Storage type of dumped activations and gradients: float16 or float32.") var dtype = "float16"
    @Option(help: "Dump compression: none or deflate[1-9].") var compression = "none"
    @Option(help: "Run directory to create.") var out: String?
    @Option(help: "Continue the run in this directory from its last complete checkpoint.") var resume: String?
    @Option(help: "Checkpoints to keep: dumped (the dump epochs' and the newest), N (the newest N) or all.") var keepCheckpoints = "dumped"

    func validate() throws {
        do { _ = try CheckpointRetention(parsing: keepCheckpoints) } catch { throw ValidationError("\(error)") }
        if resume != nil { return }
        guard out != nil else { throw ValidationError("--out RUN_DIR is required (or --resume RUN_DIR)") }
        guard ProbeTarget(rawValue: target) != nil else {
            throw ValidationError("unknown --target '\(target)': use \(ProbeTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // The same rules a config.json read on --resume is held to (TrainConfig+Validation.swift).
        let problems = try makeConfig().problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func makeConfig() throws -> TrainConfig {
        var c = TrainConfig()
        c.model = model
        c.data = data
        c.epochs = epochs
        c.batchSize = batchSize
        c.optimizer = optimizer
        c.lr = lr ?? (optimizer == "sgd" ? 0.01 : 1e-3)
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.schedule = schedule
        c.warmupEpochs = warmupEpochs
        c.imageSize = imageSize
        c.seed = seed
        c.threads = threads
        c.pretrained = pretrained
        c.freezeBackbone = freezeBackbone
        c.backboneLRScale = backboneLRScale
        c.augment = !noAugment
        c.smallInput = smallInput
        c.channels = try parseIntList(channels, name: "--channels")
        if let dumpEpochs {
            c.dumpEpochs = try parseIntList(dumpEpochs, name: "--dump-epochs")
        } else if let dumpEvery, dumpEvery > 0 {
            c.dumpEpochs = Array(Set(stride(from: 0, through: epochs, by: dumpEvery)).union([epochs])).sorted()
        }
        c.probeSize = probeSize
        c.validationFraction = validationFraction
        c.classes = try classes.map { try parseIntList($0, name: "--classes") }
        c.perClass = perClass
        c.probeTarget = target
        c.probeLayers = layers.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        c.dumpDType = dtype
        c.compression = compression
        return c
    }

    func run() throws {
        try reportingErrors {
            let keep = try CheckpointRetention(parsing: keepCheckpoints)
            if let resume {
                try ProbedTraining.resume(RunDirectory(resume), keepCheckpoints: keep) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            } else {
                let training = try ProbedTraining(config: try makeConfig(), run: RunDirectory(out!))
                training.trainer.keepCheckpoints = keep
                try training.run()
            }
        }
    }
}

func parseIntList(_ text: String, name: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard values.count == parts.count, !values.isEmpty, values.allSatisfy({ $0 >= 0 }) else {
        throw ValidationError("\(name) takes comma-separated whole numbers, got '\(text)'")
    }
    return values
}
