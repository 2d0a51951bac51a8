import Foundation
import LoupeCore

/// Captures a probe set through a network into a dump: pixels, labels, metadata, logits, embedding, and
/// for each chosen layer its activation and the gradient of the target with respect to it.
///
/// Streams one batch at a time, so memory does not grow with the probe-set size.
public struct Prober {
    /// One batch of prepared inputs: the normalised tensor and, per sample, what the network saw.
    public struct Batch {
        public var input: Tensor          // B×C×H×W, normalised
        public var samples: ProbeSamples

        public init(input: Tensor, samples: ProbeSamples) {
            self.input = input
            self.samples = samples
        }

        public init(input: Tensor, images: [UInt8], labels: [Int], ids: [String], meanRGB: [Float], background: [Float]? = nil,
                    box: [Float]? = nil, mask: [UInt8]? = nil) {
            self.init(input: input, samples: ProbeSamples(images: images, labels: labels, ids: ids, meanRGB: meanRGB,
                                                          background: background, box: box, mask: mask))
        }

        public var labels: [Int] { samples.labels }
        public var ids: [String] {
            get { samples.ids }
            set { samples.ids = newValue }
        }
    }

    public var network: ProbeNetwork
    public var target: ProbeTarget
    public var layers: [String]

    public init(network: ProbeNetwork, target: ProbeTarget, layers: [String]) {
        self.network = network
        self.target = target
        self.layers = layers
    }

    /// Runs one batch: forward, target, backward.
    public func capture(_ batch: Batch, classes k: Int) throws -> DumpRows {
        let record = Set(layers)
        let (logits, embedding, activations) = try network.probeForward(batch.input, record: record)
        guard logits.shape.count == 2, logits.shape[1] == k else {
            throw LoupeError.invalidInput("network produced logits of shape \(logits.shape); the probe set has \(k) classes")
        }
        if let bad = batch.labels.first(where: { $0 < 0 || $0 >= k }) {
            throw LoupeError.invalidInput("label \(bad) is out of range for \(k) classes (checkpoint and probe set disagree)")
        }
        let (values, dLogits) = target.evaluate(logits: logits.storage, labels: batch.labels, classes: k)
        let gradients = try network.probeBackward(Tensor(shape: logits.shape, storage: dLogits))
        let probabilities = ProbeTarget.prob.softmax(logits.storage, classes: k)
        return DumpRows(samples: batch.samples, logits: logits.storage, probabilities: probabilities, targetValues: values,
                        embedding: embedding.storage, activations: activations.filter { record.contains($0.key) },
                        gradients: gradients.filter { record.contains($0.key) })
    }

    /// Captures batches `0..<batchCount`, each made by `prepare`, into a dump at `path` (crash-safe).
    public func write(to path: String, header: DumpHeader, batchCount: Int, prepare: (Int) throws -> Batch,
                      progress: ProgressBar? = nil) throws {
        try DumpWriter.write(path, header: header, spread: { network.concurrentPerform(iterations: $0, $1) }) { emit in
            for index in 0..<batchCount {
                let batch = try prepare(index)
                try emit(try capture(batch, classes: header.classes.count))
                progress?.advance(batch.labels.count)
            }
        }
    }
}

extension ProbeTarget {
    /// Row-wise softmax of N×K logits, computed stably.
    func softmax(_ logits: [Float], classes k: Int) -> [Float] {
        var out = logits
        for i in 0..<(logits.count / k) {
            let row = (i * k)..<((i + 1) * k)
            let m = logits[row].max() ?? 0
            var s: Float = 0
            for j in row { out[j] = Foundation.exp(logits[j] - m); s += out[j] }
            for j in row { out[j] /= s }
        }
        return out
    }
}
