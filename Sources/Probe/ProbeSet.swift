import Foundation
import LoupeCore
import Train

/// The fixed probe set of a run: which samples, and how they are shown to the network.
public struct ProbeSet {
    public let dataset: any Dataset
    public let indices: [Int]
    public let transform: Preprocessor
    public let batchSize: Int

    /// Batches already prepared, for the next dump of this set (copies of a `ProbeSet` share them).
    let prepared: PreparedBatches

    /// - Parameter keepBytes: how much of the prepared batches to keep for later dumps of the same set
    ///   (`PreparedBatches`); 0 prepares every batch every time.
    public init(dataset: any Dataset, indices: [Int], transform: Preprocessor, batchSize: Int = 32,
                keepBytes: Int = PreparedBatches.defaultBudget) {
        self.dataset = dataset
        self.indices = indices
        self.transform = transform
        self.batchSize = batchSize
        prepared = PreparedBatches(budget: keepBytes)
    }

    public var batchCount: Int { (indices.count + batchSize - 1) / batchSize }

    /// Which metadata every sample has (a dataset either records a field for all samples or for none).
    public func metadataPresence() throws -> (background: Bool, box: Bool, mask: Bool) {
        guard let first = indices.first else { return (false, false, false) }
        let meta = transform.apply(try dataset.sample(at: first)).meta
        return (meta.background != nil, meta.box != nil, meta.mask != nil)
    }

    /// Batch `index`: the normalised input and, per sample, the pixels as shown and their metadata. Prepared
    /// once and kept while the set's batches fit their budget: the eval transform gives the same batch each time.
    public func batch(_ index: Int, presence: (background: Bool, box: Bool, mask: Bool)) throws -> Prober.Batch {
        let key = PreparedBatches.Key(index: index, background: presence.background, box: presence.box, mask: presence.mask)
        return try prepared.batch(key) { try prepare(index, presence: presence) }
    }

    private func prepare(_ index: Int, presence: (background: Bool, box: Bool, mask: Bool)) throws -> Prober.Batch {
        let slice = indices[(index * batchSize)..<min(indices.count, (index + 1) * batchSize)]
        let samples = try slice.map { transform.apply(try dataset.sample(at: $0)) }
        let input = transform.tensor(samples)
        let size = transform.outputSize
        var images: [UInt8] = [], meanRGB: [Float] = [], background: [Float] = [], box: [Float] = [], mask: [UInt8] = []
        for s in samples {
            images += s.image.pixels
            meanRGB += s.meta.meanRGB
            if presence.background { background += s.meta.background ?? [0, 0, 0] }
            if presence.box { box += s.meta.box ?? [0, 0, Float(size), Float(size)] }
            if presence.mask { mask += s.meta.mask ?? [UInt8](repeating: 0, count: size * size) }
        }
        return Prober.Batch(input: input, images: images, labels: samples.map(\.label), ids: samples.map(\.id), meanRGB: meanRGB,
                            background: presence.background ? background : nil, box: presence.box ? box : nil,
                            mask: presence.mask ? mask : nil)
    }
}
