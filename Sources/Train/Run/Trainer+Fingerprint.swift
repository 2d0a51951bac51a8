import Foundation
import LoupeCore

extension Trainer {
    /// A fingerprint of the numerics a run with `config` would use on this machine and build: the bit
    /// patterns of one real training step, computed now.
    ///
    /// It builds the run's own dataset, transform, model and optimizer, loads the first `samples`
    /// training images through the run's loader (rendering and augmentation included), does one
    /// forward, cross-entropy, backward and optimizer step at full learning rate, and hashes the input
    /// batch, the loss, the logits and every weight afterwards. A change in the generator, the
    /// augmentation, a kernel, the optimizer, or the BLAS build or CPU path changes it, so a cache keyed
    /// on it is never served weights that this code would not have produced. Within one process and
    /// machine it is the same on every call (training is deterministic for a seed and thread count); it
    /// differs across CPUs whose kernels round differently, which is the point.
    /// - Complexity: one training step on `samples` images (milliseconds for LittleConv, a fraction of a
    ///   second for ResNet-18); nothing is written to disk.
    /// - Throws: what building the run throws (bad data spec, model, optimizer or image size).
    public static func numericsFingerprint(_ config: TrainConfig, samples: Int = 4) throws -> String {
        let trainer = try Trainer(config: config, run: RunDirectory(NSTemporaryDirectory() + "/loupe-fingerprint-unused"))
        trainer.quiet = true
        let count = max(2, min(samples, trainer.split.train.count))
        let loader = try BatchLoader(dataset: trainer.dataset, indices: Array(trainer.split.train.prefix(count)), batchSize: count,
                                     transform: trainer.trainTransform, seed: config.seed, shuffle: true, workers: 1)
        let stream = loader.epoch(1)
        defer { stream.cancel() }
        guard let batch = try stream.next() else { throw LoupeError.invalidInput("\(config.data): no training batch for the fingerprint") }
        var hash = FNV1a()
        hash.add(batch.input.storage)
        hash.add(batch.labels.map(UInt64.init))
        trainer.optimizer.learningRateFactor = 1
        let logits = try trainer.model.forward(batch.input, mode: .train)
        let (loss, dLogits) = try softmaxCrossEntropy(logits: logits, labels: batch.labels)
        hash.add(logits.storage)
        hash.add([loss])
        trainer.model.zeroGradients()
        _ = try trainer.model.backward(dLogits, needParameterGradients: true, needInputGradient: false)
        trainer.optimizer.step()
        for (name, tensor) in trainer.model.stateDict() {
            hash.add(Array(name.utf8).map(UInt64.init))
            hash.add(tensor.storage)
        }
        return String(hash.value, radix: 16)
    }
}

extension TrainConfig {
    /// A key for weights trained with this config: every field (as sorted JSON) plus `numerics`, the
    /// `Trainer.numericsFingerprint` of this build and machine. Any changed setting or numeric path gives
    /// another key; a field that does not touch the weights (say `probeSize`) only costs a retraining.
    public func weightsKey(numerics: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = FNV1a()
        hash.add(Array((try? encoder.encode(self)) ?? Data()).map(UInt64.init))
        hash.add(Array(("|numerics=" + numerics).utf8).map(UInt64.init))
        return String(hash.value, radix: 16)
    }
}

/// FNV-1a with 64-bit state, one step per word (a float's bit pattern, a byte, a label): fast enough for
/// ResNet-18's 11 M weights, stable across runs and platforms. Not cryptographic; it tells builds apart.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ words: [UInt64]) {
        for w in words { mix(w) }
    }

    mutating func add(_ floats: [Float]) {
        floats.withUnsafeBufferPointer { buffer in
            for f in buffer { mix(UInt64(f.bitPattern)) }
        }
    }

    @inline(__always) private mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x100_0000_01b3
    }
}
