import Foundation
import LoupeCore
import Train

/// Training with probe dumps at chosen epochs: the trainer's epoch hook runs the prober.
///
/// Lives in Probe because Train must not know about dumps; `loupe train` uses this.
public final class ProbedTraining {
    public let trainer: Trainer
    public let options: DumpOptions

    public init(config: TrainConfig, run: RunDirectory) throws {
        trainer = try Trainer(config: config, run: run)
        options = try ProbedTraining.options(from: config)
        try install()
    }

    private init(trainer: Trainer) throws {
        self.trainer = trainer
        options = try ProbedTraining.options(from: trainer.config)
        try install()
    }

    static func options(from config: TrainConfig) throws -> DumpOptions {
        guard let target = ProbeTarget(rawValue: config.probeTarget) else {
            throw LoupeError.invalidInput("unknown probe target '\(config.probeTarget)'")
        }
        guard let storage = HDF5ElementType(rawValue: config.dumpDType), storage == .float16 || storage == .float32 else {
            throw LoupeError.invalidInput("dump dtype must be float16 or float32, got '\(config.dumpDType)'")
        }
        guard let compression = HDF5Compression(parsing: config.compression) else {
            throw LoupeError.invalidInput("compression must be none or deflate[1-9], got '\(config.compression)'")
        }
        // The default probe batch size, not the training one: results depend (in the last bits) on the batch
        // split, and `loupe probe` must reproduce a training-time dump exactly.
        return DumpOptions(target: target, layers: config.probeLayers, storage: storage, compression: compression)
    }

    private func install() throws {
        // Resolve layer names now: a typo fails before any training time is spent.
        _ = try DumpLayers.resolve(options.layers, model: trainer.model, imageSize: trainer.config.imageSize)
        let epochs = Set(trainer.config.dumpEpochs)
        let options = self.options
        // One probe set for the whole run, so each dump after the first reuses its prepared batches.
        let probe = ProbedTraining.probeSet(of: trainer, batchSize: options.batchSize)
        trainer.epochHook = { trainer, epoch in
            guard epochs.contains(epoch) else { return }
            try ProbedTraining.dump(trainer: trainer, epoch: epoch, options: options, probe: probe)
        }
    }

    public func run() throws { try trainer.run() }

    /// Resumes a run from wherever it stopped (dumps continue at the configured epochs); `announce`
    /// gets one line saying where it was taken up, before any work.
    @discardableResult
    public static func resume(_ run: RunDirectory, keepCheckpoints: CheckpointRetention = .all,
                              announce: (String) -> Void = { _ in }) throws -> Trainer.ResumePoint {
        let trainer = try Trainer.resume(run)
        trainer.keepCheckpoints = keepCheckpoints
        let config = trainer.config
        switch trainer.resumePoint ?? .start {
        case .start:
            announce("\(run.path) has no complete checkpoint yet; starting it again from epoch 0 with its config.json")
        case .checkpoint(let epoch):
            announce("\(run.path): resuming after epoch \(epoch) of \(config.epochs)")
        case .complete(let epochs):
            announce("\(run.path) is complete (\(epochs) of \(epochs) epochs); nothing left to train")
        }
        let training = try ProbedTraining(trainer: trainer)
        try training.writeMissingDumps(announce: announce)
        try trainer.continueRun()
        return trainer.resumePoint ?? .start
    }

    /// A kill between an epoch's checkpoint and its dump leaves the dump missing; this writes it again
    /// from that epoch's weights: the trainer's own for its current epoch, the checkpoint's for earlier
    /// ones, and a freshly seeded model's for epoch 0 (the seed alone decides the initial weights).
    func writeMissingDumps(announce: (String) -> Void) throws {
        let run = trainer.directory, done = Set(run.dumpEpochs()), checkpoints = Set(run.checkpointEpochs())
        let missing = trainer.config.dumpEpochs.filter { $0 <= trainer.epoch && !done.contains($0) }.sorted()
        guard trainer.resumePoint != .start, !missing.isEmpty else { return }
        for epoch in missing {
            let source: Trainer
            if epoch == trainer.epoch {
                source = trainer
            } else if epoch == 0 {
                source = try Trainer(config: trainer.config, run: run)
            } else if checkpoints.contains(epoch) {
                source = try Trainer.resume(run, upTo: epoch)
            } else {
                announce("\(run.path): the dump of epoch \(epoch) is missing and its checkpoint is gone; write it with loupe probe --checkpoint")
                continue
            }
            source.quiet = trainer.quiet
            announce("\(run.path): writing the missing dump of epoch \(epoch)")
            try ProbedTraining.dump(trainer: source, epoch: epoch, options: options)
        }
    }

    /// The run's probe set as the trainer defines it.
    public static func probeSet(of trainer: Trainer, batchSize: Int) -> ProbeSet {
        ProbeSet(dataset: trainer.dataset, indices: trainer.probeIndices, transform: trainer.evalTransform, batchSize: batchSize)
    }

    /// Writes `dumps/epoch-NNNN.h5` for the trainer's current weights, from `probe` (the trainer's probe set,
    /// made anew when nil).
    public static func dump(trainer: Trainer, epoch: Int, options: DumpOptions, probe: ProbeSet? = nil) throws {
        let probe = probe ?? probeSet(of: trainer, batchSize: options.batchSize)
        let path = trainer.directory.dumpPath(epoch: epoch)
        let runName = URL(fileURLWithPath: trainer.directory.path).lastPathComponent
        try ProbeJob(model: trainer.model, probe: probe, options: options, epoch: epoch, run: runName,
                     seed: trainer.config.seed, quiet: trainer.quiet).write(to: path)
    }
}

/// One dump: a model, a probe set, options → a file.
public struct ProbeJob {
    public var model: Model
    public var probe: ProbeSet
    public var options: DumpOptions
    public var epoch: Int
    public var run: String
    public var seed: UInt64
    public var quiet = false

    public init(model: Model, probe: ProbeSet, options: DumpOptions, epoch: Int, run: String, seed: UInt64, quiet: Bool = false) {
        self.model = model
        self.probe = probe
        self.options = options
        self.epoch = epoch
        self.run = run
        self.seed = seed
        self.quiet = quiet
    }

    /// The dump's header: layers resolved against the model, metadata presence read from the probe set.
    public func header() throws -> DumpHeader {
        let size = probe.transform.outputSize
        let layers = try DumpLayers.resolve(options.layers, model: model, imageSize: size)
        let presence = try probe.metadataPresence()
        let embeddingSize = model.layerNames(inputSize: size).first { $0.name == "avgpool" }?.shape.first ?? 0
        var header = DumpHeader(epoch: epoch, model: model.name, run: run, target: options.target,
                                normalizationMean: probe.transform.normalization.mean.map(Double.init),
                                normalizationStd: probe.transform.normalization.std.map(Double.init),
                                imageSize: size, imageChannels: probe.transform.outputChannels, seed: seed,
                                classes: probe.dataset.classes, sampleCount: probe.indices.count, layers: layers,
                                embeddingSize: embeddingSize)
        header.storage = options.storage
        header.compression = options.compression
        header.hasBackground = presence.background
        header.hasBox = presence.box
        header.hasMask = presence.mask
        return header
    }

    public func write(to path: String) throws {
        let header = try header()
        let presence = (background: header.hasBackground, box: header.hasBox, mask: header.hasMask)
        let bar = ProgressBar("dump epoch \(epoch)", total: probe.indices.count, quiet: quiet)
        try Prober(network: model, target: options.target, layers: header.layers.map(\.name))
            .write(to: path, header: header, batchCount: probe.batchCount, prepare: { try probe.batch($0, presence: presence) }, progress: bar)
        bar.finish()
    }
}
