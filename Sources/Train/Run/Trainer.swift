import Foundation
import LoupeCore

/// Trains one model on one dataset and writes the run directory of docs/run-format.md.
///
/// Every epoch ends with a complete checkpoint (written crash-safe) and a metrics row, so a run killed at
/// any moment loses at most the epoch in progress and `Trainer.resume` continues from the last
/// checkpoint. With the same seed and thread count the weights are the same, resumed or not.
public final class Trainer {
    public let config: TrainConfig
    public let directory: RunDirectory
    public let model: Model
    public let data: RunData
    public var dataset: any Dataset { data.dataset }
    public var split: DataSplit { data.split }
    /// The fixed probe set: a seeded, class-stratified subset of the validation split.
    public var probeIndices: [Int] { data.probeIndices }
    public var normalization: Normalization { data.normalization }
    public private(set) var epoch = 0
    public private(set) var metrics: [EpochMetrics] = []
    var optimizer: Optimizer
    var rng: SeededGenerator
    /// Called with the epoch number before training (0) and after each epoch's checkpoint.
    public var epochHook: ((Trainer, Int) throws -> Void)?
    /// Suppresses progress output (tests).
    public var quiet = false
    /// Which checkpoints stay once a newer one is written (`loupe train` defaults to `.dumped`).
    public var keepCheckpoints = CheckpointRetention.all

    /// Builds the dataset, split, model (loading `--pretrained` and replacing its head) and optimizer.
    /// - Throws: `LoupeError` naming what is wrong: data spec, pretrained file, shapes.
    public init(config: TrainConfig, run: RunDirectory) throws {
        try config.validate()
        self.config = config
        self.directory = run
        data = try RunData(config: config)
        let dataset = data.dataset
        let architecture = try ModelSpec.architecture(named: config.model)
        let modelSpec = ModelSpec(architecture: architecture, numClasses: dataset.classes.count, inputChannels: dataset.channels,
                                  channels: config.channels, smallInput: config.smallInput)
        model = try Model(spec: modelSpec, seed: config.seed)
        model.threads = config.threads
        if let pretrained = config.pretrained {
            try Trainer.loadPretrained(pretrained, into: model, numClasses: dataset.classes.count, seed: config.seed)
        }
        model.setBackboneFrozen(config.freezeBackbone)
        guard let kind = OptimizerKind(rawValue: config.optimizer) else {
            throw LoupeError.invalidInput("unknown optimizer '\(config.optimizer)'; use " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        optimizer = try Optimizer(parameters: model.parameters,
                                  config: OptimizerConfig(kind: kind, learningRate: config.lr, backboneLRScale: config.backboneLRScale,
                                                          weightDecay: config.weightDecay, momentum: config.momentum))
        optimizer.threads = config.threads
        rng = SeededGenerator(seed: config.seed)
        try validateImageSize()
    }

    private func validateImageSize() throws {
        // One forward of one blank image: catches sizes the architecture cannot take, before any file is written.
        let x = Tensor(shape: [1, dataset.channels, config.imageSize, config.imageSize])
        _ = try model.forward(x, mode: .eval)
    }

    /// Loads ResNet-18 weights from `.safetensors` (torchvision keys) or a Loupe checkpoint, then gives
    /// the model a fresh `fc` for `numClasses`.
    static func loadPretrained(_ path: String, into model: Model, numClasses: Int, seed: UInt64) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoupeError.io(path: path, message: "pretrained weights not found")
        }
        let state: [String: Tensor]
        if path.hasSuffix(".safetensors") {
            state = Dictionary(try SafeTensors.read(path).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        } else {
            state = try Checkpoint.read(path).stateDictionary
        }
        do {
            try model.load(stateDict: state, strict: true, skipping: ["fc."])
        } catch {
            throw LoupeError.invalidInput("\(path): cannot load into \(model.name): \(error)")
        }
        try model.replaceHead(numClasses: numClasses, seed: seed &+ 17)
    }

    // MARK: - Running

    /// Creates the run directory and trains from epoch 0.
    public func run() throws {
        try directory.create()
        if !directory.checkpointEpochs().isEmpty {
            throw LoupeError.invalidInput("\(directory.path) already holds a run; use --resume \(directory.path) or another --out")
        }
        try directory.writeConfig(config)
        try epochHook?(self, 0)
        try trainRemainingEpochs()
    }

    /// Where `resume` found a run.
    public enum ResumePoint: Equatable, Sendable {
        /// config.json but no complete checkpoint (killed in its first epoch): the run starts again from epoch 0.
        case start
        /// The last complete checkpoint's epoch.
        case checkpoint(epoch: Int)
        /// Every epoch has its checkpoint: nothing is left to train.
        case complete(epochs: Int)
    }

    /// Takes up a run from wherever a kill left it: its last complete checkpoint, or epoch 0 with its
    /// config.json when no checkpoint was written yet. A finished run is not an error, so a retry
    /// wrapper or a requeued batch job may always call it; `resumePoint` says which case this was.
    /// Temporary files of writers that are no longer alive are removed first.
    /// - Parameter upTo: take the last checkpoint at or before this epoch instead of the last one.
    public static func resume(_ run: RunDirectory, upTo: Int? = nil, configure: ((Trainer) -> Void)? = nil) throws -> Trainer {
        let config = try run.readConfig()
        run.removeStaleTemporaryFiles()
        let trainer = try Trainer(config: config, run: run)
        configure?(trainer)
        guard let last = run.checkpointEpochs().last(where: { $0 <= (upTo ?? .max) }) else {
            trainer.resumePoint = .start
            return trainer
        }
        let checkpoint = try Checkpoint.read(run.checkpointPath(epoch: last))
        try trainer.restore(checkpoint)
        trainer.metrics = run.readMetrics().filter { $0.epoch <= last }
        trainer.resumePoint = trainer.epoch >= config.epochs ? .complete(epochs: config.epochs) : .checkpoint(epoch: last)
        return trainer
    }

    /// How `resume` found this run; nil for a run started with `init`.
    public private(set) var resumePoint: ResumePoint?

    /// Trains what `resume` left to do: from epoch 0 (with the epoch-0 hook, as `run` does) when no
    /// checkpoint was written, else the remaining epochs; nothing when the run is complete.
    public func continueRun() throws {
        if resumePoint == .start {
            try directory.create()
            try epochHook?(self, 0)
        }
        try trainRemainingEpochs()
    }

    /// Trains until `config.epochs`, from wherever `epoch` stands.
    public func trainRemainingEpochs() throws {
        let train = try BatchLoader(dataset: dataset, indices: split.train, batchSize: config.batchSize,
                                    transform: trainTransform, seed: config.seed, shuffle: true,
                                    dropLast: split.train.count >= config.batchSize * 2, replacesUnreadable: true)
        let validation = try BatchLoader(dataset: dataset, indices: split.validation, batchSize: config.batchSize,
                                         transform: evalTransform, seed: config.seed, shuffle: false, replacesUnreadable: true)
        while epoch < config.epochs {
            let started = Date()
            let next = epoch + 1
            let (trainLoss, trainAccuracy, lr) = try trainEpoch(next, loader: train)
            let (validationLoss, validationAccuracy) = try evaluate(validation)
            epoch = next
            let row = EpochMetrics(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy, validationLoss: validationLoss,
                                   validationAccuracy: validationAccuracy, lr: lr, seconds: Date().timeIntervalSince(started))
            try checkpoint().write(to: directory.checkpointPath(epoch: epoch))
            metrics.append(row)
            try directory.writeMetrics(metrics)
            if !quiet {
                FileHandle.standardError.write(Data(String(format: "epoch %d/%d  train loss %.4f acc %.3f  val loss %.4f acc %.3f  lr %.2e  %.1fs\n",
                                                           epoch, config.epochs, trainLoss, trainAccuracy, validationLoss,
                                                           validationAccuracy, lr, row.seconds).utf8))
            }
            try epochHook?(self, epoch)
            try pruneCheckpoints()
        }
    }

    /// Removes the checkpoints `keepCheckpoints` does not keep; the newest always stays. Runs after an
    /// epoch's checkpoint and dump are written, so a kill at any point leaves one to resume from.
    public func pruneCheckpoints() throws {
        let existing = directory.checkpointEpochs()
        let kept = keepCheckpoints.kept(existing, dumpEpochs: config.dumpEpochs)
        for epoch in existing where !kept.contains(epoch) {
            let path = directory.checkpointPath(epoch: epoch)
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw LoupeError.io(path: path, message: "cannot remove an old checkpoint (--keep-checkpoints \(keepCheckpoints)): \(error.localizedDescription)")
            }
        }
    }

    /// The transform of training batches: augmentation unless `--no-augment`.
    public var trainTransform: any SampleTransform {
        config.augment
            ? Augmenter(outputSize: config.imageSize, options: .defaults(forImageSize: config.imageSize), normalization: normalization,
                        outputChannels: dataset.channels)
            : evalTransform
    }

    /// Resize and centre crop, then normalise: what evaluation and the probe see.
    public var evalTransform: Preprocessor { data.evalTransform }

    private func trainEpoch(_ epochNumber: Int, loader: BatchLoader) throws -> (loss: Double, accuracy: Double, lr: Double) {
        let stream = loader.epoch(epochNumber)
        defer { stream.cancel() }
        let bar = ProgressBar("epoch \(epochNumber)/\(config.epochs)", total: stream.count, quiet: quiet)
        var lossSum = 0.0, correct = 0, seen = 0
        var lr = 0.0
        var step = 0
        let schedule = try self.schedule(stepsPerEpoch: stream.count)
        while let batch = try stream.next() {
            optimizer.learningRateFactor = schedule.factor(at: (epochNumber - 1) * stream.count + step)
            lr = optimizer.learningRate(for: .head)
            let logits = try model.forward(batch.input, mode: .train)
            let (loss, dLogits) = try softmaxCrossEntropy(logits: logits, labels: batch.labels)
            guard loss.isFinite else {
                throw LoupeError.invalidInput("training diverged at epoch \(epochNumber) (loss \(loss)); lower --lr")
            }
            model.zeroGradients()
            try model.backward(dLogits, needParameterGradients: true, needInputGradient: false)
            optimizer.step()
            lossSum += Double(loss) * Double(batch.labels.count)
            correct += Trainer.correctCount(logits, batch.labels)
            seen += batch.labels.count
            step += 1
            bar.advance(note: String(format: "loss %.3f acc %.3f", lossSum / Double(seen), Double(correct) / Double(seen)))
        }
        bar.finish()
        return (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)), lr)
    }

    /// Mean loss and accuracy over a loader, in eval mode.
    public func evaluate(_ loader: BatchLoader) throws -> (loss: Double, accuracy: Double) {
        let stream = loader.epoch(0)
        defer { stream.cancel() }
        var lossSum = 0.0, correct = 0, seen = 0
        while let batch = try stream.next() {
            let logits = try model.forward(batch.input, mode: .eval)
            let (loss, _) = try softmaxCrossEntropy(logits: logits, labels: batch.labels)
            lossSum += Double(loss) * Double(batch.labels.count)
            correct += Trainer.correctCount(logits, batch.labels)
            seen += batch.labels.count
        }
        return (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)))
    }

    static func correctCount(_ logits: Tensor, _ labels: [Int]) -> Int {
        let k = logits.shape[1]
        var correct = 0
        for (i, y) in labels.enumerated() {
            let row = logits.storage[(i * k)..<((i + 1) * k)]
            if row.indices.max(by: { row[$0] < row[$1] }) == i * k + y { correct += 1 }
        }
        return correct
    }

    /// The learning-rate schedule in optimizer steps: warm-up, then constant, step decay or cosine.
    func schedule(stepsPerEpoch: Int) throws -> LRSchedule {
        guard let kind = LRSchedule.Kind(rawValue: config.schedule) else {
            throw LoupeError.invalidInput("unknown schedule '\(config.schedule)'; use constant, step or cosine")
        }
        let schedule = LRSchedule(kind: kind, totalSteps: max(config.epochs * stepsPerEpoch, 1),
                                  warmupSteps: config.warmupEpochs * stepsPerEpoch, stepSize: max(config.stepSize * stepsPerEpoch, 1),
                                  gamma: config.stepGamma)
        try schedule.validate()
        return schedule
    }

    // MARK: - Checkpoints

    /// The current state as a checkpoint.
    public func checkpoint() -> Checkpoint {
        // Sorted keys: the same weights give the same checkpoint bytes in every process.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let optionsJSON = String(decoding: (try? encoder.encode(model.spec)) ?? Data("{}".utf8), as: UTF8.self)
        return Checkpoint(model: model.name, epoch: epoch, numClasses: model.numClasses, inChannels: model.inputChannels,
                          imageSize: config.imageSize, modelOptions: optionsJSON, seed: config.seed,
                          state: model.stateDict().map { (key: $0.0, value: $0.1) }, optimizerType: config.optimizer,
                          optimizerStep: epoch, optimizerState: optimizer.state().map { (key: $0.0, value: $0.1) }, rngState: rng.stateWords,
                          classes: dataset.classes)
    }

    /// Restores weights, optimizer and generator from a checkpoint of this run.
    func restore(_ checkpoint: Checkpoint) throws {
        guard checkpoint.model == model.name, checkpoint.numClasses == model.numClasses else {
            throw LoupeError.invalidInput("checkpoint is a \(checkpoint.model) with \(checkpoint.numClasses) classes; this run trains a \(model.name) with \(model.numClasses)")
        }
        try model.load(stateDict: checkpoint.stateDictionary, strict: true)
        try optimizer.load(state: Dictionary(checkpoint.optimizerState.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        if checkpoint.rngState.count == 4 { rng = SeededGenerator(seed: config.seed, stateWords: checkpoint.rngState) }
        epoch = checkpoint.epoch
    }
}
