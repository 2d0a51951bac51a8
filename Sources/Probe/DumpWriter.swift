import Foundation
import LoupeCore

/// What a dump holds besides its per-sample rows: written once as root attributes and dataset shapes.
public struct DumpHeader: Sendable {
    public var epoch: Int
    public var model: String
    public var run: String
    public var target: ProbeTarget
    public var mode = "eval"
    public var storage: HDF5ElementType = .float16
    public var compression: HDF5Compression = .none
    public var normalizationMean: [Double]
    public var normalizationStd: [Double]
    public var imageSize: Int
    public var imageChannels: Int
    public var seed: UInt64
    public var classes: [String]
    public var sampleCount: Int
    /// Recorded layers with their per-sample shapes (C×h×w), in model order.
    public var layers: [(name: String, shape: [Int])]
    public var embeddingSize: Int
    public var hasBackground = false
    public var hasBox = false
    public var hasMask = false

    public init(epoch: Int, model: String, run: String, target: ProbeTarget, normalizationMean: [Double], normalizationStd: [Double],
                imageSize: Int, imageChannels: Int, seed: UInt64, classes: [String], sampleCount: Int,
                layers: [(name: String, shape: [Int])], embeddingSize: Int) {
        self.epoch = epoch
        self.model = model
        self.run = run
        self.target = target
        self.normalizationMean = normalizationMean
        self.normalizationStd = normalizationStd
        self.imageSize = imageSize
        self.imageChannels = imageChannels
        self.seed = seed
        self.classes = classes
        self.sampleCount = sampleCount
        self.layers = layers
        self.embeddingSize = embeddingSize
    }
}

/// One batch of probe results, rows `start ..< start + count` of every dataset.
public struct DumpRows: Sendable {
    public var samples: ProbeSamples
    public var logits: [Float]          // B×K
    public var probabilities: [Float]   // B×K
    public var targetValues: [Float]    // B
    public var embedding: [Float]       // B×D
    public var activations: [String: Tensor]
    public var gradients: [String: Tensor]

    public init(samples: ProbeSamples, logits: [Float], probabilities: [Float], targetValues: [Float], embedding: [Float],
                activations: [String: Tensor], gradients: [String: Tensor]) {
        self.samples = samples
        self.logits = logits
        self.probabilities = probabilities
        self.targetValues = targetValues
        self.embedding = embedding
        self.activations = activations
        self.gradients = gradients
    }
}

/// Streams a dump to disk batch by batch, so peak memory does not grow with the probe-set size.
///
/// The file is built under a temporary name and renamed when `write` returns: a dump under its final
/// name is complete (docs/run-format.md).
public enum DumpWriter {
    /// Creates `path`, calls `produce` with an `emit` function that appends rows in order, then commits.
    public static func write(_ path: String, header: DumpHeader, produce: (_ emit: (DumpRows) throws -> Void) throws -> Void) throws {
        try HDF5File.writeAtomically(path) { file in
            try RunFormat.stamp(file, format: RunFormat.dumpFormat, version: RunFormat.dumpVersion)
            try file.setAttribute("epoch", header.epoch)
            try file.setAttribute("model", header.model)
            try file.setAttribute("run", header.run)
            try file.setAttribute("target", header.target.rawValue)
            try file.setAttribute("mode", header.mode)
            try file.setAttribute("dtype", header.storage.rawValue)
            try file.setAttribute("normalization_mean", .doubles(header.normalizationMean))
            try file.setAttribute("normalization_std", .doubles(header.normalizationStd))
            try file.setAttribute("image_size", header.imageSize)
            try file.setAttribute("seed", .int(Int64(bitPattern: header.seed)))
            try file.setAttribute("layers", .strings(header.layers.map(\.name)))
            let n = header.sampleCount, s = header.imageSize, k = header.classes.count
            try file.write(RunFormat.Dump.classes, strings: header.classes)
            let images = try file.createDataset(RunFormat.Dump.images, type: .uint8, shape: [n, s, s, header.imageChannels],
                                                chunk: [1, s, s, header.imageChannels], compression: .deflate(level: 1, shuffle: false))
            let labels = try file.createDataset(RunFormat.Dump.labels, type: .int32, shape: [n])
            let meanRGB = try file.createDataset(RunFormat.Dump.meanRGB, type: .float32, shape: [n, 3])
            let background = header.hasBackground ? try file.createDataset(RunFormat.Dump.background, type: .float32, shape: [n, 3]) : nil
            let box = header.hasBox ? try file.createDataset(RunFormat.Dump.box, type: .float32, shape: [n, 4]) : nil
            let mask = header.hasMask ? try file.createDataset(RunFormat.Dump.mask, type: .uint8, shape: [n, s, s], chunk: [1, s, s],
                                                               compression: .deflate(level: 1, shuffle: false)) : nil
            let logits = try file.createDataset(RunFormat.Dump.logits, type: .float32, shape: [n, k])
            let probabilities = try file.createDataset(RunFormat.Dump.probabilities, type: .float32, shape: [n, k])
            let targets = try file.createDataset(RunFormat.Dump.targetValues, type: .float32, shape: [n])
            let embedding = try file.createDataset(RunFormat.Dump.embedding, type: .float32, shape: [n, header.embeddingSize])
            var activations: [String: HDF5Dataset] = [:], gradients: [String: HDF5Dataset] = [:]
            for (name, shape) in header.layers {
                let full = [n] + shape, chunk = [1] + shape
                activations[name] = try file.createDataset(RunFormat.Dump.activation(name), type: header.storage, shape: full,
                                                           chunk: chunk, compression: header.compression)
                gradients[name] = try file.createDataset(RunFormat.Dump.gradient(name), type: header.storage, shape: full,
                                                         chunk: chunk, compression: header.compression)
            }
            var ids: [String] = []
            var row = 0
            try produce { rows in
                let samples = rows.samples
                let b = samples.labels.count
                guard row + b <= n else {
                    throw LoupeError.invalidInput("probe produced more than the \(n) samples the dump was sized for")
                }
                try images.writeRows(start: row, samples.images)
                try labels.writeRows(start: row, samples.labels.map { Int32($0) })
                try meanRGB.writeRows(start: row, samples.meanRGB)
                if let background, let values = samples.background { try background.writeRows(start: row, values) }
                if let box, let values = samples.box { try box.writeRows(start: row, values) }
                if let mask, let values = samples.mask { try mask.writeRows(start: row, values) }
                try logits.writeRows(start: row, rows.logits)
                try probabilities.writeRows(start: row, rows.probabilities)
                try targets.writeRows(start: row, rows.targetValues)
                try embedding.writeRows(start: row, rows.embedding)
                for (name, dataset) in activations {
                    guard let a = rows.activations[name], let g = rows.gradients[name] else {
                        throw LoupeError.invalidInput("layer '\(name)' was not recorded in this batch")
                    }
                    try dataset.writeRows(start: row, a.storage)
                    try gradients[name]!.writeRows(start: row, g.storage)
                }
                ids += samples.ids
                row += b
            }
            guard row == n else { throw LoupeError.invalidInput("probe produced \(row) samples, the dump expects \(n)") }
            try file.write(RunFormat.Dump.ids, strings: ids)
        }
    }
}
